//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// Settings of BenchmarkRelay (make bench-relay sets the first).
const (
	relayOutEnv     = "TYPHARENDER_BENCH_RELAY_OUT"      // where the JSON result goes (required)
	relayDirectEnv  = "TYPHARENDER_BENCH_RELAY_DIRECT"   // agents direct, a comma-separated list (default 50,100,200; none: no phase)
	relayTyphaEnv   = "TYPHARENDER_BENCH_RELAY_TYPHA"    // agents through Typha (default 100,1000,5000)
	relayObjectsEnv = "TYPHARENDER_BENCH_RELAY_OBJECTS"  // namespaces,nodes,pods,policies (default 50,1000,4000,2000)
	relayWindowEnv  = "TYPHARENDER_BENCH_RELAY_WINDOW"   // the steady window (default 30s)
	relayFailEnv    = "TYPHARENDER_BENCH_RELAY_FAILOVER" // agents through Typha at which failover and faults run (default 1000)
	relayBudgetEnv  = "TYPHARENDER_BENCH_RELAY_BUDGET"   // the run's time: no phase starts that would end after it (default none)
)

// relayTyphaTag is the Typha the long form renders and runs: the one that
// serves Terway's Felix 3.24.5 (TestTyphaVersions) and the release Felix
// itself is built from. (render's default below Kubernetes 1.25, and in
// this tree on every version, is the guide's v3.20.2, which relays no
// Kubernetes Services to Felix 3.24.5; see TestRelayShape.)
const relayTyphaTag = "v3.24.5"

// relayRun is what one run of the benchmark does.
type relayRun struct {
	objects  relayObjects
	direct   []int
	typha    []int
	failover int // 0: no failover, no faults
	set      phaseSettings
	// syncBound grows with the agents: a base and a time per agent.
	syncBase, syncPerAgent time.Duration
	// budget, when set, is the run's time: a phase whose estimate (the
	// last phase of its mode, scaled by the agents) would end after it
	// does not start, and N stops growing, recorded as why.
	budget time.Duration
}

func (r relayRun) settings(n int) phaseSettings {
	s := r.set
	s.syncBound = r.syncBase + time.Duration(n)*r.syncPerAgent
	return s
}

// relayResult is the JSON result of a run (docs/relay/relay.json); the
// chart (bench/relaychart) reads it.
type relayResult struct {
	Schema        int               `json:"schema"`
	Command       string            `json:"command"`
	Started       string            `json:"started"`
	Finished      string            `json:"finished"`
	Machine       machineInfo       `json:"machine"`
	LoadAverage   [2][3]float64     `json:"loadAverage"`      // /proc/loadavg (1, 5, 15 min) at the start and at the end; each phase has its own
	Budget        string            `json:"budget,omitempty"` // TYPHARENDER_BENCH_RELAY_BUDGET, if set
	Versions      map[string]string `json:"versions"`
	Objects       relayObjects      `json:"objects"`
	Churn         float64           `json:"podUpdatesPerSecond"` // during windows, propagation, failover and faults
	Window        float64           `json:"windowSeconds"`
	EmptyWatches  int               `json:"emptyClusterWatches"` // the API server's own, before any agent or Typha
	EmptyByRes    map[string]int    `json:"emptyClusterWatchesByResource"`
	Direct        []loadPhase       `json:"direct"`
	Typha         []loadPhase       `json:"typha"`
	DirectStopped string            `json:"directStopped,omitempty"` // why N stopped growing, if it did
	TyphaStopped  string            `json:"typhaStopped,omitempty"`
	Failover      *failoverResult   `json:"failover,omitempty"`
	Faults        []faultResult     `json:"faults,omitempty"`
	DirectFaults  []faultResult     `json:"directFaults,omitempty"` // the API server restart with the most agents direct
	Summary       relaySummary      `json:"summary"`
}

type machineInfo struct {
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpuModel"`
	MemoryGiB float64 `json:"memoryGiB"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
}

// linearFit is y = Intercept + Slope*x by least squares, over Points.
type linearFit struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	Points    int     `json:"points"`
}

func fitLine(xs, ys []float64) linearFit {
	n := float64(len(xs))
	if len(xs) == 0 {
		return linearFit{}
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	f := linearFit{Points: len(xs)}
	if d := n*sxx - sx*sx; d != 0 {
		f.Slope = (n*sxy - sx*sy) / d
	}
	f.Intercept = (sy - f.Slope*sx) / n
	return f
}

// relaySummary is the headline figures, derived from the phases.
type relaySummary struct {
	DirectFit             linearFit          `json:"directWatchesFit"`            // watches against agents direct
	TyphaFit              linearFit          `json:"typhaWatchesFit"`             // watches against agents through Typha
	WatchesPerReplica     float64            `json:"typhaWatchesPerReplica"`      // the replicas' watches, divided by R, mean over the phases
	DirectAt1000          float64            `json:"directWatchesAt1000"`         // measured, or from the fit
	DirectAt1000Measured  bool               `json:"directWatchesAt1000Measured"` // false: from the fit
	TyphaAt1000           *int               `json:"typhaWatchesAt1000,omitempty"`
	RatioAt1000           *float64           `json:"ratioAt1000Percent,omitempty"` // through the rendered replicas / direct, percent
	RatioGoal             float64            `json:"ratioGoalPercent"`
	P99At1000             *float64           `json:"propagationP99At1000Seconds,omitempty"` // through Typha, every operation
	P99Goal               float64            `json:"propagationP99GoalSeconds"`
	TyphaPer1000          *typhaPer1000      `json:"typhaCostPer1000Clients,omitempty"`
	RejectedDirectMax     float64            `json:"rejectedDirectMax"` // the most requests API Priority and Fairness rejected in one direct phase
	RejectedTyphaMax      float64            `json:"rejectedTyphaMax"`
	APIServerRSSDirect    map[string]float64 `json:"apiserverMaxRssMiBDirect"` // by N
	APIServerRSSTypha     map[string]float64 `json:"apiserverMaxRssMiBTypha"`
	APIServerCPUDirect    map[string]float64 `json:"apiserverCpuCoresDirect"`
	APIServerCPUTypha     map[string]float64 `json:"apiserverCpuCoresTypha"`
	GoalsMet              map[string]bool    `json:"goalsMet"`
	TyphaIdleRSSPerRepMiB float64            `json:"typhaIdleRssMiBPerReplica"`
}

// typhaPer1000 is what 1,000 more agents cost the replicas together, from
// the largest phase through Typha that finished.
type typhaPer1000 struct {
	From            int     `json:"fromClients"`
	RSSMiB          float64 `json:"rssMiB"`
	CPUCores        float64 `json:"cpuCores"`       // steady, with the churn, above the replicas' own
	CPUSecondsSync  float64 `json:"cpuSecondsSync"` // to bring them in sync
	IdleRSSMiBEach  float64 `json:"idleRssMiBPerReplica"`
	IdleCPUCoresAll float64 `json:"idleCpuCoresAllReplicas"`
}

// BenchmarkRelay is the relay benchmark's long form (make bench-relay): in
// one run on this machine, N Felix 3.24.5 agents direct against the API
// server, then N through the replicas of the rendered Typha Deployment (R
// from render, that is from sizing), with what the API server's /metrics
// and the processes say at each N, propagation of NetworkPolicy changes,
// a failover (SIGKILL of a replica) and datastore faults at one N. It
// writes the JSON result to TYPHARENDER_BENCH_RELAY_OUT; bench/relaychart
// draws the chart from it. One iteration is the whole run, whatever b.N.
func BenchmarkRelay(b *testing.B) {
	out := os.Getenv(relayOutEnv)
	if out == "" {
		b.Fatalf("%s is not set: it names the JSON result (make bench-relay sets it)", relayOutEnv)
	}
	run := relayRun{
		objects:  relayObjects{Namespaces: 50, Nodes: 1000, Pods: 4000, Policies: 2000},
		direct:   []int{50, 100, 200},
		typha:    []int{100, 1000, 5000},
		failover: 1000,
		set: phaseSettings{
			window: 30 * time.Second, churn: 2, rounds: 3,
			opBound: 3 * time.Minute, converge: true, settleWait: time.Minute,
		},
		syncBase: 3 * time.Minute, syncPerAgent: 200 * time.Millisecond,
	}
	if v := os.Getenv(relayDirectEnv); v != "" {
		run.direct = intList(b, relayDirectEnv, v)
	}
	if v := os.Getenv(relayTyphaEnv); v != "" {
		run.typha = intList(b, relayTyphaEnv, v)
	}
	if v := os.Getenv(relayObjectsEnv); v != "" {
		l := intList(b, relayObjectsEnv, v)
		if len(l) != 4 {
			b.Fatalf("%s=%q: want namespaces,nodes,pods,policies", relayObjectsEnv, v)
		}
		run.objects = relayObjects{Namespaces: l[0], Nodes: l[1], Pods: l[2], Policies: l[3]}
	}
	if v := os.Getenv(relayWindowEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("%s=%q: %v", relayWindowEnv, v, err)
		}
		run.set.window = d
	}
	if v := os.Getenv(relayBudgetEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			b.Fatalf("%s=%q: want a duration such as 70m", relayBudgetEnv, v)
		}
		run.budget = d
	}
	if v := os.Getenv(relayFailEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("%s=%q: %v", relayFailEnv, v, err)
		}
		run.failover = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Hour)
	defer cancel()
	var res relayResult
	// What was measured is written even when the run stops early.
	defer func() {
		if err := writeJSONFile(out, res); err != nil {
			b.Error(err)
			return
		}
		b.Logf("wrote %s", out)
	}()
	runRelay(ctx, b, run, relayCommand(os.Getenv), &res)
	s := res.Summary
	if s.RatioAt1000 != nil {
		b.ReportMetric(*s.RatioAt1000, "%-watches@1000")
	}
	if s.P99At1000 != nil {
		b.ReportMetric(*s.P99At1000*1000, "ms-p99@1000")
	}
	if res.Failover != nil {
		b.ReportMetric(res.Failover.RecoverySeconds, "s-failover")
	}
	b.ReportMetric(s.DirectFit.Slope, "watches/direct-agent")
	b.ReportMetric(s.TyphaFit.Slope, "watches/typha-agent")
}

func intList(t testing.TB, name, v string) []int {
	t.Helper()
	if v == "none" {
		return nil
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			t.Fatalf("%s=%q: want a comma-separated list of counts", name, v)
		}
		out = append(out, n)
	}
	return out
}

// relayCommand is the command that makes this run again: make
// bench-relay with the settings that were given (all but where the JSON
// goes), in the order the settings are documented.
func relayCommand(getenv func(string) string) string {
	var b strings.Builder
	for _, name := range []string{relayDirectEnv, relayTyphaEnv, relayObjectsEnv, relayWindowEnv, relayFailEnv, relayBudgetEnv} {
		if v := getenv(name); v != "" {
			fmt.Fprintf(&b, "%s=%s ", name, v)
		}
	}
	return b.String() + "make bench-relay"
}

// runRelay runs the benchmark and returns its result. Phases that cannot
// finish are recorded, and N stops growing in that mode.
func runRelay(ctx context.Context, t testing.TB, run relayRun, command string, res *relayResult) {
	t.Helper()
	began := time.Now()
	*res = relayResult{Schema: 1, Command: command, Started: began.UTC().Format(time.RFC3339),
		Objects: run.objects, Churn: run.set.churn, Window: run.set.window.Seconds()}
	if run.budget > 0 {
		res.Budget = run.budget.String()
	}
	res.LoadAverage[0] = loadAverage()
	// A run that stops early still says what it measured.
	defer func() {
		res.Summary = summarize(*res)
		res.Finished = time.Now().UTC().Format(time.RFC3339)
		res.LoadAverage[1] = loadAverage()
	}()
	// overBudget says why a phase of n agents would end after the budget,
	// from the last phase of its mode (its own part, without the failover
	// and faults it ran): empty when it fits or nothing is known.
	overBudget := func(last *phaseClock, n int) string {
		if run.budget <= 0 || last == nil || last.agents == 0 {
			return ""
		}
		est := time.Duration(float64(last.own) * float64(n) / float64(last.agents))
		if left := run.budget - time.Since(began); est > left {
			return fmt.Sprintf("the run's budget (%s=%v) has %v left, and %d agents would take about %v (%v for %d agents, scaled)",
				relayBudgetEnv, run.budget, left.Round(time.Second), n, est.Round(time.Second), last.own.Round(time.Second), last.agents)
		}
		return ""
	}
	res.Machine = readMachine()
	// Tokens outlive the run.
	b := newRelayBench(ctx, t, run.objects, 12*time.Hour)
	res.Versions = b.versions(t)
	empty := b.settledWatches(t, time.Minute)
	res.EmptyWatches, res.EmptyByRes = empty.totalWatches(), empty.watches
	t.Logf("empty cluster: %d WATCH requests %v", res.EmptyWatches, empty.watches)

	var clock *phaseClock
	for i, n := range run.direct {
		if why := overBudget(clock, n); why != "" {
			res.DirectStopped = fmt.Sprintf("stopped before %d agents direct: %s", n, why)
			break
		}
		var ph loadPhase
		var then func(sim *felixSim)
		c := &phaseClock{agents: n, start: time.Now()}
		if i == len(run.direct)-1 && run.failover > 0 {
			// The same API server restart as through Typha, with the
			// most agents direct: each re-lists and watches again.
			then = func(sim *felixSim) {
				defer c.extra(time.Now())
				res.DirectFaults = append(res.DirectFaults, b.fault(t, sim, n, "apiserver-restart", 5*time.Second, run.settings(n)))
			}
		}
		b.runLoadPhase(t, felixsimclient.ModeDirect, n, run.settings(n), res.EmptyWatches, &ph, then)
		clock = c.done()
		t.Logf("direct %d: %s", n, phaseLine(ph))
		res.Direct = append(res.Direct, ph)
		b.waitWatchesBack(t, res.EmptyWatches)
		if ph.Error != "" {
			res.DirectStopped = fmt.Sprintf("stopped at %d agents direct: %s", n, ph.Error)
			break
		}
	}
	clock = nil
	for _, n := range run.typha {
		if why := memoryShort(res.Typha, n); why != "" {
			res.TyphaStopped = fmt.Sprintf("stopped before %d agents through Typha: %s", n, why)
			break
		}
		if why := overBudget(clock, n); why != "" {
			res.TyphaStopped = fmt.Sprintf("stopped before %d agents through Typha: %s", n, why)
			break
		}
		c := &phaseClock{agents: n, start: time.Now()}
		r := b.renderFor(t, n, relayTyphaTag)
		bin := b.renderedBinary(t)
		b.stopReplicas(t)
		var ph loadPhase
		ready := b.startReplicas(t, fmt.Sprintf("calico-typha-n%d", n), bin, r)
		var then func(sim *felixSim)
		if n == run.failover {
			then = func(sim *felixSim) {
				defer c.extra(time.Now())
				set := run.settings(n)
				f := b.failover(t, sim, n, set, time.Second, bin)
				res.Failover = &f
				for _, name := range []string{"apiserver-restart", "etcd-compaction", "etcd-compaction-and-restart"} {
					res.Faults = append(res.Faults, b.fault(t, sim, n, name, 5*time.Second, set))
				}
			}
		}
		b.runLoadPhase(t, felixsimclient.ModeTypha, n, run.settings(n), res.EmptyWatches, &ph, then)
		clock = c.done()
		ph.Typha.ReadySeconds = ready.Seconds()
		t.Logf("typha %d (R=%d): %s", n, r, phaseLine(ph))
		res.Typha = append(res.Typha, ph)
		if ph.Error != "" {
			res.TyphaStopped = fmt.Sprintf("stopped at %d agents through Typha: %s", n, ph.Error)
			break
		}
		b.waitWatchesBack(t, res.EmptyWatches+derefOr(ph.WatchesWithoutClients, 0))
	}
	b.stopReplicas(t)
}

// phaseClock times a load phase for the budget: own is its wall time
// without the failover and faults it ran.
type phaseClock struct {
	agents int
	start  time.Time
	others time.Duration
	own    time.Duration
}

// extra counts the time since from as not the phase's own.
func (c *phaseClock) extra(from time.Time) { c.others += time.Since(from) }

func (c *phaseClock) done() *phaseClock {
	c.own = time.Since(c.start) - c.others
	return c
}

// memoryShort says why n agents would not fit in this machine's memory
// beside what else runs on it, judged from the largest phase so far:
// felixsim's heap per agent (after a GC, once in sync) times n, with a
// quarter more, against seven tenths of MemAvailable (felixsim's soft
// limit, see startSim). Empty when they fit (or nothing ran yet).
func memoryShort(done []loadPhase, n int) string {
	var last *loadPhase
	for i := range done {
		if done[i].Error == "" && done[i].FelixsimHeapMiB > 0 && (last == nil || done[i].Clients > last.Clients) {
			last = &done[i]
		}
	}
	if last == nil {
		return ""
	}
	per := last.FelixsimHeapMiB / float64(last.Clients)
	need := per * float64(n) * 1.25
	avail := memAvailableMiB()
	if need <= 0.7*avail {
		return ""
	}
	return fmt.Sprintf("felixsim would need about %.1f GiB of heap (%.2f MiB per agent at %d agents, and a quarter more); %.1f GiB of memory is available beside the other work on this machine, and felixsim may use seven tenths of it",
		need/1024, per, last.Clients, avail/1024)
}

// memAvailableMiB is /proc/meminfo's MemAvailable.
func memAvailableMiB() float64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func derefOr(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}

// phaseLine is a phase in one line, for the log.
func phaseLine(ph loadPhase) string {
	return fmt.Sprintf("sync %.1fs, watches %d (%.2f per agent), rejected %v then %v, apiserver %.2f cores max %.0f MiB, propagation %+v, error %q",
		ph.SyncSeconds, ph.Watches, ph.WatchesPerClient, ph.RejectedSync, ph.Rejected, ph.APIServer.CPUCores, ph.APIServer.MaxRSSMiB, ph.Propagation["all"], ph.Error)
}

// waitWatchesBack waits (up to 3 minutes) until the API server's WATCH
// count is back to want: the agents of the last phase are gone.
func (b *relayBench) waitWatchesBack(t testing.TB, want int) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 3*time.Minute {
		if b.scrape(t).totalWatches() <= want {
			return
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("the API server still counts more than %d watches 3 minutes after the agents stopped", want)
}

// summarize derives the headline figures.
func summarize(res relayResult) relaySummary {
	s := relaySummary{RatioGoal: 1, P99Goal: 1, GoalsMet: map[string]bool{},
		APIServerRSSDirect: map[string]float64{}, APIServerRSSTypha: map[string]float64{},
		APIServerCPUDirect: map[string]float64{}, APIServerCPUTypha: map[string]float64{}}
	var xs, ys []float64
	for _, ph := range res.Direct {
		if ph.Error != "" {
			continue
		}
		xs, ys = append(xs, float64(ph.Clients)), append(ys, float64(ph.Watches))
		if ph.Clients == 1000 {
			s.DirectAt1000, s.DirectAt1000Measured = float64(ph.Watches), true
		}
		k := strconv.Itoa(ph.Clients)
		s.APIServerRSSDirect[k], s.APIServerCPUDirect[k] = ph.APIServer.MaxRSSMiB, ph.APIServer.CPUCores
		s.RejectedDirectMax = max(s.RejectedDirectMax, sumValues(ph.RejectedSync)+sumValues(ph.Rejected))
	}
	s.DirectFit = fitLine(xs, ys)
	if !s.DirectAt1000Measured && s.DirectFit.Points >= 2 {
		s.DirectAt1000 = s.DirectFit.Intercept + 1000*s.DirectFit.Slope
	}
	xs, ys = nil, nil
	var perReplica []float64
	var largest *loadPhase
	for i, ph := range res.Typha {
		if ph.Error != "" {
			continue
		}
		xs, ys = append(xs, float64(ph.Clients)), append(ys, float64(ph.Watches))
		if ph.WatchesWithoutClients != nil && ph.Replicas > 0 {
			perReplica = append(perReplica, float64(*ph.WatchesWithoutClients)/float64(ph.Replicas))
		}
		k := strconv.Itoa(ph.Clients)
		s.APIServerRSSTypha[k], s.APIServerCPUTypha[k] = ph.APIServer.MaxRSSMiB, ph.APIServer.CPUCores
		s.RejectedTyphaMax = max(s.RejectedTyphaMax, sumValues(ph.RejectedSync)+sumValues(ph.Rejected))
		if ph.Clients == 1000 {
			w := ph.Watches
			s.TyphaAt1000 = &w
			if all, ok := ph.Propagation["all"]; ok {
				p := all.P99
				s.P99At1000 = &p
			}
		}
		if ph.Typha != nil && (largest == nil || ph.Clients > largest.Clients) {
			largest = &res.Typha[i]
		}
	}
	s.TyphaFit = fitLine(xs, ys)
	for _, v := range perReplica {
		s.WatchesPerReplica += v / float64(len(perReplica))
	}
	if s.TyphaAt1000 != nil && s.DirectAt1000 > 0 {
		r := 100 * float64(*s.TyphaAt1000) / s.DirectAt1000
		s.RatioAt1000 = &r
		s.GoalsMet["ratioAt1000"] = r <= s.RatioGoal
	}
	if s.P99At1000 != nil {
		s.GoalsMet["propagationP99At1000"] = *s.P99At1000 <= s.P99Goal
	}
	if res.Failover != nil {
		s.GoalsMet["failover"] = res.Failover.GoalMet
	}
	for _, f := range res.Faults {
		s.GoalsMet["fault-"+f.Name] = f.Error == "" && f.ChangesArrived && f.KeySetsEqual
	}
	if largest != nil {
		ty, n := largest.Typha, float64(largest.Clients)
		s.TyphaPer1000 = &typhaPer1000{
			From:            largest.Clients,
			RSSMiB:          (ty.RSSMiB - ty.RSSMiBIdle) / n * 1000,
			CPUCores:        (ty.CPUCores - ty.CPUCoresIdle) / n * 1000,
			CPUSecondsSync:  ty.CPUSecondsSync / n * 1000,
			IdleRSSMiBEach:  ty.RSSMiBIdle / float64(largest.Replicas),
			IdleCPUCoresAll: ty.CPUCoresIdle,
		}
		s.TyphaIdleRSSPerRepMiB = s.TyphaPer1000.IdleRSSMiBEach
	}
	return s
}

func sumValues(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// readMachine describes this machine.
func readMachine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.CPUModel = strings.TrimSpace(l[strings.IndexByte(l, ':')+1:])
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.MemoryGiB = float64(int(kb/(1<<20)*10+0.5)) / 10
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// versions are what ran: the servers', Typha's and Felix's.
func (b *relayBench) versions(t testing.TB) map[string]string {
	t.Helper()
	v := map[string]string{"felix": "v3.24.5 (felixsim: libcalico-go felixsyncer direct, typha/pkg/syncclient through Typha, built in the calico v3.24.5 tree)"}
	if info, err := b.e.cs.Discovery().ServerVersion(); err == nil {
		v["kubeApiserver"] = info.GitVersion
	}
	if resp, err := http.Get(b.e.c.etcdURL + "/version"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		v["etcd"] = strings.TrimSpace(string(body))
	}
	b.renderFor(t, 1000, relayTyphaTag)
	bin := b.renderedBinary(t)
	if out, err := exec.Command(bin, "--version").CombinedOutput(); err == nil {
		// "Version: v3.24.5", then the commit and build date (empty in a
		// build from the tarball).
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		v["typha"] = strings.TrimSpace(strings.TrimPrefix(first, "Version:"))
	} else {
		v["typha"] = filepath.Base(bin)
	}
	v["typhaImageRendered"] = b.e.container.Image
	return v
}

func TestRelayCommand(t *testing.T) {
	env := map[string]string{relayOutEnv: "/tmp/r.json", relayFailEnv: "5000", relayDirectEnv: "none", relayTyphaEnv: "5000"}
	want := "TYPHARENDER_BENCH_RELAY_DIRECT=none TYPHARENDER_BENCH_RELAY_TYPHA=5000 TYPHARENDER_BENCH_RELAY_FAILOVER=5000 make bench-relay"
	if got := relayCommand(func(k string) string { return env[k] }); got != want {
		t.Errorf("relayCommand = %q, want %q", got, want)
	}
	if got := relayCommand(func(string) string { return "" }); got != "make bench-relay" {
		t.Errorf("relayCommand with no settings = %q, want make bench-relay", got)
	}
}
