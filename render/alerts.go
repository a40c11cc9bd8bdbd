package render

import (
	"fmt"
	"maps"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/typharender/typharender/terway"
)

// PrometheusRule is the Prometheus Operator's PrometheusRule
// (monitoring.coreos.com/v1), with only the fields typharender writes:
// a typed struct of its own, so that the library does not depend on
// prometheus-operator. A Prometheus Operator (ACK's ack-prometheus-operator,
// kube-prometheus) loads the rules of every PrometheusRule its Prometheus's
// ruleSelector matches (labels.* adds the labels it wants). Alibaba
// Cloud's Managed Service for Prometheus documents its alert rules as made
// in the ARMS console from PromQL: there, the same expressions apply
// (docs/alerts.md).
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              PrometheusRuleSpec `json:"spec"`
}

// PrometheusRuleSpec holds the rule groups, as in a Prometheus rule file.
type PrometheusRuleSpec struct {
	Groups []RuleGroup `json:"groups"`
}

// RuleGroup is one group of a Prometheus rule file.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Rule is one alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// DeepCopyObject returns a copy of p that shares nothing with it.
func (p *PrometheusRule) DeepCopyObject() runtime.Object {
	if p == nil {
		return nil
	}
	out := &PrometheusRule{TypeMeta: p.TypeMeta}
	p.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	for _, g := range p.Spec.Groups {
		cg := RuleGroup{Name: g.Name}
		for _, r := range g.Rules {
			r.Labels, r.Annotations = maps.Clone(r.Labels), maps.Clone(r.Annotations)
			cg.Rules = append(cg.Rules, r)
		}
		out.Spec.Groups = append(out.Spec.Groups, cg)
	}
	return out
}

var _ Object = (*PrometheusRule)(nil)

// PrometheusRule's apiVersion and kind, and the name of its one group.
const (
	PrometheusRuleAPIVersion = "monitoring.coreos.com/v1"
	PrometheusRuleKind       = "PrometheusRule"
	AlertGroup               = "typha"
)

// The alerts' thresholds. docs/alerts.md says why each is what it is; the
// promtool tests in testdata/alerts check them against series a real Typha
// served.
const (
	// AlertConnectionsFraction: TyphaFelixConnectionsLow fires when the
	// Felix connections to all Typhas are fewer than this fraction of the
	// nodes (Options.Nodes).
	AlertConnectionsFraction = 0.5
	// AlertPingLatencySeconds is Typha's ping interval
	// (TYPHA_SERVERPINGINTERVALSECS, default 10 s): a pong that takes
	// longer is still out when the next ping is due; Typha drops the
	// client after 60 s (TYPHA_SERVERPONGTIMEOUTSECS).
	AlertPingLatencySeconds = 10
	// AlertSnapshotSeconds is a third of v3.20.2's 90 s grace period for
	// a new client to catch up after its snapshot
	// (TYPHA_SERVERNEWCLIENTFALLBEHINDGRACEPERIOD; 300 s from v3.24).
	AlertSnapshotSeconds = 30
	// AlertRestarts is how many restarts of one Typha in an hour page.
	AlertRestarts = 3
)

// typhaSource cites where a Typha metric is declared, for the alerts'
// annotations: the file in projectcalico/calico at every release the
// metric table was checked in.
func typhaSource(metric string) string {
	for _, m := range terway.TyphaMetrics() {
		if m.Name == metric {
			return "projectcalico/calico " + m.Source + " at " + strings.Join(terway.TyphaMetricReleases(), ", ") + " (v3.20.2: the v3.20.2-typha tree)"
		}
	}
	panic("render: no Typha metric " + metric) // the alerts below name only metrics of the table; TestAlertMetricsInTable
}

// alertSelector selects the Typha Deployment's series in kube-state-metrics.
const alertSelector = `namespace="` + Namespace + `",deployment="` + Name + `"`

// prometheusRule returns Typha's alerts for a cluster of r.Nodes nodes.
func (r *resolved) prometheusRule() *PrometheusRule {
	minConns := float64(r.Nodes) * AlertConnectionsFraction
	alert := func(name, severity, expr, forDur, summary, description, source string) Rule {
		return Rule{
			Alert:  name,
			Expr:   expr,
			For:    forDur,
			Labels: map[string]string{"severity": severity},
			Annotations: map[string]string{
				"summary":     summary,
				"description": description,
				"source":      source,
			},
		}
	}
	ksm := "kube-state-metrics: kube_deployment_status_replicas_available and kube_deployment_spec_replicas (kube-prometheus and ack-prometheus-operator install it)"
	return &PrometheusRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: PrometheusRuleAPIVersion, Kind: PrometheusRuleKind},
		ObjectMeta: r.meta(),
		Spec: PrometheusRuleSpec{Groups: []RuleGroup{{
			Name: AlertGroup,
			Rules: []Rule{
				alert("TyphaNoFelixClients", "critical",
					`sum(typha_connections_active) == 0`, "10m",
					"No Felix agent is connected to any Typha",
					"Typha runs and serves metrics, but no Felix has been connected to it for 10 minutes: either eni-config's felix_relay_service does not name "+Name+" (or Terway was not restarted after the edit), or Felix cannot reach port "+terway.TyphaPortText+" on the Typha nodes. NetworkPolicy changes then reach no node through Typha.",
					typhaSource("typha_connections_active")),
				alert("TyphaFelixConnectionsLow", "warning",
					fmt.Sprintf(`sum(typha_connections_active) < %g and sum(typha_connections_active) > 0`, minConns), "15m",
					fmt.Sprintf("Fewer than %g Felix agents are connected to Typha", minConns),
					fmt.Sprintf("The cluster was rendered for %d nodes, one Felix each; for 15 minutes fewer than %g%% of them (%g) have been connected to a Typha. Nodes whose Terway was not restarted, or whose Felix cannot reach port %s, watch the API server directly or run without policy updates. Render again when the node count changes.", r.Nodes, AlertConnectionsFraction*100, minConns, terway.TyphaPortText),
					typhaSource("typha_connections_active")),
				alert("TyphaReplicasUnavailable", "warning",
					fmt.Sprintf(`kube_deployment_status_replicas_available{%s} < kube_deployment_spec_replicas{%s}`, alertSelector, alertSelector), "10m",
					"A Typha replica has been unavailable for 10 minutes",
					"Fewer Typha pods are available than the Deployment wants. Typha runs with hostNetwork on port "+terway.TyphaPortText+": a replica stays Pending when no node has the port free, and its Felix clients move to the other replicas.",
					ksm),
				alert("TyphaPingLatencyHigh", "warning",
					fmt.Sprintf(`max(typha_ping_latency{quantile="0.99"}) > %d`, AlertPingLatencySeconds), "10m",
					"Felix answers Typha's pings slowly",
					fmt.Sprintf("The 99th percentile of the round trip of Typha's pings to its Felix clients has been over %d s (Typha's ping interval) for 10 minutes; Typha drops a client whose pong takes 60 s. Felix or Typha is starved of CPU, or the network between them is saturated.", AlertPingLatencySeconds),
					typhaSource("typha_ping_latency")),
				alert("TyphaSnapshotSendSlow", "warning",
					fmt.Sprintf(`max(typha_client_snapshot_send_secs{quantile="0.99"}) > %d`, AlertSnapshotSeconds), "5m",
					"Typha takes long to send new Felix clients their snapshot",
					fmt.Sprintf("The 99th percentile of the time Typha takes to send a new Felix client the whole datastore snapshot has been over %d s for 5 minutes. A client that does not catch up within Typha's grace period (90 s in v3.20.2, 300 s from v3.24) is disconnected and starts over.", AlertSnapshotSeconds),
					typhaSource("typha_client_snapshot_send_secs")),
				alert("TyphaRestarting", "warning",
					fmt.Sprintf(`changes(process_start_time_seconds[1h]) >= %d and on(instance, job) max_over_time(typha_connections_active[1h])`, AlertRestarts), "",
					fmt.Sprintf("A Typha has restarted %d or more times in an hour", AlertRestarts),
					"The Typha process on this metrics endpoint (a node, since Typha runs with hostNetwork) started again and again: its Felix clients reconnect to the other replicas each time and each takes a new snapshot. Look at the pod's previous log (kubectl -n "+Namespace+" logs --previous).",
					typhaSource("process_start_time_seconds")+"; restricted to Typha's endpoints by "+typhaSource("typha_connections_active")),
			},
		}}},
	}
}
