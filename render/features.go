package render

import (
	"fmt"

	"github.com/typharender/typharender/finding"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Defaults of the optional features: metrics, zone spread and the
// autoscaler.
const (
	// DefaultAutoscalerRepository and DefaultAutoscalerTag are the image
	// ACK documents for its own DNS autoscaler: acs/cluster-proportional-autoscaler:1.8.4
	// (ACK, "Optimize DNS resolution for an ACK cluster" / 优化集群DNS性能,
	// which deploys registry.cn-hangzhou.aliyuncs.com/acs/cluster-proportional-autoscaler:1.8.4).
	// The registry is the one given for Typha (Registry), else the
	// cluster's own Alibaba Cloud registry (RegistryStyle in the region),
	// even where Typha's default image is on quay.io.
	DefaultAutoscalerRepository = "acs/cluster-proportional-autoscaler"
	DefaultAutoscalerTag        = "1.8.4"

	// AutoscalerName names every cluster-proportional-autoscaler object: its
	// ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding,
	// ConfigMap and Deployment, and is the value of their k8s-app label.
	AutoscalerName = "calico-typha-autoscaler"

	// AutoscalerNodeLabels is the autoscaler's --nodelabels: a label selector
	// the API server applies when the autoscaler lists nodes, so that it
	// counts the nodes terway.CountFelixNodes counts: Linux, not virtual
	// nodes, not exclusive-ENI nodes. ACK's own DNS autoscaler passes
	// type!=virtual-kubelet the same way. A node without the kubernetes.io/os
	// label (kubelets before 1.14) is not counted here, though
	// CountFelixNodes falls back to its reported operating system.
	AutoscalerNodeLabels = "kubernetes.io/os=linux," +
		terway.LabelVirtualNode + "!=" + terway.VirtualKubelet + "," +
		terway.LabelExclusiveENI + "!=" + terway.ExclusiveENIOnly
)

// zoneSpreadSince returns the first Kubernetes version where topology
// spread constraints are GA (1.19; beta and on by default from 1.18); the
// kubelet sets the topology.kubernetes.io/zone label from 1.17.
func zoneSpreadSince() versioning.Version { return versioning.New(1, 19) }

// resolveExtras fills in and checks the optional features; r.Registry
// and r.version are resolved (r.version is zero when it could not be
// parsed, and its error is reported already).
func (r *resolved) resolveExtras() []error {
	var errs []error
	fail := func(field string, value any, reason string) {
		errs = append(errs, &OptionError{Field: field, Value: value, Reason: reason})
	}
	if r.ZoneSpread && !r.version.IsZero() && r.version.LessThan(zoneSpreadSince()) {
		fail("ZoneSpread", r.ZoneSpread, fmt.Sprintf("needs Kubernetes %s or later, where topology spread constraints are GA; the cluster runs %s: leave it off", zoneSpreadSince(), r.version))
	}

	if r.Alerts && !r.Metrics {
		fail("Alerts", r.Alerts, "needs Metrics: the alerts read the metrics Typha serves only with Metrics on; turn Metrics on too, or leave Alerts off")
	}

	if !r.Autoscaler {
		for _, x := range []struct{ field, value string }{
			{"AutoscalerRegistry", r.AutoscalerRegistry},
			{"AutoscalerRepository", r.AutoscalerRepository},
			{"AutoscalerTag", r.AutoscalerTag},
		} {
			if x.value != "" {
				r.warn(finding.Ref{}, "", fmt.Sprintf("%s %q is not used: the autoscaler is off", x.field, x.value))
			}
		}
		return errs
	}
	if r.Replicas != 0 {
		fail("Replicas", r.Replicas, "is set, but the autoscaler sets the replicas: drop the replica count, or turn the autoscaler off")
	}
	// The autoscaler's image is ACK's (acs/): from the registry the person
	// gave for Typha (a mirror that holds both), else from the cluster's
	// own Alibaba Cloud registry, even where Typha's default is quay.io.
	registry := r.AutoscalerRegistry
	switch {
	case registry == "":
		registry = r.autoscalerRegistry
	case !imageref.IsRegistry(registry):
		fail("AutoscalerRegistry", registry, "is not an image registry: want host[:port][/path] such as registry-vpc.cn-hangzhou.aliyuncs.com")
	}
	repo := r.AutoscalerRepository
	if repo == "" {
		repo = DefaultAutoscalerRepository
	} else if !imageref.IsRepository(repo) {
		fail("AutoscalerRepository", repo, "is not an image repository: want lowercase path components separated by slashes, such as "+DefaultAutoscalerRepository)
	}
	tag := r.AutoscalerTag
	if tag == "" {
		tag = DefaultAutoscalerTag
	} else if !imageref.IsTag(tag) {
		fail("AutoscalerTag", tag, "is not an image tag: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as "+DefaultAutoscalerTag)
	}
	r.AutoscalerRegistry, r.AutoscalerRepository, r.AutoscalerTag = registry, repo, tag
	r.autoscalerImage = registry + "/" + repo + ":" + tag
	return errs
}

// metricsAnnotations are the pod annotations by which ACK's Managed
// Service for Prometheus (its default service discovery) and the
// community's kubernetes-pods scrape job find a metrics endpoint:
// prometheus.io/scrape, prometheus.io/port and prometheus.io/path
// (Alibaba Cloud, Managed Service for Prometheus, "Default service
// discovery"). That discovery is off by default in ACK and is billed.
func metricsAnnotations() map[string]string {
	return map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   terway.TyphaMetricsPortText,
		"prometheus.io/path":   terway.TyphaMetricsPath,
	}
}

// addExtras adds the optional features to the Typha Deployment d: no
// spec.replicas with the autoscaler, the metrics port, environment and
// scrape annotations, the zone spread.
func (r *resolved) addExtras(d *appsv1.Deployment) {
	if r.Autoscaler {
		d.Spec.Replicas = nil
	}
	pod := &d.Spec.Template
	if r.Metrics {
		// The caller's annotations win, as everywhere.
		ann := metricsAnnotations()
		for k, v := range pod.Annotations {
			ann[k] = v
		}
		pod.Annotations = ann
		c := &pod.Spec.Containers[0]
		c.Ports = append(c.Ports, corev1.ContainerPort{ContainerPort: terway.TyphaMetricsPort, Name: terway.TyphaMetricsPortName, Protocol: corev1.ProtocolTCP})
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "TYPHA_PROMETHEUSMETRICSENABLED", Value: "true"},
			corev1.EnvVar{Name: "TYPHA_PROMETHEUSMETRICSPORT", Value: terway.TyphaMetricsPortText},
		)
	}
	if r.ZoneSpread {
		pod.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew:           1,
			TopologyKey:       corev1.LabelTopologyZone,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     &metav1.LabelSelector{MatchLabels: selector()},
		}}
	}
}
