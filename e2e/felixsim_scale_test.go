//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// Sizes of TestFelixsimScale, overridable to measure (see its comment).
const (
	scaleTyphaEnv   = "TYPHARENDER_E2E_FELIXSIM_TYPHA"  // simulated Felix agents through Typha (default 200)
	scaleDirectEnv  = "TYPHARENDER_E2E_FELIXSIM_DIRECT" // simulated Felix agents without Typha (default 3)
	scalePolicies   = 100                               // NetworkPolicies in the cluster, so that each Felix holds more than the empty cluster's keys
	scaleTyphaTag   = "v3.24.5"
	scalePolicyName = "e2e-scale"
)

// TestFelixsimScale proves that one felixsim process holds many Felix 3.24.5
// agents through one Typha v3.24.5 (run as rendered, as Terway's
// ServiceAccount) and some without Typha, that every one of them reaches
// in-sync with the same key set (through Typha and direct alike), and that a
// NetworkPolicy made then reaches all of them. It logs what they cost
// felixsim (RSS, heap, goroutines and CPU per 1,000 agents) and the
// API server's WATCH requests. Not a benchmark: the sizes are small by
// default; to measure, for example:
//
//	TYPHARENDER_E2E_FELIXSIM_TYPHA=1000 TYPHARENDER_E2E_FELIXSIM_DIRECT=50 bash hack/e2e.sh -run TestFelixsimScale
func TestFelixsimScale(t *testing.T) {
	calico := calicoBinaries(t)
	nodeIP := privateNodeIP(t)
	nTypha, nDirect := scaleSize(t, scaleTyphaEnv, 200), scaleSize(t, scaleDirectEnv, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	env := newTerwayEnv(ctx, t, nodeIP)
	env.applyRendered(t, env.renderOptions(scaleTyphaTag))
	env.setEndpoints(t, false)
	kubeconfig := env.kubeconfigFor(t, terwaySA)
	for i := range scalePolicies {
		env.createNetworkPolicy(t, fmt.Sprintf("%s-%03d", scalePolicyName, i))
	}
	typha := env.startTyphaBinary(t, "calico-typha-"+scaleTyphaTag, filepath.Join(calico, "calico-typha-"+scaleTyphaTag), kubeconfig)
	env.waitTyphaReady(t, typha, typhaReadyBound)
	env.setEndpoints(t, true)
	sim := env.startFelixSim(t, filepath.Join(calico, felixsimName), kubeconfig)
	watches0 := watchRequests(t, env.c.config)

	// Through Typha.
	before := stats(t, sim)
	specs := make([]felixsimclient.Spec, nTypha)
	for i := range specs {
		specs[i] = felixsimclient.Spec{Node: fmt.Sprintf("typha-%05d", i), Mode: felixsimclient.ModeTypha, TyphaService: env.felixService}
	}
	start := time.Now()
	if err := sim.Start(ctx, specs...); err != nil {
		t.Fatal(err)
	}
	sum := waitAllInSync(t, sim, nTypha, 2*time.Minute+time.Duration(nTypha)*20*time.Millisecond, typha)
	took := time.Since(start)
	after := stats(t, sim)
	if len(sum.ByKeysHash) != 1 {
		t.Fatalf("%d Felix agents through Typha hold %d different key sets: %v", nTypha, len(sum.ByKeysHash), sum.ByKeysHash)
	}
	row, err := sim.Client(ctx, specs[0].Node)
	if err != nil {
		t.Fatal(err)
	}
	if row.Keys < scalePolicies {
		t.Fatalf("Felix %s holds %d keys; the cluster has %d NetworkPolicies", row.Node, row.Keys, scalePolicies)
	}
	t.Logf("%d Felix 3.24.5 agents through one Typha %s: all in sync %v after the request, each with the same %d keys (hash %s)", nTypha, scaleTyphaTag, took.Round(time.Millisecond), row.Keys, row.KeysHash)
	logCost(t, "through Typha", nTypha, before, after)
	watches1 := watchRequests(t, env.c.config)

	// A NetworkPolicy made now reaches every one of them.
	name := scalePolicyName + "-probe"
	key := felixsimclient.KubernetesNetworkPolicyKey("default", name)
	created := time.Now()
	env.createNetworkPolicy(t, name)
	lat := waitAllSeen(t, sim, key, nTypha, created, inSyncBound)
	t.Logf("NetworkPolicy default/%s reached all %d: p50 %v, p99 %v, max %v after its creation", name, nTypha,
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))

	// Without Typha: libcalico-go's felixsyncer against the API server.
	specs = make([]felixsimclient.Spec, nDirect)
	for i := range specs {
		specs[i] = felixsimclient.Spec{Node: fmt.Sprintf("direct-%05d", i), Mode: felixsimclient.ModeDirect,
			LogPath: filepath.Join(env.c.dir, fmt.Sprintf("felix-direct-%05d.log", i))}
	}
	before = stats(t, sim)
	start = time.Now()
	if err := sim.Start(ctx, specs...); err != nil {
		t.Fatal(err)
	}
	sum = waitAllInSync(t, sim, nTypha+nDirect, 2*time.Minute+time.Duration(nDirect)*time.Second, typha)
	took = time.Since(start)
	after = stats(t, sim)
	if len(sum.ByKeysHash) != 1 {
		t.Fatalf("Felix agents direct and through Typha hold %d different key sets: %v", len(sum.ByKeysHash), sum.ByKeysHash)
	}
	t.Logf("%d Felix 3.24.5 agents without Typha: all in sync %v after the request, with the key set of those through Typha", nDirect, took.Round(time.Millisecond))
	logCost(t, "direct", nDirect, before, after)
	watches2 := watchRequests(t, env.c.config)
	t.Logf("the API server's WATCH requests: %d before the agents, %d with %d through Typha, %d with %d more direct (%.1f per direct agent)",
		watches0, watches1, nTypha, watches2, nDirect, float64(watches2-watches1)/float64(nDirect))
	if watches2 <= watches1 {
		t.Errorf("%d direct agents added no WATCH request (%d, then %d)", nDirect, watches1, watches2)
	}
}

func scaleSize(t testing.TB, env string, def int) int {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a count of 1 or more", env, v)
	}
	return n
}

func stats(t testing.TB, sim *felixSim) felixsimclient.Stats {
	t.Helper()
	st, err := sim.Stats(sim.env.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// logCost logs what n more agents cost felixsim, per 1,000 agents.
func logCost(t testing.TB, what string, n int, before, after felixsimclient.Stats) {
	t.Helper()
	per := func(a, b uint64) string {
		return fmt.Sprintf("%.1f MiB", (float64(b)-float64(a))/float64(n)*1000/(1<<20))
	}
	t.Logf("felixsim, %d agents %s: RSS %.0f -> %.0f MiB, %s RSS and %s heap in use per 1,000 agents; %.1f goroutines and %d open files per agent; %.2f CPU seconds per 1,000 agents to reach in-sync",
		n, what, float64(before.RSS)/(1<<20), float64(after.RSS)/(1<<20), per(before.RSS, after.RSS), per(before.HeapInuse, after.HeapInuse),
		float64(after.Goroutines-before.Goroutines)/float64(n), (after.OpenFDs-before.OpenFDs)/n, (after.CPUSeconds-before.CPUSeconds)/float64(n)*1000)
}

// waitAllInSync waits until felixsim has n clients, all in sync.
func waitAllInSync(t testing.TB, sim *felixSim, n int, bound time.Duration, typha *process) felixsimclient.Summary {
	t.Helper()
	start := time.Now()
	for {
		if exited(sim.p) {
			t.Fatalf("felixsim exited: %v\n%s", sim.p.waitErr, tail(sim.p.logPath, 20))
		}
		sum, err := sim.Summary(sim.env.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Clients == n && sum.ByStatus[felixsimclient.StatusInSync] == n {
			return sum
		}
		if time.Since(start) > bound {
			t.Fatalf("after %v: %+v, want %d clients in sync; felixsim's last lines:\n%s\nTypha's last lines:\n%s", bound, sum, n, tail(sim.p.logPath, 20), tail(typha.logPath, 15))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitAllSeen waits until n clients hold key and returns, sorted, how long
// after since each first saw it.
func waitAllSeen(t testing.TB, sim *felixSim, key string, n int, since time.Time, bound time.Duration) []time.Duration {
	t.Helper()
	start := time.Now()
	for {
		seen, err := sim.Seen(sim.env.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var lat []time.Duration
		for _, s := range seen {
			if !s.Deleted && !s.Seen.Before(since) {
				lat = append(lat, s.Seen.Sub(since))
			}
		}
		if len(lat) >= n {
			slices.Sort(lat)
			return lat
		}
		if time.Since(start) > bound {
			t.Fatalf("%d of %d Felix agents hold %s after %v", len(lat), n, key, bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// watchRequests sums the API server's apiserver_longrunning_requests with
// verb WATCH: the watches open now.
func watchRequests(t testing.TB, cfg *rest.Config) int {
	t.Helper()
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt, Timeout: 10 * time.Second}).Get(cfg.Host + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "apiserver_longrunning_requests{") && strings.Contains(line, `verb="WATCH"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			total += v
		}
	}
	return int(total)
}
