//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/internal/alerttest"
	"github.com/typharender/typharender/terway"
)

// alertsCaptureEnv names a directory: TestTyphaAlerts writes each Typha's
// /metrics there as typha-<release>.metrics, with its origin, for the
// unit tests (testdata/alerts).
const alertsCaptureEnv = "TYPHARENDER_E2E_ALERTS_CAPTURE"

// alertReleases are the Typha releases render gives Terway clusters by
// default (v3.24.5 from Kubernetes 1.25) and the newest that serves
// Terway's CRDs (v3.28.5); the v3.20.2 builds run in TestTyphaRelay.
var alertReleases = []string{"v3.24.5", "v3.28.5"}

// TestTyphaAlerts runs each release as rendered with metrics.enabled and
// alerts.enabled, with one Felix 3.24.5 (felixsim) in sync through it,
// scrapes its /metrics on the rendered metrics port, and checks the
// rendered PrometheusRule with the real promtool: check rules, and test
// rules fed by the series this Typha just served (internal/alerttest).
func TestTyphaAlerts(t *testing.T) {
	promtool := alerttest.Promtool(t)
	calico := calicoBinaries(t)
	nodeIP := privateNodeIP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := newTerwayEnv(ctx, t, nodeIP)
	env.applyRendered(t, env.renderOptions(""))
	kubeconfig := env.kubeconfigFor(t, terwaySA)
	sim := env.startFelixSim(t, filepath.Join(calico, felixsimName), kubeconfig)
	for _, release := range alertReleases {
		t.Run(release, func(t *testing.T) {
			opts := env.renderOptions(release)
			opts.Metrics, opts.Alerts = true, true
			// The API server here serves no PrometheusRule: only the
			// Deployment is applied, and run.
			res := env.applyRenderedDeployment(t, opts)
			if res.PrometheusRule == nil {
				t.Fatal("alerts.enabled rendered no PrometheusRule")
			}
			port := int32(0)
			for _, p := range env.container.Ports {
				if p.Name == terway.TyphaMetricsPortName {
					port = p.ContainerPort
				}
			}
			if port == 0 {
				t.Fatalf("the rendered container has no port named %s: %+v", terway.TyphaMetricsPortName, env.container.Ports)
			}
			env.setEndpoints(t, false)
			bin := filepath.Join(calico, "calico-typha-"+release)
			typha := env.startTyphaBinary(t, "typha-alerts-"+release, bin, kubeconfig)
			env.waitTyphaReady(t, typha, typhaReadyBound)
			env.setEndpoints(t, true)
			fx := sim.start(t, "felix-alerts-"+release)
			fx.waitFor(t, "in sync", inSyncBound, typha, func(c felixsimclient.Client) bool { return c.Status == felixsimclient.StatusInSync })
			// Typha pings every 10 s: wait for a pong, so that the ping
			// latency summary holds a real observation.
			url := fmt.Sprintf("http://%s%s", net.JoinHostPort(env.nodeIP, strconv.Itoa(int(port))), terway.TyphaMetricsPath)
			var body string
			deadline := time.Now().Add(45 * time.Second)
			for {
				body = scrape(ctx, t, url)
				if strings.Contains(body, "\ntypha_connections_active 1\n") && pongs(body) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no typha_connections_active 1 with a ping latency observed after 45 s; it served:\n%s", url, body)
				}
				time.Sleep(time.Second)
			}
			sample, err := alerttest.ParseSample([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			if dir := os.Getenv(alertsCaptureEnv); dir != "" {
				origin := fmt.Sprintf("# origin: Typha %s (%s, built by hack/calico-binaries.sh from /work/shared/third_party/calico/calico-%s.tar.xz), as typharender renders it with metrics.enabled=true, one Felix 3.24.5 (e2e/felixsim) in sync through it, on kube-apiserver %s; scraped at %s by e2e TestTyphaAlerts (%s=DIR bash hack/e2e.sh -run TestTyphaAlerts)\n",
					release, filepath.Base(bin), release, env.kubeVersion, url, alertsCaptureEnv)
				path := filepath.Join(dir, "typha-"+release+".metrics")
				if err := os.WriteFile(path, []byte(origin+body), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", path)
			}
			rules, err := alerttest.RulesFile(res.PrometheusRule)
			if err != nil {
				t.Fatal(err)
			}
			tests, err := alerttest.Tests(res.PrometheusRule, opts.Nodes, sample)
			if err != nil {
				t.Fatal(err)
			}
			alerttest.Check(t, promtool, rules, tests)
			t.Logf("%s: %d series the alerts read, from %s", release, len(sample), url)
		})
	}
}

// scrape returns what url serves, or fails t.
func scrape(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: HTTP %d, %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// pongs returns the largest typha_ping_latency_count in a /metrics text.
func pongs(body string) float64 {
	most := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "typha_ping_latency_count") {
			continue
		}
		if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil && v > most {
			most = v
		}
	}
	return most
}
