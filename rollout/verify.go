package rollout

import (
	"fmt"
	"time"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// typhaPods lists the Typha pods' names, one line, as the metrics
// commands read them.
const typhaPods = `$(kubectl -n kube-system get pods -l k8s-app=calico-typha -o jsonpath='{.items[*].metadata.name}')`

// MetricsProxyPath returns the API server's pod proxy path to the metrics
// of the Typha pod named pod: /api/v1/namespaces/kube-system/pods/POD:PORT/proxy/metrics.
func MetricsProxyPath(pod string) string {
	return "/api/v1/namespaces/" + terway.TyphaNamespace + "/pods/" + pod + ":" + terway.TyphaMetricsPortText + "/proxy" + terway.TyphaMetricsPath
}

// ConnectionsMetric counts a Typha replica's connected Felix agents.
const ConnectionsMetric = "typha_connections_active"

// connectionsPerPod prints each Typha pod's name and its connected Felix
// agents, through the API server's pod proxy.
func connectionsPerPod() string {
	return fmt.Sprintf(`for pod in %s; do printf '%%s ' "$pod"; kubectl get --raw "%s" | grep '^%s '; done`, typhaPods, MetricsProxyPath("$pod"), ConnectionsMetric)
}

// connectionsSum prints the sum of connected Felix agents over every
// Typha pod.
func connectionsSum() string {
	return fmt.Sprintf(`for pod in %s; do kubectl get --raw "%s" | awk '$1 == "%s" {print $2}'; done | awk '{s += $1} END {print s + 0}'`, typhaPods, MetricsProxyPath("$pod"), ConnectionsMetric)
}

// felixEnv prints the Typha and policy settings one Terway pod's policy
// container (where Felix runs) was started with.
func felixEnv(ds string) string {
	return fmt.Sprintf(`kubectl -n kube-system exec ds/%s -c policy -- env | grep -E '^(FELIX_TYPHAK8SSERVICENAME|DISABLE_POLICY)='`, ds)
}

// metricsNotes are the notes on where the metrics listen.
func metricsNotes() []string {
	return []string{
		fmt.Sprintf("Typha serves metrics on port %d of every node it runs on, on all of the node's interfaces (hostNetwork): restrict %d to the cluster's nodes and the API server in the security group, as for %d.", terway.TyphaMetricsPort, terway.TyphaMetricsPort, terway.TyphaPort),
		fmt.Sprintf("The pod proxy needs the API server to reach port %d on the node; if the command times out, read one pod's metrics with kubectl -n kube-system port-forward pod/POD %d and curl -s localhost:%d%s | grep %s.", terway.TyphaMetricsPort, terway.TyphaMetricsPort, terway.TyphaMetricsPort, terway.TyphaMetricsPath, ConnectionsMetric),
	}
}

// metrics reports whether the rendering serves Typha's metrics.
func (b *planBuilder) metrics() bool {
	if b.plan.Rendering == nil {
		return false
	}
	for _, p := range b.plan.Rendering.Deployment.Spec.Template.Spec.Containers[0].Ports {
		if p.Name == terway.TyphaMetricsPortName {
			return true
		}
	}
	return false
}

// restartIfNeeded adds the restart step, unless the cluster's eni-config
// was given and the edit changes nothing: then the step says that Terway
// is not restarted, and how to check that its pods run with the setting.
func (b *planBuilder) restartIfNeeded(setting string) {
	e := b.plan.Edit
	if e == nil || len(e.Changes) > 0 {
		b.restart()
		if e != nil {
			last := &b.plan.Steps[len(b.plan.Steps)-1]
			last.Notes = append([]string{"The patch changes eni-config, so Terway must restart to read it."}, last.Notes...)
		}
		return
	}
	b.step(Step{
		Title: "Restart Terway: not needed",
		Notes: []string{
			fmt.Sprintf("eni-config already has %s, so this plan does not restart Terway.", setting),
			"Terway reads eni-config only at start: if the setting was made after its pods started, they still run without it. Check one pod's policy container:",
			felixEnv(b.ds),
			fmt.Sprintf("If that does not show the setting, restart: kubectl -n kube-system rollout restart ds/%s, then kubectl -n kube-system rollout status ds/%s.", b.ds, b.ds),
		},
	})
}

// autoscalerNotes are the wait step's notes when the autoscaler sets the
// replicas.
func autoscalerNotes(replicas int) []string {
	return []string{
		fmt.Sprintf("The Deployment has no spec.replicas: it starts with 1 replica and %s scales it to %d within its 10-second poll period. The wait command (kubectl 1.23 or later) returns when %d replicas are ready.", render.AutoscalerName, replicas, replicas),
		fmt.Sprintf("If %s ran before with spec.replicas (an earlier apply), kubectl apply resets it to 1 replica until the autoscaler acts. To keep the running count, before applying drop the last applied configuration, which holds the old replicas: kubectl -n kube-system patch deploy %s --type json -p '[{\"op\":\"remove\",\"path\":\"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration\"}]' (an error that the path does not exist means there is nothing to drop).", render.Name, render.Name),
		fmt.Sprintf("The autoscaler counts Linux nodes that are neither virtual nor exclusive-ENI nodes (--nodelabels=%s), cordoned ones included: the nodes that run Felix. Where it and typharender differ: on 3 or fewer such nodes it keeps 3 replicas, as typharender does, but without typharender's warning that replicas at or above the node count stall rolling updates (Typha binds host port %d). Its decisions: kubectl -n kube-system logs deploy/%s.", render.AutoscalerNodeLabels, terway.TyphaPort, render.AutoscalerName),
	}
}

// waitReplicas waits until the Typha Deployment has n ready replicas, as
// the autoscaler sets them.
func waitReplicas(n int, timeout time.Duration) string {
	return fmt.Sprintf("kubectl -n %s wait deploy/%s --for=jsonpath='{.status.readyReplicas}'=%d --timeout=%s", render.Namespace, render.Name, n, english.Duration(timeout))
}

// autoscalerSaveNote says what the manifests hold besides Typha's
// objects when the autoscaler is rendered.
func autoscalerSaveNote(res *render.Result) string {
	return fmt.Sprintf("With the autoscaler: the Deployment has no spec.replicas (%d is what the autoscaler sets for this cluster), and the file also holds %s's ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, ConfigMap and Deployment (image %s).", res.Advice.Replicas, render.AutoscalerName, res.Autoscaler.Deployment.Spec.Template.Spec.Containers[0].Image)
}
