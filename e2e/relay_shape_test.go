//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// keyGaps are the keys a Typha release does not relay to Felix 3.24.5
// (key prefixes), by case: measured, see TestRelayShape's log.
var keyGaps = map[string][]string{
	// Felix 3.24.5's own felix syncer watches Services (calico v3.24.5,
	// libcalico-go/lib/backend/syncersv1/felixsyncer/felixsyncerv1.go,
	// KindKubernetesService); Typha v3.20.2's (libcalico-go 8f238d1920a5)
	// has no such watch, so Felix 3.24.5 through it holds no Service.
	"v3.20.2-endpointslice-v1": {"/calico/resources/v3/projectcalico.org/kubernetesservice/"},
}

// TestRelayShape is the relay benchmark's short form (BenchmarkRelay is
// the long one): a small Terway cluster with pods and NetworkPolicies, a
// few Felix 3.24.5 agents direct, then, for every Typha case of
// TestTyphaVersions that syncs, the rendered Deployment's replicas (each on
// a simulated node of its own) with a few agents and a few more through
// them; one failover. It asserts the shape the long form measures:
//
//   - direct, each agent opens the same number of WATCH requests on the
//     API server (15 for Felix 3.24.5 against Terway's CRDs);
//   - through Typha, the WATCH requests do not grow with the agents: the
//     replicas' own, whatever N;
//   - every agent reaches in-sync, a NetworkPolicy created, changed and
//     deleted reaches every one, and every agent ends with the API
//     server's key set (that of a fresh agent direct against it);
//   - after a SIGKILL of one replica, its agents are in sync again through
//     the others and no change made meanwhile is lost.
func TestRelayShape(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	b := newRelayBench(ctx, t, relayObjects{Namespaces: 5, Nodes: 20, Pods: 200, Policies: 100}, time.Hour)
	b.settle = time.Second
	set := phaseSettings{churn: 10, rounds: 1, syncBound: 2 * time.Minute, opBound: time.Minute, converge: true, settleWait: 30 * time.Second}
	empty := b.settledWatches(t, set.settleWait).totalWatches()
	t.Logf("cluster with %+v ready in %v; the API server has %d WATCH requests of its own", b.objects, time.Since(start).Round(time.Millisecond), empty)

	t.Run("direct", func(t *testing.T) {
		var per []float64
		for _, n := range []int{2, 4} {
			var ph loadPhase
			b.runLoadPhase(t, felixsimclient.ModeDirect, n, set, empty, &ph, nil)
			if ph.Error != "" {
				t.Fatalf("%d agents direct: %s", n, ph.Error)
			}
			t.Logf("%d agents direct: %s", n, phaseLine(ph))
			per = append(per, ph.WatchesPerClient)
			b.waitWatchesBack(t, empty)
		}
		if per[0] < 1 || per[0] != per[1] {
			t.Errorf("WATCH requests per agent direct: %v at 2 and 4 agents; want the same, at least 1", per)
		}
	})

	extras := readExtras(t)
	for _, tc := range typhaVersionCases {
		if tc.want != syncs {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.path(t, b.calico)
			b.e.setExtras(t, extras, tc.extra)
			r := b.renderFor(t, b.objects.Nodes, tc.release)
			b.startReplicas(t, "calico-typha-"+strings.ReplaceAll(tc.name, ".", "-"), bin, r)
			defer b.stopReplicas(t)
			var watches []int
			for _, n := range []int{5, 20} {
				var ph loadPhase
				var then func(sim *felixSim)
				if tc.release == "v3.24.5" && n == 20 {
					then = func(sim *felixSim) {
						f := b.failover(t, sim, n, set, time.Second, bin)
						if f.Error != "" || !f.ChangesArrived || !f.KeySetsEqual {
							t.Errorf("failover: %+v", f)
							return
						}
						t.Logf("failover: %d of %d agents on %s in sync again through the others %.2fs after its SIGKILL; %d changes made meanwhile all arrived; key sets equal the API server's",
							f.ClientsOnKilled, n, f.Killed, f.RecoverySeconds, f.ChangesDuring)
					}
				}
				b.runLoadPhase(t, felixsimclient.ModeTypha, n, set, empty, &ph, then)
				if ph.Error != "" {
					t.Fatalf("%d agents through %d replicas of %s: %s", n, r, tc.name, ph.Error)
				}
				t.Logf("%d agents through %d replicas: %s; agents per replica %v", n, r, phaseLine(ph), ph.Typha.AgentsPerRepl)
				if d := ph.KeySetDiff; d != nil {
					gap := keyGaps[tc.name]
					if len(gap) == 0 || !d.within(gap...) {
						t.Errorf("%d agents through %s all hold a key set that differs from the API server's beyond %q: %v", n, tc.name, gap, d)
					} else {
						t.Logf("%d agents through %s all hold the API server's key set but for keys %s does not relay: %v", n, tc.name, tc.release, d)
					}
				}
				if ph.Watches != *ph.WatchesWithoutClients {
					t.Errorf("%d agents through Typha: %d WATCH requests, %d without them; want no more", n, ph.Watches, *ph.WatchesWithoutClients)
				}
				watches = append(watches, ph.Watches)
			}
			if watches[0] != watches[1] {
				t.Errorf("WATCH requests through %d replicas: %v at 5 and 20 agents; want the same", r, watches)
			}
			t.Logf("%s: %d WATCH requests for %d replicas (%s per replica) at 5 and 20 agents", tc.name, watches[1], r, fmt.Sprintf("%.1f", float64(watches[1])/float64(r)))
		})
	}
}
