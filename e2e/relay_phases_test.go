//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// The phases of the relay benchmark. Each returns its figures; a phase that
// cannot finish (agents that never sync, felixsim out of memory) says why in
// Error, so that a long run records how far the machine went.

// phaseSettings are what a phase does beyond starting agents.
type phaseSettings struct {
	window     time.Duration // steady window with churn (0: none)
	churn      float64       // pod updates a second during the window, the propagation and the faults
	rounds     int           // propagation rounds: create, change, delete
	syncBound  time.Duration // for all agents to reach in-sync
	opBound    time.Duration // for one change to reach every agent
	converge   bool          // check every agent's key set against the API server's at the end
	settleWait time.Duration // watches settle for at most this long
}

// serverCost is what one server process (or all Typha replicas together)
// spent in a phase.
type serverCost struct {
	CPUSecondsSync   float64 `json:"cpuSecondsSync"`                // from the first agent's start until all were in sync
	CPUCores         float64 `json:"cpuCores"`                      // over the steady window, with churn
	RSSMiB           float64 `json:"rssMiB"`                        // mean over the window (read every second)
	MaxRSSMiB        float64 `json:"maxRssMiB"`                     // the phase's maximum (sync, window, propagation), read every second
	CPUCoresIdle     float64 `json:"cpuCoresIdle,omitempty"`        // Typha: the same window and churn with no agent
	RSSMiBIdle       float64 `json:"rssMiBIdle,omitempty"`          // Typha: mean over that window
	ReadySeconds     float64 `json:"readySeconds,omitempty"`        // Typha: until every replica passed the rendered readinessProbe
	PerReplicaRSS    []int   `json:"perReplicaRssMiB,omitempty"`    // Typha: each replica's mean over the window
	PerReplicaMaxRSS []int   `json:"perReplicaMaxRssMiB,omitempty"` // Typha: each replica's maximum in the phase
	AgentsPerRepl    []int   `json:"agentsPerReplica,omitempty"`    // Typha: agents connected to each replica
}

// loadPhase is N agents direct or through R replicas.
type loadPhase struct {
	Mode                  string                 `json:"mode"` // direct or typha
	Clients               int                    `json:"clients"`
	Replicas              int                    `json:"replicas,omitempty"` // the rendered Deployment's, for a cluster of Clients nodes
	Started               string                 `json:"started"`
	LoadAverage           [2][3]float64          `json:"loadAverage"`          // /proc/loadavg at the start and at the end
	SyncSeconds           float64                `json:"syncSeconds"`          // from the first start request until every agent was in sync
	StartBatch            int                    `json:"startBatch"`           // agents started at once, the next batch when all are in sync (rolloutBatch)
	Restarts              int                    `json:"felixRestarts"`        // Felix restarts (the kubelet's) until all were in sync
	KeysPerAgent          int                    `json:"keysPerAgent"`         // what each agent holds (the first one's count)
	FelixsimHeapMiB       float64                `json:"felixsimHeapInuseMiB"` // felixsim's Go heap in use after a GC, once all were in sync
	Watches               int                    `json:"watches"`              // apiserver_longrunning_requests{verb="WATCH"} above the empty cluster's
	WatchesByResource     map[string]int         `json:"watchesByResource"`
	WatchesWithoutClients *int                   `json:"watchesWithoutClients,omitempty"` // typha: the replicas alone
	WatchesPerClient      float64                `json:"watchesPerClient"`                // (Watches - WatchesWithoutClients) / Clients
	RejectedSync          map[string]float64     `json:"rejectedWhileSyncing"`            // apiserver_flowcontrol_rejected_requests_total from the agents' start until all were in sync, by "reason priority-level/flow-schema"
	Rejected              map[string]float64     `json:"rejectedInSync"`                  // the same from then on: the window, the propagation rounds
	APIServer             serverCost             `json:"apiserver"`
	Etcd                  serverCost             `json:"etcd"`
	Typha                 *serverCost            `json:"typha,omitempty"`
	Felixsim              serverCost             `json:"felixsim"` // the simulator itself (not a cost of the system measured)
	Propagation           map[string]percentiles `json:"propagation,omitempty"`
	KeySetsEqual          *bool                  `json:"keySetsEqualApiServer,omitempty"`
	KeySetDiff            *keySetDiff            `json:"keySetDiff,omitempty"` // how the agents' (all alike) differs from the API server's
	Error                 string                 `json:"error,omitempty"`
}

const mib = 1 << 20

// snapshot is the API server's, etcd's, felixsim's and every replica's
// /proc figures at one moment.
type snapshot struct {
	at                  time.Time
	apiserver, etcd, fx procFigures
	typha               []procFigures
}

func (b *relayBench) snap(t testing.TB, sim *felixSim) snapshot {
	t.Helper()
	s := snapshot{at: time.Now()}
	var err error
	if s.apiserver, err = readProc(b.e.c.apiserver.cmd.Process.Pid); err != nil {
		t.Fatalf("kube-apiserver: %v", err)
	}
	if s.etcd, err = readProc(b.e.c.etcd.cmd.Process.Pid); err != nil {
		t.Fatalf("etcd: %v", err)
	}
	if sim != nil && !exited(sim.p) {
		s.fx, _ = readProc(sim.p.cmd.Process.Pid)
	}
	s.typha = b.replicaFigures(t)
	return s
}

// runLoadPhase starts n agents in mode (through the replicas that run now,
// for typha), waits until all are in sync and measures. The caller has
// started the replicas; watchesEmpty is the empty cluster's WATCH count.
// With then, the phase runs then(sim) after its own figures are taken and
// before it stops the agents.
func (b *relayBench) runLoadPhase(t testing.TB, mode string, n int, set phaseSettings, watchesEmpty int, ph *loadPhase, then func(sim *felixSim)) {
	t.Helper()
	ph.Mode, ph.Clients, ph.Replicas = mode, n, len(b.replicas)
	ph.Started = time.Now().UTC().Format(time.RFC3339)
	ph.LoadAverage[0] = loadAverage()
	defer func() { ph.LoadAverage[1] = loadAverage() }()

	if mode == felixsimclient.ModeTypha {
		m := b.settledWatches(t, set.settleWait)
		w := m.totalWatches() - watchesEmpty
		ph.WatchesWithoutClients = &w
		ph.Typha = &serverCost{}
		b.sampler.reset()
		b.churn.start(set.churn)
		s0 := b.snap(t, nil)
		time.Sleep(max(set.window, 2*time.Second))
		s1 := b.snap(t, nil)
		b.churn.pause()
		ph.Typha.CPUCoresIdle = (sumFigures(s1.typha).cpu - sumFigures(s0.typha).cpu) / s1.at.Sub(s0.at).Seconds()
		ph.Typha.RSSMiBIdle = b.replicaRSS(b.sampler.reset(), rssStats.mean) / mib
	}
	sim := b.startSim(t)
	defer func() {
		sim.p.stop(t)
		b.sampler.watch("felixsim", 0)
	}()
	b.sampler.reset()
	before := b.scrape(t)
	s0 := b.snap(t, sim)
	specs := b.agentSpecs(mode, mode, 0, n)
	ph.StartBatch = rolloutBatch(n)
	start := time.Now()
	if err := startAgents(b.e.ctx, sim, specs, set.syncBound); err != nil {
		ph.Error = fmt.Sprintf("%d agents %s: %v", n, mode, err)
		ph.RejectedSync = diffRejected(before.rejected, b.scrape(t).rejected)
		b.phaseMaxima(ph, b.sampler.reset())
		return
	}
	ph.SyncSeconds = time.Since(start).Seconds()
	if sum, err := sim.Summary(b.e.ctx); err == nil {
		ph.Restarts = sum.Restarts
	}
	if row, err := sim.Client(b.e.ctx, specs[0].Node); err == nil {
		ph.KeysPerAgent = row.Keys
	}
	s1 := b.snap(t, sim)
	synced := b.scrape(t)
	ph.RejectedSync = diffRejected(before.rejected, synced.rejected)
	ph.APIServer.CPUSecondsSync = s1.apiserver.cpu - s0.apiserver.cpu
	ph.Etcd.CPUSecondsSync = s1.etcd.cpu - s0.etcd.cpu
	ph.Felixsim.CPUSecondsSync = s1.fx.cpu - s0.fx.cpu
	if ph.Typha != nil {
		ph.Typha.CPUSecondsSync = sumFigures(s1.typha).cpu - sumFigures(s0.typha).cpu
	}
	syncMax := b.sampler.reset()
	if st, err := sim.Stats(b.e.ctx, true); err == nil {
		ph.FelixsimHeapMiB = float64(st.HeapInuse) / mib
	}

	m := b.settledWatches(t, set.settleWait)
	ph.Watches = m.totalWatches() - watchesEmpty
	ph.WatchesByResource = m.watches
	base := 0
	if ph.WatchesWithoutClients != nil {
		base = *ph.WatchesWithoutClients
	}
	ph.WatchesPerClient = float64(ph.Watches-base) / float64(n)

	b.churn.start(set.churn)
	if set.window > 0 {
		b.sampler.reset()
		w0 := b.snap(t, sim)
		time.Sleep(set.window)
		w1 := b.snap(t, sim)
		win := b.sampler.reset()
		secs := w1.at.Sub(w0.at).Seconds()
		ph.APIServer.CPUCores = (w1.apiserver.cpu - w0.apiserver.cpu) / secs
		ph.Etcd.CPUCores = (w1.etcd.cpu - w0.etcd.cpu) / secs
		ph.Felixsim.CPUCores = (w1.fx.cpu - w0.fx.cpu) / secs
		ph.APIServer.RSSMiB = win["kube-apiserver"].mean() / mib
		ph.Etcd.RSSMiB = win["etcd"].mean() / mib
		ph.Felixsim.RSSMiB = win["felixsim"].mean() / mib
		if ph.Typha != nil {
			ph.Typha.CPUCores = (sumFigures(w1.typha).cpu - sumFigures(w0.typha).cpu) / secs
			ph.Typha.RSSMiB = b.replicaRSS(win, rssStats.mean) / mib
			for _, r := range b.replicas {
				ph.Typha.PerReplicaRSS = append(ph.Typha.PerReplicaRSS, int(win[r.name].mean()/mib+0.5))
			}
		}
		b.phaseMaxima(ph, win)
	}
	if ph.Typha != nil {
		ph.Typha.AgentsPerRepl = b.agentsPerReplica(t, sim)
	}
	if set.rounds > 0 {
		lat, err := b.propagate(sim, n, set.rounds, set.opBound)
		ph.Propagation = map[string]percentiles{}
		var all []time.Duration
		for op, l := range lat {
			ph.Propagation[op] = percentilesOf(l)
			all = append(all, l...)
		}
		ph.Propagation["all"] = percentilesOf(all)
		if err != nil {
			ph.Error = "propagation: " + err.Error()
		}
	}
	b.churn.pause()
	if set.converge && ph.Error == "" {
		diff, err := b.converged(b.e.ctx, sim, n, fmt.Sprintf("%s-%d", mode, n), set.syncBound)
		equal := diff == nil && err == nil
		ph.KeySetsEqual, ph.KeySetDiff = &equal, diff
		if err != nil {
			ph.Error = err.Error()
		}
	}
	ph.Rejected = diffRejected(synced.rejected, b.scrape(t).rejected)
	b.phaseMaxima(ph, syncMax)
	b.phaseMaxima(ph, b.sampler.reset())
	if then != nil && ph.Error == "" {
		then(sim)
	}
}

// phaseMaxima raises the phase's maximum RSS figures to those of st.
func (b *relayBench) phaseMaxima(ph *loadPhase, st map[string]rssStats) {
	ph.APIServer.MaxRSSMiB = max(ph.APIServer.MaxRSSMiB, st["kube-apiserver"].max/mib)
	ph.Etcd.MaxRSSMiB = max(ph.Etcd.MaxRSSMiB, st["etcd"].max/mib)
	ph.Felixsim.MaxRSSMiB = max(ph.Felixsim.MaxRSSMiB, st["felixsim"].max/mib)
	if ph.Typha != nil {
		ph.Typha.MaxRSSMiB = max(ph.Typha.MaxRSSMiB, b.replicaRSS(st, func(r rssStats) float64 { return r.max })/mib)
		if len(ph.Typha.PerReplicaMaxRSS) != len(b.replicas) {
			ph.Typha.PerReplicaMaxRSS = make([]int, len(b.replicas))
		}
		for i, r := range b.replicas {
			ph.Typha.PerReplicaMaxRSS[i] = max(ph.Typha.PerReplicaMaxRSS[i], int(st[r.name].max/mib+0.5))
		}
	}
}

// replicaRSS sums f over the running replicas' samples.
func (b *relayBench) replicaRSS(st map[string]rssStats, f func(rssStats) float64) float64 {
	var sum float64
	for _, r := range b.replicas {
		sum += f(st[r.name])
	}
	return sum
}

// agentsPerReplica counts the agents connected to each running replica.
func (b *relayBench) agentsPerReplica(t testing.TB, sim *felixSim) []int {
	t.Helper()
	rows, err := sim.Clients(b.e.ctx)
	if err != nil {
		t.Logf("agents per replica: %v", err)
		return nil
	}
	port := b.typhaPort(t)
	out := make([]int, len(b.replicas))
	for _, row := range rows {
		for i, r := range b.replicas {
			if row.TyphaAddr == r.addr(port) {
				out[i]++
			}
		}
	}
	return out
}

// typhaPort is the rendered container's port named calico-typha.
func (b *relayBench) typhaPort(t testing.TB) int32 {
	t.Helper()
	for _, p := range b.e.container.Ports {
		if p.Name == felixPortName {
			return p.ContainerPort
		}
	}
	t.Fatalf("the rendered container has no port named %s", felixPortName)
	return 0
}

// ---- failover ----

// failoverResult is one SIGKILL of a Typha replica under load.
type failoverResult struct {
	Clients            int           `json:"clients"`
	Replicas           int           `json:"replicas"`
	LoadAverage        [2][3]float64 `json:"loadAverage"`
	Killed             string        `json:"killed"`
	ClientsOnKilled    int           `json:"clientsOnKilled"`
	EndpointsLag       float64       `json:"endpointsLagSeconds"` // from the kill until the Endpoints list the replica no more (the endpoints controller's part, modelled)
	RecoverySeconds    float64       `json:"recoverySeconds"`     // from the kill until every agent of the killed replica was in sync again through another
	RecoveryPerAgent   percentiles   `json:"recoveryPerAgent"`    // the same, per agent of the killed replica
	FelixsimCPUSeconds float64       `json:"felixsimCpuSeconds"`  // what the simulated agents spent meanwhile, on this machine's shared cores
	Reconnected        int           `json:"reconnected"`         // agents that connected again
	FelixRestarts      int           `json:"felixRestarts"`       // Felix restarts meanwhile: one per agent of the killed replica, more if a reconnection failed
	OthersDisturbed    int           `json:"othersDisturbed"`     // agents of the other replicas that left in-sync
	ChangesDuring      int           `json:"changesDuring"`       // NetworkPolicy creates, changes and deletes made from the kill on
	ChangesArrived     bool          `json:"changesArrived"`      // every agent holds each one's final state
	KeySetsEqual       bool          `json:"keySetsEqualApiServer"`
	ReplacementReady   float64       `json:"replacementReadySeconds"` // a new replica, as the Deployment starts one, until Ready
	PodUpdatesDuring   int64         `json:"podUpdatesDuring"`        // churn meanwhile
	RecoveryGoalSecond float64       `json:"recoveryGoalSeconds"`     // the goal
	GoalMet            bool          `json:"goalMet"`                 // RecoverySeconds <= RecoveryGoalSecond and nothing lost
	Error              string        `json:"error,omitempty"`
}

// policyOp is one change of a NetworkPolicy and what the API server
// answered: the state every agent must end with.
type policyOp struct {
	name    string
	op      string
	rv      string // after create or change
	deleted bool
}

// changeLoop makes count NetworkPolicy changes, one every interval, on
// policies prefix-0 and up: it creates them, changes each after its
// creation and deletes the first half; it returns each policy's final
// state when done.
func (b *relayBench) changeLoop(ctx context.Context, prefix string, count int, interval time.Duration) <-chan []policyOp {
	out := make(chan []policyOp, 1)
	go func() {
		nps := b.admin.NetworkingV1().NetworkPolicies(b.probeNS)
		final := map[string]policyOp{}
		var order []string
		stored := map[string]*networkingv1.NetworkPolicy{}
		for i := 0; i < count; i++ {
			k := i / 3
			name := fmt.Sprintf("%s-%d", prefix, k)
			var op policyOp
			var err error
			switch i % 3 {
			case 0:
				var np *networkingv1.NetworkPolicy
				np, err = nps.Create(ctx, benchPolicy(b.probeNS, name, i), metav1.CreateOptions{})
				if err == nil {
					stored[name] = np
					op = policyOp{name: name, op: "create", rv: np.ResourceVersion}
					order = append(order, name)
				}
			case 1:
				np := benchPolicy(b.probeNS, name, i)
				np.ResourceVersion = stored[name].ResourceVersion
				np, err = nps.Update(ctx, np, metav1.UpdateOptions{})
				if err == nil {
					op = policyOp{name: name, op: "change", rv: np.ResourceVersion}
				}
			case 2:
				if k%2 == 1 {
					continue // keep odd ones
				}
				err = nps.Delete(ctx, name, metav1.DeleteOptions{})
				op = policyOp{name: name, op: "delete", deleted: true}
			}
			if err != nil {
				op = policyOp{name: name, op: "error: " + err.Error()}
			}
			final[name] = op
			time.Sleep(interval)
		}
		var ops []policyOp
		for _, n := range order {
			ops = append(ops, final[n])
		}
		out <- ops
	}()
	return out
}

// checkOps checks that every one of n agents holds each policy's final
// state; it returns what is wrong, if anything.
func (b *relayBench) checkOps(ctx context.Context, sim *felixSim, n int, ops []policyOp, bound time.Duration) []string {
	var wrong []string
	for _, op := range ops {
		if strings.HasPrefix(op.op, "error") {
			wrong = append(wrong, op.name+": "+op.op)
			continue
		}
		key := felixsimclient.KubernetesNetworkPolicyKey(b.probeNS, op.name)
		start := time.Now()
		for {
			seen, err := sim.Seen(ctx, key)
			if err != nil {
				wrong = append(wrong, err.Error())
				break
			}
			// A deletion reaches an agent as a deletion, or not at all
			// when it never held the policy (it was away meanwhile).
			good := 0
			if op.deleted {
				good = n
			}
			for _, s := range seen {
				switch {
				case op.deleted && !s.Deleted:
					good--
				case !op.deleted && !s.Deleted && s.Revision == op.rv:
					good++
				}
			}
			if good >= n {
				break
			}
			if time.Since(start) > bound {
				wrong = append(wrong, fmt.Sprintf("%s (%s, revision %q): %d of %d agents hold it", op.name, op.op, op.rv, good, n))
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return wrong
}

// failover SIGKILLs the first replica with n agents in sync, as a node or
// a container dies: its agents' connections break, Felix restarts, finds
// the other replicas in the Endpoints and syncs again. NetworkPolicies
// change meanwhile. Then a replacement replica starts, as the Deployment
// would start one.
func (b *relayBench) failover(t testing.TB, sim *felixSim, n int, set phaseSettings, endpointsLag time.Duration, bin string) failoverResult {
	t.Helper()
	res := failoverResult{Clients: n, Replicas: len(b.replicas), EndpointsLag: endpointsLag.Seconds(), RecoveryGoalSecond: 30}
	res.LoadAverage[0] = loadAverage()
	port := b.typhaPort(t)
	victim := b.replicas[0]
	rows, err := sim.Clients(b.e.ctx)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	affected := map[string]int{} // node -> connects before
	for _, r := range rows {
		if r.TyphaAddr == victim.addr(port) {
			affected[r.Node] = r.Connects
		}
	}
	res.Killed, res.ClientsOnKilled = victim.name, len(affected)
	sum0, err := sim.Summary(b.e.ctx)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	fx0, _ := readProc(sim.p.cmd.Process.Pid)
	b.churn.start(set.churn)
	updates0 := b.churn.Updates.Load()
	const changes = 24
	done := b.changeLoop(b.e.ctx, "failover", changes, 500*time.Millisecond)
	res.ChangesDuring = changes - changes/6 // the odd policies are not deleted
	kill := time.Now()
	_ = syscall.Kill(-victim.p.cmd.Process.Pid, syscall.SIGKILL)
	<-victim.p.exited
	b.sampler.watch(victim.name, 0)
	b.replicas = b.replicas[1:]
	time.Sleep(endpointsLag)
	b.e.publishEndpoints(t, replicaAddresses(b.replicas))
	t.Logf("failover: SIGKILL %s (%d of %d agents); Endpoints without it %v later", victim.name, len(affected), n, endpointsLag)

	deadline := kill.Add(set.syncBound)
	for {
		rows, err := sim.Clients(b.e.ctx)
		if err != nil {
			res.Error = err.Error()
			break
		}
		back, inSync, latest, others := 0, 0, kill, 0
		var each []time.Duration
		for _, r := range rows {
			since, _ := time.Parse(time.RFC3339Nano, r.InSyncSince)
			if r.Status == felixsimclient.StatusInSync {
				inSync++
			}
			before, hit := affected[r.Node]
			if !hit {
				if since.After(kill) {
					others++
				}
				continue
			}
			if r.Status == felixsimclient.StatusInSync && since.After(kill) && r.Connects > before && r.TyphaAddr != victim.addr(port) {
				back++
				each = append(each, since.Sub(kill))
				if since.After(latest) {
					latest = since
				}
			}
		}
		if back == len(affected) && inSync == n {
			res.RecoverySeconds = latest.Sub(kill).Seconds()
			res.RecoveryPerAgent = percentilesOf(each)
			if fx1, err := readProc(sim.p.cmd.Process.Pid); err == nil {
				res.FelixsimCPUSeconds = fx1.cpu - fx0.cpu
			}
			res.Reconnected, res.OthersDisturbed = back, others
			break
		}
		if time.Now().After(deadline) {
			res.Error = fmt.Sprintf("after %v: %d of %d agents of %s in sync again, %d of %d in sync", set.syncBound, back, len(affected), victim.name, inSync, n)
			break
		}
		time.Sleep(time.Second)
	}
	if sum, err := sim.Summary(b.e.ctx); err == nil {
		res.FelixRestarts = sum.Restarts - sum0.Restarts
	}
	ops := <-done
	res.PodUpdatesDuring = b.churn.Updates.Load() - updates0
	wrong := b.checkOps(b.e.ctx, sim, n, ops, set.opBound)
	res.ChangesArrived = len(wrong) == 0
	if len(wrong) > 0 && res.Error == "" {
		res.Error = "changes lost: " + strings.Join(wrong, "; ")
	}
	diff, err := b.converged(b.e.ctx, sim, n, "failover", set.syncBound)
	res.KeySetsEqual = diff == nil && err == nil
	if err == nil && diff != nil {
		err = fmt.Errorf("key sets differ from the API server's: %v", diff)
	}
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	took := b.startReplicas(t, "calico-typha-replacement", bin, 1)
	res.ReplacementReady = took.Seconds()
	res.GoalMet = res.Error == "" && res.RecoverySeconds <= res.RecoveryGoalSecond && res.ChangesArrived && res.KeySetsEqual
	res.LoadAverage[1] = loadAverage()
	t.Logf("failover: %+v", res)
	return res
}

// ---- faults ----

// faultResult is one fault of the datastore under load.
type faultResult struct {
	Name            string             `json:"name"`
	How             string             `json:"how"`
	Clients         int                `json:"clients"`
	LoadAverage     [2][3]float64      `json:"loadAverage"`
	DownSeconds     float64            `json:"apiserverDownSeconds,omitempty"`
	RecoverySeconds float64            `json:"recoverySeconds"` // from the API server's return (or the compaction) until every agent was in sync with every change made since
	LeftInSync      int                `json:"agentsThatLeftInSync"`
	ChangesArrived  bool               `json:"changesArrived"`
	KeySetsEqual    bool               `json:"keySetsEqualApiServer"`
	TyphaLog        map[string]int     `json:"typhaLogLines"` // lines of libcalico-go's watcher cache in the replicas' logs meanwhile (typhaLogMarks)
	Compacted       int64              `json:"compactedRevision,omitempty"`
	Rejected        map[string]float64 `json:"rejectedAfter,omitempty"` // apiserver_flowcontrol_rejected_requests_total of the API server that came back, until the agents recovered
	Error           string             `json:"error,omitempty"`
}

// typhaLogMarks are libcalico-go's watcher cache lines (v3.24.5,
// libcalico-go/lib/backend/watchersyncer/watchercache.go) that say what a
// replica's watches went through: a watch that could not be made again
// (the API server away), a list from the last revision that the API server
// refused as expired (410 Gone: the revision was compacted), an expired
// watch (a 410 event on an open watch), and every attempt at a full list.
var typhaLogMarks = map[string]string{
	"watchNotRecreated": "Failed to create watcher",
	"listExpired":       "Clearing cached watch revision for next List call",
	"watchExpired":      "Watch error received from Upstream",
	"fullResyncTries":   "Full resync is required",
}

// typhaLogCounts counts typhaLogMarks in every running replica's log.
func (b *relayBench) typhaLogCounts() map[string]int {
	out := map[string]int{}
	for _, r := range b.replicas {
		for name, mark := range typhaLogMarks {
			out[name] += len(grepFile(r.p.logPath, mark))
		}
	}
	return out
}

// fault runs one fault with n agents in sync through the replicas:
// "apiserver-restart" (SIGTERM, down for down, started again),
// "etcd-compaction" (etcd compacted at its current revision, nothing else)
// or "etcd-compaction-and-restart" (compacted, then restarted: every watch
// comes back from a compacted revision and expires). Changes are made
// just before and just after.
func (b *relayBench) fault(t testing.TB, sim *felixSim, n int, name string, down time.Duration, set phaseSettings) (res faultResult) {
	t.Helper()
	res = faultResult{Name: name, Clients: n}
	res.LoadAverage[0] = loadAverage()
	defer func() { res.LoadAverage[1] = loadAverage() }()
	logs0 := b.typhaLogCounts()
	b.churn.start(set.churn)
	nps := b.admin.NetworkingV1().NetworkPolicies(b.probeNS)
	// The same fault may run twice (with agents direct, then through
	// Typha): its NetworkPolicies are named by its number in the run.
	b.faults++
	prefix := fmt.Sprintf("%s-%d", name, b.faults)
	pre, err := nps.Create(b.e.ctx, benchPolicy(b.probeNS, prefix+"-before", 1), metav1.CreateOptions{})
	if err != nil {
		b.churn.pause()
		res.Error = err.Error()
		return res
	}
	var stopped time.Time
	back := time.Now()
	switch name {
	case "apiserver-restart":
		res.How = fmt.Sprintf("SIGTERM to kube-apiserver, %v down, started again with the same flags", down)
		b.churn.pause()
		stopped, back = b.e.c.restartAPIServer(t, down)
	case "etcd-compaction":
		rev := b.compactEtcd(t)
		res.Compacted = rev
		res.How = "etcd compacted (physical) at its current revision while every watch runs; no restart"
		back = time.Now()
		time.Sleep(20 * time.Second) // what it does to running watches, if anything
	case "etcd-compaction-and-restart":
		time.Sleep(5 * time.Second) // more revisions to compact
		rev := b.compactEtcd(t)
		res.Compacted = rev
		res.How = fmt.Sprintf("etcd compacted (physical) at its current revision, then kube-apiserver restarted (SIGTERM, %v down): every watch returns at a compacted revision", down)
		b.churn.pause()
		stopped, back = b.e.c.restartAPIServer(t, down)
	default:
		t.Fatalf("unknown fault %q", name)
	}
	if !stopped.IsZero() {
		res.DownSeconds = back.Sub(stopped).Seconds()
		b.sampler.watch("kube-apiserver", b.e.c.apiserver.cmd.Process.Pid)
		b.churn.start(set.churn)
	}
	// Changes after: one new policy, the one made before changed.
	ops := []policyOp{}
	post, err := b.createRetrying(benchPolicy(b.probeNS, prefix+"-after", 2))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	ops = append(ops, policyOp{name: post.Name, op: "create", rv: post.ResourceVersion})
	upd := benchPolicy(b.probeNS, pre.Name, 3)
	upd.ResourceVersion = pre.ResourceVersion
	if upd, err = nps.Update(b.e.ctx, upd, metav1.UpdateOptions{}); err != nil {
		res.Error = err.Error()
		return res
	}
	ops = append(ops, policyOp{name: upd.Name, op: "change", rv: upd.ResourceVersion})
	wrong := b.checkOps(b.e.ctx, sim, n, ops, set.syncBound)
	res.ChangesArrived = len(wrong) == 0
	if _, err := waitInSync(b.e.ctx, sim, n, set.syncBound); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	res.RecoverySeconds = time.Since(back).Seconds()
	if !stopped.IsZero() {
		// A new API server's counters start at zero.
		res.Rejected = diffRejected(nil, b.scrape(t).rejected)
	}
	if len(wrong) > 0 && res.Error == "" {
		res.Error = "changes lost: " + strings.Join(wrong, "; ")
	}
	rows, err := sim.Clients(b.e.ctx)
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	from := back
	if !stopped.IsZero() {
		from = stopped
	}
	for _, r := range rows {
		if since, _ := time.Parse(time.RFC3339Nano, r.InSyncSince); since.After(from) {
			res.LeftInSync++
		}
	}
	diff, err := b.converged(b.e.ctx, sim, n, name, set.syncBound)
	res.KeySetsEqual = diff == nil && err == nil
	if err == nil && diff != nil {
		err = fmt.Errorf("key sets differ from the API server's: %v", diff)
	}
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	res.TyphaLog = map[string]int{}
	for name, n := range b.typhaLogCounts() {
		res.TyphaLog[name] = n - logs0[name]
	}
	t.Logf("fault %s: %+v", name, res)
	return res
}

// createRetrying creates np, retrying for a minute while the API server
// comes back.
func (b *relayBench) createRetrying(np *networkingv1.NetworkPolicy) (*networkingv1.NetworkPolicy, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := b.admin.NetworkingV1().NetworkPolicies(np.Namespace).Create(b.e.ctx, np, metav1.CreateOptions{})
		if err == nil || time.Now().After(deadline) {
			return got, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// compactEtcd compacts etcd at its current revision (physically, as the
// API server's own periodic compaction does) through etcd's JSON gateway
// and returns the revision.
func (b *relayBench) compactEtcd(t testing.TB) int64 {
	t.Helper()
	var rng struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	key := base64.StdEncoding.EncodeToString([]byte("/registry/"))
	if err := etcdPost(b.e.ctx, b.e.c.etcdURL+"/v3/kv/range", map[string]any{"key": key, "limit": 1}, &rng); err != nil {
		t.Fatalf("etcd range: %v", err)
	}
	rev, err := strconv.ParseInt(rng.Header.Revision, 10, 64)
	if err != nil {
		t.Fatalf("etcd revision %q: %v", rng.Header.Revision, err)
	}
	if err := etcdPost(b.e.ctx, b.e.c.etcdURL+"/v3/kv/compaction", map[string]any{"revision": strconv.FormatInt(rev, 10), "physical": true}, nil); err != nil {
		t.Fatalf("etcd compaction at %d: %v", rev, err)
	}
	t.Logf("etcd compacted at revision %d", rev)
	return rev
}

func etcdPost(ctx context.Context, url string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, got)
	}
	if out != nil {
		return json.Unmarshal(got, out)
	}
	return nil
}
