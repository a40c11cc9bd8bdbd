package alerttest

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/render"
)

// span is how long each unit test's series run, in minutes.
const span = 130

// ksm are kube-state-metrics' series for the Typha Deployment: not
// Typha's, so made up here, with the labels kube-state-metrics gives them.
const ksmLabels = `namespace="kube-system",deployment="calico-typha",instance="192.0.2.20:8080",job="kube-state-metrics"`

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type expAlert struct {
	ExpLabels      map[string]string `json:"exp_labels"`
	ExpAnnotations map[string]string `json:"exp_annotations"`
}

type alertTest struct {
	EvalTime  string     `json:"eval_time"`
	Alertname string     `json:"alertname"`
	ExpAlerts []expAlert `json:"exp_alerts"`
}

type unitTest struct {
	Name          string        `json:"name"`
	Interval      string        `json:"interval"`
	InputSeries   []inputSeries `json:"input_series"`
	AlertRuleTest []alertTest   `json:"alert_rule_test"`
}

type testFile struct {
	RuleFiles          []string   `json:"rule_files"`
	EvaluationInterval string     `json:"evaluation_interval"`
	Tests              []unitTest `json:"tests"`
}

// constant is a series holding v for the whole span.
func constant(v float64) string {
	if math.IsNaN(v) {
		return strings.TrimSpace(strings.Repeat("NaN ", span+1))
	}
	return fmt.Sprintf("%sx%d", num(v), span)
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// a case: the sample's series, some replaced, and what fires when.
type scenario struct {
	name    string
	replace func(s Series) (string, bool) // a new values string for a series of the sample
	extra   []inputSeries
	expect  []alertTest
}

// Tests returns promtool unit test files (by name) for pr, rendered for
// nodes nodes, fed by sample (ParseSample's series of a real Typha's
// /metrics) as a scrape stores them. Each scenario changes one thing in
// those series; every alert is asserted at every evaluation time of
// every scenario, firing or not.
func Tests(pr *render.PrometheusRule, nodes int, sample []Series) (map[string][]byte, error) {
	rules := map[string]render.Rule{}
	var order []string
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			rules[r.Alert] = r
			order = append(order, r.Alert)
		}
	}
	fires := func(alert string, labels map[string]string) expAlert {
		l := map[string]string{}
		for k, v := range rules[alert].Labels {
			l[k] = v
		}
		for k, v := range labels {
			l[k] = v
		}
		return expAlert{ExpLabels: l, ExpAnnotations: rules[alert].Annotations}
	}
	conns := 0.0
	for _, s := range sample {
		if s.Name == "typha_connections_active" {
			conns += s.Value
		}
	}
	threshold := float64(nodes) * render.AlertConnectionsFraction
	low := conns > 0 && conns < threshold // the real series alone fire TyphaFelixConnectionsLow
	var start float64
	for _, s := range sample {
		if s.Name == "process_start_time_seconds" {
			start = s.Value
		}
	}
	q99 := func(name string, v float64) func(Series) (string, bool) {
		return func(s Series) (string, bool) {
			if s.Name == name && strings.Contains(s.Labels, `quantile="0.99"`) && !math.IsNaN(s.Value) {
				return constant(v), true
			}
			return "", false
		}
	}
	ksm := func(spec, available float64) []inputSeries {
		return []inputSeries{
			{Series: "kube_deployment_spec_replicas{" + ksmLabels + "}", Values: constant(spec)},
			{Series: "kube_deployment_status_replicas_available{" + ksmLabels + "}", Values: constant(available)},
		}
	}
	ksmAlert := map[string]string{"namespace": "kube-system", "deployment": "calico-typha", "instance": "192.0.2.20:8080", "job": "kube-state-metrics"}
	scrape := map[string]string{"instance": Instance, "job": Job}
	// at lists, for each alert, whether it fires at minute m: firing
	// alerts give their labels, the rest none.
	at := func(m int, firing map[string][]expAlert) []alertTest {
		var out []alertTest
		for _, a := range order {
			exp := firing[a]
			if exp == nil {
				exp = []expAlert{}
			}
			out = append(out, alertTest{EvalTime: fmt.Sprintf("%dm", m), Alertname: a, ExpAlerts: exp})
		}
		return out
	}
	base := map[string][]expAlert{}
	if low {
		base["TyphaFelixConnectionsLow"] = []expAlert{fires("TyphaFelixConnectionsLow", nil)}
	}
	with := func(more map[string][]expAlert) map[string][]expAlert {
		out := map[string][]expAlert{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	before := func(m int) map[string][]expAlert { // TyphaFelixConnectionsLow waits 15m
		if m < 15 {
			return map[string][]expAlert{}
		}
		return base
	}
	restarts := func(n int) func(Series) (string, bool) {
		return func(s Series) (string, bool) {
			if s.Name != "process_start_time_seconds" {
				return "", false
			}
			// A new start time every 10 minutes from minute 10, n times.
			var parts []string
			for i := 0; i <= n; i++ {
				length := 10
				if i == n {
					length = span - 10*n
				}
				parts = append(parts, fmt.Sprintf("%sx%d", num(start+float64(600*i)), length-1))
			}
			return strings.Join(parts, " "), true
		}
	}
	scenarios := []scenario{
		{name: "the real series, healthy", extra: ksm(3, 3),
			expect: append(append(at(10, before(10)), at(60, before(60))...), at(span, base)...)},
		{name: "no Felix connected", extra: ksm(3, 3),
			replace: func(s Series) (string, bool) { return constant(0), s.Name == "typha_connections_active" },
			expect:  append(at(9, nil), at(11, map[string][]expAlert{"TyphaNoFelixClients": {fires("TyphaNoFelixClients", nil)}})...)},
		{name: "connections at half the nodes do not fire", extra: ksm(3, 3),
			replace: onlyConnections(threshold),
			expect:  at(30, nil)},
		{name: "one connection fewer than half the nodes fires after 15 minutes", extra: ksm(3, 3),
			replace: onlyConnections(math.Ceil(threshold) - 1),
			expect:  append(at(14, nil), at(16, lowIf(math.Ceil(threshold)-1 > 0, fires("TyphaFelixConnectionsLow", nil)))...)},
		{name: "a replica unavailable", extra: ksm(5, 4),
			expect: append(at(9, before(9)), at(11, map[string][]expAlert{"TyphaReplicasUnavailable": {fires("TyphaReplicasUnavailable", ksmAlert)}})...)},
		{name: "ping latency at the threshold does not fire", extra: ksm(3, 3),
			replace: q99("typha_ping_latency", render.AlertPingLatencySeconds),
			expect:  at(15, before(15))},
		{name: "ping latency above the threshold fires after 10 minutes", extra: ksm(3, 3),
			replace: q99("typha_ping_latency", render.AlertPingLatencySeconds+1),
			expect:  append(at(9, before(9)), at(11, map[string][]expAlert{"TyphaPingLatencyHigh": {fires("TyphaPingLatencyHigh", nil)}})...)},
		{name: "snapshot send above the threshold fires after 5 minutes", extra: ksm(3, 3),
			replace: q99("typha_client_snapshot_send_secs", render.AlertSnapshotSeconds+1),
			expect:  append(at(4, before(4)), at(6, map[string][]expAlert{"TyphaSnapshotSendSlow": {fires("TyphaSnapshotSendSlow", nil)}})...)},
		{name: "restarts below the threshold do not fire", extra: ksm(3, 3),
			replace: restarts(render.AlertRestarts - 1),
			expect:  at(40, with(nil))},
		{name: "restarts at the threshold fire", extra: ksm(3, 3),
			replace: restarts(render.AlertRestarts),
			expect:  append(at(29, with(nil)), at(31, with(map[string][]expAlert{"TyphaRestarting": {fires("TyphaRestarting", scrape)}}))...)},
	}
	var tests []unitTest
	for _, sc := range scenarios {
		u := unitTest{Name: sc.name, Interval: "1m", AlertRuleTest: sc.expect}
		for _, s := range sample {
			values := constant(s.Value)
			if sc.replace != nil {
				if v, ok := sc.replace(s); ok {
					values = v
				}
			}
			u.InputSeries = append(u.InputSeries, inputSeries{Series: s.Scraped(), Values: values})
		}
		u.InputSeries = append(u.InputSeries, sc.extra...)
		tests = append(tests, u)
	}
	data, err := yaml.Marshal(testFile{RuleFiles: []string{"rules.yaml"}, EvaluationInterval: "1m", Tests: tests})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"test.yaml": data}, nil
}

// onlyConnections makes the sample's first typha_connections_active
// series hold n and any other 0.
func onlyConnections(n float64) func(Series) (string, bool) {
	first := true
	return func(s Series) (string, bool) {
		if s.Name != "typha_connections_active" {
			return "", false
		}
		v := 0.0
		if first {
			v, first = n, false
		}
		return constant(v), true
	}
}

func lowIf(ok bool, a expAlert) map[string][]expAlert {
	if !ok {
		return nil
	}
	return map[string][]expAlert{"TyphaFelixConnectionsLow": {a}}
}
