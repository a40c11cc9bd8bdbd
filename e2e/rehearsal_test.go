//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/terway"
)

// The rehearsal: a plan's commands, run in order by a real bash with the
// real kubectl (and the typharender built from this checkout) against the
// simulated cluster, each judged as its step tells a person to judge it,
// while the invariants are sampled.

// planDoc is a plan as `typharender plan -o json` prints it.
type planDoc struct {
	Mode     string     `json:"mode"`
	From     string     `json:"from"`
	Summary  string     `json:"summary"`
	Steps    []planStep `json:"steps"`
	Warnings []string   `json:"warnings"`
}

type planStep struct {
	Title    string    `json:"title"`
	Commands []string  `json:"commands"`
	Notes    []string  `json:"notes"`
	Target   string    `json:"target"`
	Gate     *planGate `json:"gate"`
	Undo     bool      `json:"undo"`
}

// planGate is a gate as -o json prints it (rollout.Gate).
type planGate struct {
	Name           string `json:"name"`
	Pass           string `json:"pass"`
	Stop           string `json:"stop"`
	UndoFrom       int    `json:"undoFrom"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
}

// cmdRun is one command as the rehearsal ran it.
type cmdRun struct {
	step    int // 1-based, as printed
	title   string
	command string
	stdout  string
	stderr  string
	exit    int
	start   time.Time
	took    time.Duration
	skipped string // why it was not run
}

// String shows the run as a person saw it in the terminal.
func (r cmdRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ %s\n", r.command)
	if r.skipped != "" {
		fmt.Fprintf(&b, "(not run: %s)\n", r.skipped)
		return b.String()
	}
	if r.stdout != "" {
		b.WriteString(indentLines(strings.TrimRight(r.stdout, "\n"), "") + "\n")
	}
	if r.stderr != "" {
		b.WriteString(indentLines(strings.TrimRight(r.stderr, "\n"), "stderr: ") + "\n")
	}
	fmt.Fprintf(&b, "(exit %d after %v)", r.exit, r.took.Round(time.Millisecond))
	return b.String()
}

func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = append(append(lines[:20:20], fmt.Sprintf("... %d lines ...", len(lines)-40)), lines[len(lines)-20:]...)
	}
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

// stepError is a step whose command did not give what the step says it
// must: the rehearsal stops there, as a person must.
type stepError struct {
	step  int
	title string
	run   cmdRun
	why   string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("step %d (%s) stops the plan: %s\n%s", e.step, e.title, e.why, e.run)
}

// rehearsal is a person at a shell on the admin's workstation.
type rehearsal struct {
	s    *simCluster
	t    *testing.T
	dir  string // the working directory: calico-typha.yaml, eni-config.backup.yaml
	env  []string
	runs []cmdRun
}

// unrunnable are the step targets (rollout.Target) the simulated cluster
// has nothing for, and why: the rehearsal lists their commands, unrun.
var unrunnable = map[string]string{
	string(rollout.TargetCloud):    "acts on Alibaba Cloud's API (the aliyun CLI), which the simulated cluster does not have",
	string(rollout.TargetRegistry): "copies an image between registries, which the simulated cluster does not have",
}

// newRehearsal builds typharender from this checkout (it runs in the plan's
// save step, as the person's copy would) and makes a working directory for
// scenario name, which lasts as long as the cluster (a rollback reads the
// backup an earlier plan left there: workdirOf).
func newRehearsal(t *testing.T, s *simCluster, name string) *rehearsal {
	t.Helper()
	binDir := filepath.Join(s.dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(binDir, "typharender")); err != nil {
		build := exec.Command("go", "build", "-o", filepath.Join(binDir, "typharender"), "./cmd/typharender")
		build.Dir = ".."
		build.Env = append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/typharender: %v\n%s", err, out)
		}
	}
	dir := filepath.Join(s.dir, "work", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	if s.workdirs == nil {
		s.workdirs = map[string]string{}
	}
	s.workdirs[name] = dir
	s.mu.Unlock()
	env := s.shellEnv()
	for i, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			env[i] = "PATH=" + binDir + ":" + strings.TrimPrefix(e, "PATH=")
		}
	}
	return &rehearsal{s: s, t: t, dir: dir, env: env}
}

// skip records a command that is not run, and why.
func (r *rehearsal) skip(step int, title, command, why string) cmdRun {
	run := cmdRun{step: step, title: title, command: command, start: time.Now(), skipped: why}
	r.runs = append(r.runs, run)
	r.t.Logf("step %d (%s):\n%s", step, title, run)
	return run
}

// sh runs one command as a person pastes it into bash, in the working
// directory, and records it.
func (r *rehearsal) sh(step int, title, command string) cmdRun {
	run := cmdRun{step: step, title: title, command: command, start: time.Now()}
	ctx, cancel := context.WithTimeout(r.s.ctx, commandBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	cmd.Dir = r.dir
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run.took = time.Since(run.start)
	run.stdout, run.stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		run.exit = exit.ExitCode()
	default:
		run.exit = -1
		run.stderr += "\n(" + err.Error() + ")"
	}
	if ctx.Err() != nil {
		run.stderr += fmt.Sprintf("\n(killed: still running after %v)", commandBound)
	}
	r.runs = append(r.runs, run)
	r.t.Logf("step %d (%s):\n%s", step, title, run)
	return run
}

// commandBound bounds one command. The plan's own waits (rollout status
// --timeout) are shorter, but its wait for the DaemonSet's restart has no
// timeout, as a person waits: at 500 nodes on the shared 2-core VM (load
// 17 to 24) it restarted 229 of 510 pods in 15 minutes.
const commandBound = 40 * time.Minute

// plan runs `typharender plan ARGS -o json` and the same without -o json,
// checks that the text prints every step's commands exactly as the JSON
// has them, and returns the plan. The commands the person runs to gather
// the plan's inputs (kubectl get ... > FILE) are run first, as given.
func (r *rehearsal) plan(inputs []string, args ...string) planDoc {
	r.t.Helper()
	for _, c := range inputs {
		if run := r.sh(0, "the plan's inputs", c); run.exit != 0 {
			r.t.Fatalf("gathering the plan's inputs failed:\n%s", run)
		}
	}
	line := "typharender plan " + strings.Join(args, " ")
	js := r.sh(0, "the plan", line+" -o json")
	if js.exit != 0 {
		r.t.Fatalf("%s -o json failed:\n%s", line, js)
	}
	var doc planDoc
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		r.t.Fatalf("%s -o json: %v\n%s", line, err, js.stdout)
	}
	text := r.sh(0, "the plan", line)
	if text.exit != 0 {
		r.t.Fatalf("%s failed:\n%s", line, text)
	}
	got := printedCommands(text.stdout)
	if len(got) != len(doc.Steps) {
		r.t.Fatalf("%s prints %d steps, -o json %d", line, len(got), len(doc.Steps))
	}
	for i, st := range doc.Steps {
		if want := strings.Join(st.Commands, "\n"); got[i] != want {
			r.t.Fatalf("%s prints step %d's commands otherwise than -o json has them:\ntext:\n%s\njson:\n%s", line, i+1, got[i], want)
		}
	}
	return doc
}

// printedCommands reads the commands of each step from the plan as printed,
// all of a step's command lines joined by newlines: "N. Title" starts a
// step; a line indented by three spaces is a command line (a gate's script
// spans several), unless it starts with "# " (a note); other lines starting
// with "#" are headings.
func printedCommands(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		if out != nil || cur != nil {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur = nil
	}
	started := false
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case !strings.HasPrefix(line, " "):
			if started {
				flush()
			}
			started, cur = true, []string{}
		case strings.HasPrefix(line, "   # "):
		case strings.HasPrefix(line, "   "):
			cur = append(cur, line[3:])
		}
	}
	if started {
		flush()
	}
	return out
}

// planOutcome is how a plan ended: every step done, or stopped by a gate
// whose undo path then ran.
type planOutcome struct {
	stopped  *cmdRun // the gate run that said STOP; nil if the plan completed
	stopStep int     // its step number
	undone   []int   // the undo steps run after the stop, by number
}

// gateCheck checks, after a gate passed, that what it claims is true in
// the cluster; "" when it is. It is the rehearsal's own oracle, beside the
// gate's verdict: a gate that passes wrongly fails the rehearsal.
type gateCheck func(gate string, run cmdRun) string

// execute runs doc as its steps tell a person to (rollout.Step): every
// command of every step in order, in bash; a command must exit 0; a gate
// goes on only when its command exits 0 with a last line that starts with
// its pass prefix, and stops the plan when it exits 1 with a last line
// that starts with its stop prefix, after which the undo path runs from
// the step the gate names to the end; the undo path's steps are skipped
// otherwise. Steps whose target the simulated cluster has not (the cloud,
// a registry) are listed, unrun. Anything else, a failed command or a gate
// that breaks its contract, is a *stepError naming the step and showing
// the run. check, if not nil, verifies each gate that passed.
func (r *rehearsal) execute(doc planDoc, check gateCheck) (planOutcome, error) {
	var out planOutcome
	undoFrom := 0 // set by a STOP
	for i, st := range doc.Steps {
		n := i + 1
		if undoFrom == 0 && st.Undo {
			continue // the undo path runs only after a STOP
		}
		if undoFrom != 0 && n < undoFrom {
			continue // after a STOP, straight to the undo path
		}
		if out.stopped != nil {
			out.undone = append(out.undone, n)
		}
		for _, c := range st.Commands {
			if why, ok := unrunnable[st.Target]; ok {
				r.skip(n, st.Title, c, why)
				continue
			}
			run := r.sh(n, st.Title, c)
			if st.Gate == nil {
				if run.exit != 0 {
					return out, &stepError{step: n, title: st.Title, run: run, why: fmt.Sprintf("exit status %d: every command of a step must exit 0", run.exit)}
				}
				continue
			}
			last := lastLine(run.stdout)
			switch {
			case run.exit == 0 && strings.HasPrefix(last, st.Gate.Pass):
				if check != nil {
					if why := check(st.Gate.Name, run); why != "" {
						return out, &stepError{step: n, title: st.Title, run: run, why: fmt.Sprintf("gate %s passed, but %s", st.Gate.Name, why)}
					}
				}
			case run.exit == 1 && strings.HasPrefix(last, st.Gate.Stop):
				if st.Undo {
					return out, &stepError{step: n, title: st.Title, run: run, why: fmt.Sprintf("gate %s on the undo path says STOP", st.Gate.Name)}
				}
				out.stopped, out.stopStep = &run, n
				undoFrom = st.Gate.UndoFrom
				if undoFrom == 0 {
					return out, nil // nothing to undo
				}
				if want := fmt.Sprintf("undo from step %d", undoFrom); !strings.Contains(last, want) && !strings.Contains(last, fmt.Sprintf("undo with step %d", undoFrom)) {
					return out, &stepError{step: n, title: st.Title, run: run, why: fmt.Sprintf("gate %s stops, but its last line does not name the undo path's first step, %d, as -o json does", st.Gate.Name, undoFrom)}
				}
			default:
				return out, &stepError{step: n, title: st.Title, run: run, why: fmt.Sprintf("gate %s broke its contract: exit status %d with a last line that starts with neither %q (exit 0) nor %q (exit 1)", st.Gate.Name, run.exit, st.Gate.Pass, st.Gate.Stop)}
			}
		}
	}
	return out, nil
}

// invariants samples the cluster continuously while a plan runs and records
// every moment at which it is not as the plan promises:
//
//   - every Felix node's Felix is in sync (directly or through Typha), or is
//     restarting: its Terway pod is being replaced, or started less than
//     felixSyncBound ago. A Felix that is not in sync longer than that, be it
//     direct or pointed at a Typha that does not sync, is a violation; so is
//     a Felix on a node whose Terway pod read that it runs none (policy
//     disabled);
//   - the Terway DaemonSet never has more pods unavailable than its
//     maxUnavailable;
//   - eni-config changes only when the rehearsal expects it to (the samples
//     record every change of its data, with the time).
type invariants struct {
	s    *simCluster
	stop chan struct{}
	done chan struct{}

	mu             sync.Mutex
	samples        int
	violations     []violation
	reported       map[string]bool
	maxRestarting  int // most Felix nodes restarting in one sample
	maxUnavailable int // most DaemonSet pods unavailable in one sample
	eniChanges     []eniChange
	lastENI        map[string]string
}

type eniChange struct {
	at   time.Time
	data map[string]string
}

// felixSyncBound is how long a restarted Felix may take to be in sync:
// well above what was measured through Typha (under 5 s at 500 nodes),
// and room for a Felix that lists every pod and node of a busy cluster.
const felixSyncBound = 2 * time.Minute

// watchInvariants starts sampling; stop it with inv.end.
func (s *simCluster) watchInvariants(t *testing.T) *invariants {
	t.Helper()
	inv := &invariants{s: s, stop: make(chan struct{}), done: make(chan struct{}), reported: map[string]bool{}}
	cm, err := s.cl.cs.CoreV1().ConfigMaps(terway.ENIConfigNamespace).Get(s.ctx, terway.ENIConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv.lastENI = cm.Data
	go func() {
		defer close(inv.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-inv.stop:
				return
			case <-s.ctx.Done():
				return
			case <-tick.C:
				inv.sample()
			}
		}
	}()
	t.Cleanup(inv.end)
	return inv
}

// end stops sampling (once) and returns what it saw.
func (inv *invariants) end() {
	select {
	case <-inv.stop:
	default:
		close(inv.stop)
	}
	<-inv.done
}

// violation is one moment the cluster was not as the plan promises.
type violation struct {
	key string // the node, or "daemonset"
	msg string
}

// violate records a violation; one per key (a node, the DaemonSet): a
// stuck Felix is reported once, when first seen, not at every sample.
func (inv *invariants) violate(key, format string, args ...any) {
	if inv.reported[key] {
		return
	}
	inv.reported[key] = true
	inv.violations = append(inv.violations, violation{key: key, msg: time.Now().Format("15:04:05.000") + " " + fmt.Sprintf(format, args...)})
}

// sample checks the invariants once.
func (inv *invariants) sample() {
	s := inv.s
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	clients, err := s.felix.Clients(ctx)
	if err != nil {
		return // the next sample
	}
	ds, dsErr := s.cl.cs.AppsV1().DaemonSets(terway.ENIConfigNamespace).Get(ctx, "terway-eniip", metav1.GetOptions{})
	cm, cmErr := s.cl.cs.CoreV1().ConfigMaps(terway.ENIConfigNamespace).Get(ctx, terway.ENIConfigName, metav1.GetOptions{})
	running := s.terway.running()
	now := time.Now()

	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.samples++
	byNode := make(map[string]felixsimclient.Client, len(clients))
	for _, c := range clients {
		byNode[c.Node] = c
	}
	restarting := 0
	for _, n := range s.nodesOf(felixNode) {
		pod, hasPod := running[n]
		c, hasFelix := byNode[n]
		switch {
		case !hasPod:
			restarting++ // its Terway pod is being replaced
		case pod.engine != terway.EngineFelix:
			// The pod read an eni-config that runs no Felix (policy
			// disabled): none may run.
			if hasFelix {
				inv.violate(n, "%s: Felix runs (%s, %s) though Terway pod %s runs %s (%s)", n, c.Mode, c.Status, pod.name, pod.engine, pod.why)
			}
		case hasFelix && c.Status == felixsimclient.StatusInSync:
		case now.Sub(pod.at) < felixSyncBound:
			restarting++
		case !hasFelix:
			inv.violate(n, "%s: Terway pod %s started %v ago and no Felix runs", n, pod.name, now.Sub(pod.at).Round(time.Second))
		default:
			via := "the API server"
			if c.Mode == felixsimclient.ModeTypha && pod.felix != nil {
				via = fmt.Sprintf("Typha %q (Service %s)", c.TyphaAddr, pod.felix.TyphaService)
			}
			inv.violate(n, "%s: Felix %s for %v through %s (Terway pod %s)", n, c.Status, now.Sub(pod.at).Round(time.Second), via, pod.name)
		}
	}
	inv.maxRestarting = max(inv.maxRestarting, restarting)
	if dsErr == nil {
		limit, err := intstr.GetScaledValueFromIntOrPercent(ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable, int(ds.Status.DesiredNumberScheduled), true)
		unavailable := int(ds.Status.NumberUnavailable)
		inv.maxUnavailable = max(inv.maxUnavailable, unavailable)
		if err == nil && unavailable > limit {
			inv.violate("daemonset", "DaemonSet %s: %d pods unavailable, above maxUnavailable %d", ds.Name, unavailable, limit)
		}
	}
	if cmErr == nil && !equalData(cm.Data, inv.lastENI) {
		inv.eniChanges = append(inv.eniChanges, eniChange{at: now, data: cm.Data})
		inv.lastENI = cm.Data
	}
}

// report is what the sampler saw, for the log, and its violations.
func (inv *invariants) report() (summary string, violations []violation) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return fmt.Sprintf("%d samples; at most %d Felix agents restarting at once, at most %d Terway pods unavailable; eni-config changed %d times",
		inv.samples, inv.maxRestarting, inv.maxUnavailable, len(inv.eniChanges)), append([]violation(nil), inv.violations...)
}

func equalData(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// clusterState is what "as it was" compares: eni-config's data, which
// Terway pod runs on each node (a restart replaces it), how each Felix
// runs, and which of Typha's objects exist.
type clusterState struct {
	eniConfig  map[string]string
	terwayPods map[string]string // node -> pod name
	felix      map[string]string // node -> mode
	typha      []string          // Typha's objects that exist: "Deployment", "Service", "PodDisruptionBudget"
}

func (s *simCluster) state(t *testing.T) clusterState {
	t.Helper()
	cm, err := s.cl.cs.CoreV1().ConfigMaps(terway.ENIConfigNamespace).Get(s.ctx, terway.ENIConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := clusterState{eniConfig: cm.Data, terwayPods: map[string]string{}, felix: map[string]string{}}
	for n, p := range s.terway.running() {
		st.terwayPods[n] = p.name
	}
	clients, err := s.felix.Clients(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		st.felix[c.Node] = c.Mode + "/" + c.Status
	}
	exists := func(err error) bool {
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	_, err = s.cl.cs.AppsV1().Deployments(render.Namespace).Get(s.ctx, render.Name, metav1.GetOptions{})
	if exists(err) {
		st.typha = append(st.typha, "Deployment")
	}
	_, err = s.cl.cs.CoreV1().Services(render.Namespace).Get(s.ctx, render.Name, metav1.GetOptions{})
	if exists(err) {
		st.typha = append(st.typha, "Service")
	}
	_, err = s.cl.cs.PolicyV1().PodDisruptionBudgets(render.Namespace).Get(s.ctx, render.Name, metav1.GetOptions{})
	if exists(err) {
		st.typha = append(st.typha, "PodDisruptionBudget")
	}
	return st
}

// diff lists how st differs from before.
func (st clusterState) diff(before clusterState) []string {
	var out []string
	if !equalData(st.eniConfig, before.eniConfig) {
		a, _ := yaml.Marshal(before.eniConfig)
		b, _ := yaml.Marshal(st.eniConfig)
		out = append(out, fmt.Sprintf("eni-config's data was\n%s\nand is\n%s", a, b))
	}
	if d := diffByNode(before.terwayPods, st.terwayPods); d != "" {
		out = append(out, "Terway pods replaced: "+d)
	}
	if d := diffByNode(before.felix, st.felix); d != "" {
		out = append(out, "Felix agents that run otherwise: "+d)
	}
	if strings.Join(st.typha, ",") != strings.Join(before.typha, ",") {
		out = append(out, fmt.Sprintf("Typha's objects were %v and are %v", before.typha, st.typha))
	}
	return out
}

// diffByNode says how many nodes' values differ between before and now,
// with an example, or "" when none does.
func diffByNode(before, now map[string]string) string {
	changed := 0
	var example string
	for n, v := range before {
		if now[n] != v {
			changed++
			example = fmt.Sprintf("%s: %s, now %q", n, v, now[n])
		}
	}
	if changed == 0 && len(now) == len(before) {
		return ""
	}
	return fmt.Sprintf("%d of %d (now %d), e.g. %s", changed, len(before), len(now), example)
}

// watchCount is the API server's own count of WATCH requests in flight
// (apiserver_longrunning_requests{verb="WATCH"}, summed over resources).
func (s *simCluster) watchCount(ctx context.Context) (int, error) {
	var last error
	for range 5 { // the API server may be busy (measured: a stream reset at 500 nodes)
		raw, err := s.cl.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		if err == nil {
			m, err := parseAPIMetrics(string(raw)) // as the relay benchmark reads it
			return m.totalWatches(), err
		}
		last = err
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return 0, fmt.Errorf("the API server's /metrics: %w", last)
}

// typhaConnections sums typha_connections_active over the running Typha
// processes, read on each node's address as Prometheus would.
func (s *simCluster) typhaConnections(ctx context.Context) (int, map[string]int, error) {
	per := map[string]int{}
	total := 0
	for node, p := range s.typha.running() {
		var port int32
		for _, cp := range p.container.Ports {
			if cp.Name == terway.TyphaMetricsPortName {
				port = cp.ContainerPort
			}
		}
		if port == 0 {
			return 0, nil, fmt.Errorf("Typha pod %s has no metrics port", p)
		}
		line := metricLine(ctx, fmt.Sprintf("http://%s:%d/metrics", s.node(node).ip, port), "typha_connections_active")
		f := strings.Fields(line)
		var v float64
		if len(f) != 2 || f[0] != "typha_connections_active" {
			return 0, nil, fmt.Errorf("Typha on %s: %s", node, line)
		}
		fmt.Sscanf(f[1], "%g", &v)
		per[node] = int(v)
		total += int(v)
	}
	return total, per, nil
}

// changes returns every change of eni-config's data the sampler saw.
func (inv *invariants) changes() []eniChange {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return append([]eniChange(nil), inv.eniChanges...)
}

// expectClean logs what the sampler saw and fails t for each violation,
// except those of node exempt (the canary's, whose Felix a stopping canary
// gate leaves out of sync until the undo path restarts it: the one node the
// canary risks); "" exempts nothing.
func (inv *invariants) expectClean(t *testing.T, when, exempt string) {
	t.Helper()
	summary, violations := inv.report()
	t.Logf("invariants %s: %s", when, summary)
	for _, v := range violations {
		if v.key == exempt {
			t.Logf("the canary's node, as the canary gate allows until the undo path restarts it: %s", v.msg)
			continue
		}
		t.Errorf("invariant violated %s: %s", when, v.msg)
	}
}

// gateOracle is the rehearsal's own check of what each gate claims when
// it passes, read from the simulated cluster's parts rather than through
// kubectl: a gate that passes when its claim is false fails the
// rehearsal.
func (s *simCluster) gateOracle(felixNodes int) gateCheck {
	return func(gate string, run cmdRun) string {
		ctx := s.ctx
		switch rollout.GateName(gate) {
		case rollout.GateTerwayVersion:
			ds, err := s.cl.cs.AppsV1().DaemonSets(terway.ENIConfigNamespace).Get(ctx, "terway-eniip", metav1.GetOptions{})
			if err != nil {
				return err.Error()
			}
			for _, c := range ds.Spec.Template.Spec.Containers {
				if c.Name != terwayPolicyContainer {
					continue
				}
				tag := c.Image[strings.LastIndex(c.Image, ":")+1:]
				r, ok := terway.ParseRelease(tag)
				if !ok || r.Less(terway.FirstTerwayWithRelay()) {
					return fmt.Sprintf("Terway's policy image is %s, not %s or later", c.Image, terway.FirstTerwayWithRelay())
				}
				return ""
			}
			return "Terway's DaemonSet has no policy container"
		case rollout.GateFelixEngine:
			cm, err := s.cl.cs.CoreV1().ConfigMaps(terway.ENIConfigNamespace).Get(ctx, terway.ENIConfigName, metav1.GetOptions{})
			if err != nil {
				return err.Error()
			}
			if r, err := terway.ReadEngine(cm.Data); err != nil || r.Engine != terway.EngineFelix {
				return fmt.Sprintf("terway.ReadEngine reads the live eni-config as %+v (%v)", r, err)
			}
		case rollout.GateImagePull:
			if code, ok := s.typha.exitedPod(rollout.PullCheckPod); !ok || code != 0 {
				return fmt.Sprintf("the Typha kubelet ran no %s to its end with status 0 (ran: %v, status %d)", rollout.PullCheckPod, ok, code)
			}
		case rollout.GateTyphaInSync:
			dep, err := s.cl.cs.AppsV1().Deployments(render.Namespace).Get(ctx, render.Name, metav1.GetOptions{})
			if err != nil {
				return err.Error()
			}
			ready := 0
			for _, p := range s.typha.running() {
				if p.isReady() {
					ready++
				}
			}
			if want := int(ptrValue(dep.Spec.Replicas, 1)); ready < want {
				return fmt.Sprintf("%d Typha processes pass their readinessProbe, want %d", ready, want)
			}
		case rollout.GateCanary:
			clients, err := s.felix.Clients(ctx)
			if err != nil {
				return err.Error()
			}
			var viaTypha []string
			for _, c := range clients {
				if c.Mode == felixsimclient.ModeTypha {
					viaTypha = append(viaTypha, c.Node+" "+c.Status)
				}
			}
			if len(viaTypha) != 1 || !strings.HasSuffix(viaTypha[0], " "+felixsimclient.StatusInSync) {
				return fmt.Sprintf("the Felix agents through Typha are %v; want one, the canary's, in sync", viaTypha)
			}
		case rollout.GateRolloutComplete:
			if why := s.felixNot(ctx, felixsimclient.ModeTypha, render.Name); why != "" {
				return "not every Felix is in sync through Typha: " + why
			}
			if n, per, err := s.typhaConnections(ctx); err != nil || n != felixNodes {
				return fmt.Sprintf("typha_connections_active sums to %d %v (%v), want %d", n, per, err, felixNodes)
			}
		case rollout.GateWithoutTypha:
			clients, err := s.felix.Clients(ctx)
			if err != nil {
				return err.Error()
			}
			for _, c := range clients {
				if c.Mode == felixsimclient.ModeTypha {
					return fmt.Sprintf("Felix on %s still runs through Typha (%s)", c.Node, c.Status)
				}
			}
			if n, per, err := s.typhaConnections(ctx); err != nil || n != 0 {
				return fmt.Sprintf("typha_connections_active sums to %d %v (%v), want 0", n, per, err)
			}
		default:
			return "the rehearsal has no check for gate " + gate + ": add one"
		}
		return ""
	}
}

func ptrValue[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
