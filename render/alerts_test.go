package render_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/internal/alerttest"
	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// alertsDir holds the PrometheusRule's golden, the /metrics samples real
// Typhas served (each with its origin) and the promtool unit tests made
// from them.
var alertsDir = filepath.Join("..", "testdata", "alerts")

func alertsOptions() render.Options { return withCluster(render.Options{Metrics: true, Alerts: true}) }

func TestGoldenAlerts(t *testing.T) {
	t.Parallel()
	res := mustRender(t, alertsOptions())
	require.NotNil(t, res.PrometheusRule)
	objs := res.Objects()
	assert.Same(t, res.PrometheusRule, objs[len(objs)-1], "the PrometheusRule comes last")
	checkGoldenObjects(t, filepath.Join(alertsDir, "prometheusrule-1000.yaml"), res.PrometheusRule)
}

// TestAlertsNeedMetrics: alerts without the metrics they read are refused,
// naming the field.
func TestAlertsNeedMetrics(t *testing.T) {
	t.Parallel()
	o := alertsOptions()
	o.Metrics = false
	_, err := render.Render(o)
	var oe *render.OptionError
	require.True(t, errors.As(err, &oe), "%v", err)
	assert.Equal(t, "Alerts", oe.Field)
	assert.Contains(t, err.Error(), "Metrics")
	assert.Nil(t, mustRender(t, withCluster(render.Options{Metrics: true})).PrometheusRule, "no alerts unless asked")
}

// TestAlertsNodeCount: the connection threshold follows the node count.
func TestAlertsNodeCount(t *testing.T) {
	t.Parallel()
	for nodes, want := range map[int]string{1000: "< 500 ", 3001: "< 1500.5 ", 7: "< 3.5 "} {
		o := alertsOptions()
		o.Nodes = nodes
		res := mustRender(t, o)
		var expr string
		for _, r := range res.PrometheusRule.Spec.Groups[0].Rules {
			if r.Alert == "TyphaFelixConnectionsLow" {
				expr = r.Expr
			}
		}
		assert.Contains(t, expr, want, "nodes %d", nodes)
	}
}

// TestAlertMetricsInTable: every metric an alert reads is in Typha's
// metric table (every release) or is kube-state-metrics', and each alert
// cites a source.
func TestAlertMetricsInTable(t *testing.T) {
	t.Parallel()
	res := mustRender(t, alertsOptions())
	names := regexp.MustCompile(`\b[a-z_]+_[a-z_]+\b`)
	strs := regexp.MustCompile(`"[^"]*"`)
	for _, r := range res.PrometheusRule.Spec.Groups[0].Rules {
		assert.NotEmpty(t, r.Annotations["source"], r.Alert)
		for _, n := range names.FindAllString(strs.ReplaceAllString(r.Expr, ""), -1) {
			if n == "max_over_time" {
				continue
			}
			assert.True(t, terway.IsTyphaMetric(n) || strings.HasPrefix(n, "kube_deployment_"), "%s reads %s", r.Alert, n)
		}
	}
}

func TestPrometheusRuleDeepCopy(t *testing.T) {
	t.Parallel()
	pr := mustRender(t, alertsOptions()).PrometheusRule
	cp := pr.DeepCopyObject().(*render.PrometheusRule)
	require.Equal(t, pr, cp)
	cp.Spec.Groups[0].Rules[0].Labels["severity"] = "x"
	cp.Spec.Groups[0].Rules[0].Annotations["summary"] = "x"
	cp.Labels["k8s-app"] = "x"
	assert.NotEqual(t, "x", pr.Spec.Groups[0].Rules[0].Labels["severity"])
	assert.NotEqual(t, "x", pr.Spec.Groups[0].Rules[0].Annotations["summary"])
	assert.NotEqual(t, "x", pr.Labels["k8s-app"])
}

// TestAlertsPromtool checks the rendered rules with the real promtool:
// check rules, and test rules fed by the series that real Typhas served
// (testdata/alerts/typha-*.metrics, captured by e2e TestTyphaAlerts). The
// unit test files are goldens (testdata/alerts/typha-*.test.yaml), so
// that they are reviewed and promtool can run them by hand.
func TestAlertsPromtool(t *testing.T) {
	t.Parallel()
	samples, err := filepath.Glob(filepath.Join(alertsDir, "typha-*.metrics"))
	require.NoError(t, err)
	require.NotEmpty(t, samples, "no /metrics sample in %s", alertsDir)
	o := alertsOptions()
	res := mustRender(t, o)
	rules, err := alerttest.RulesFile(res.PrometheusRule)
	require.NoError(t, err)
	// The unit test files first (goldens, checked without promtool), then
	// promtool on each: without promtool the test skips in one line.
	type run struct {
		name  string
		tests map[string][]byte
	}
	var runs []run
	for _, path := range samples {
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(text, []byte("# origin: ")), "%s does not start with its origin", path)
		sample, err := alerttest.ParseSample(text)
		require.NoError(t, err, path)
		tests, err := alerttest.Tests(res.PrometheusRule, o.Nodes, sample)
		require.NoError(t, err)
		release := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "typha-"), ".metrics")
		for name, data := range tests {
			golden.Check(t, filepath.Join(alertsDir, "typha-"+release+"."+name), data)
		}
		runs = append(runs, run{filepath.Base(path), tests})
	}
	promtool := alerttest.Promtool(t)
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) { alerttest.Check(t, promtool, rules, r.tests) })
	}
}
