//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/terway"
)

// planInputs are the commands a person runs before typharender plan, as
// the README's examples show: the nodes, the version and eni-config, from
// the cluster.
var planInputs = []string{
	"kubectl get nodes -o json > nodes.json",
	"kubectl version -o json > version.json",
	"kubectl -n kube-system get cm eni-config -o yaml > eni-config.yaml",
}

// typhaPlanArgs is the typha plan for the simulated cluster, from those
// inputs, with Typha's metrics (the rollout gate then counts connections
// per replica), and extra flags.
func typhaPlanArgs(extra ...string) []string {
	return append([]string{"--mode typha --region cn-hangzhou --nodes-from nodes.json --kube-version-from version.json --eni-config eni-config.yaml --set metrics.enabled=true"}, extra...)
}

// TestRehearsal is the dress rehearsal: on one simulated Terway cluster of
// 500 Felix nodes (and 10 exclusive-ENI and 10 virtual ones), every command
// of the plans a person runs, in order, through bash with the real kubectl,
// each judged as its step says, while the invariants are sampled:
//
//  1. the typha plan with one command broken on purpose (a wrong label
//     selector in the in-sync gate) fails, naming the step and showing the
//     command's output; its undo path leaves the cluster as it was;
//  2. the typha plan with the stock Typha v3.20.2 (vouched for) stops at the
//     in-sync gate, before eni-config changes; the undo leaves the cluster
//     as it was;
//  3. with a Typha that never becomes Ready (v3.29.7, vouched for, and no
//     Tier CRD), the same.
//
// Each scenario starts from the cluster the one before left, which is
// itself a check of "as it was". The scenarios that restart every Terway
// pod (4 to 8) are TestRehearsalRestarts', on 100 Felix nodes: the typha
// plan's rolling restart at 500 did not finish in 20 minutes on this
// 2-core machine (the Felix agents not yet restarted watch the API server
// directly, N² events in one felixsim process), which make e2e cannot
// afford in CI's 90 minutes. TYPHARENDER_E2E_FELIX_NODES=500 runs those at
// 500 too.
func TestRehearsal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	s, scenario := rehearsalCluster(t, ctx, 500)
	base := s.state(t)
	felixNodes := len(s.nodesOf(felixNode))

	scenario("1-broken-command-fails-naming-its-step", func(t *testing.T, r *rehearsal) {
		doc := r.plan(planInputs, typhaPlanArgs()...)
		i := gateIndex(t, doc, rollout.GateTyphaInSync)
		good := "-l " + render.AppLabel + "=" + render.Name
		bad := "-l " + render.AppLabel + "=calico-typa"
		if !strings.Contains(doc.Steps[i].Commands[0], good) {
			t.Fatalf("the in-sync gate has no %q to break:\n%s", good, doc.Steps[i].Commands[0])
		}
		doc.Steps[i].Commands[0] = strings.ReplaceAll(doc.Steps[i].Commands[0], good, bad)
		out, err := r.execute(doc, s.gateOracle(felixNodes))
		verdict := completes(out, err)
		if verdict == nil {
			t.Fatalf("the plan with %q in its in-sync gate ran to the end; the rehearsal must fail", bad)
		}
		msg := verdict.Error()
		for _, want := range []string{fmt.Sprintf("step %d ", i+1), doc.Steps[i].Title, "STOP: 0 of 3 Typha pods are in sync", bad} {
			if !strings.Contains(msg, want) {
				t.Errorf("the rehearsal's failure does not name %q:\n%s", want, msg)
			}
		}
		t.Logf("the rehearsal of the broken plan fails as it should:\n%s", msg)
		s.expectAsBefore(t, base, "after the broken plan's undo path")
	})

	scenario("2-stock-v3.20.2-stops-at-the-in-sync-gate", func(t *testing.T, r *rehearsal) {
		typhaBinaries(t) // v3.20.2 as released, from hack/typha-binaries.sh
		s.mustStopAt(t, r, rollout.GateTyphaInSync, terway.EndpointSliceLogLine, typhaPlanArgs("--set image.tag=v3.20.2 --set vouch.endpointSliceV1=true")...)
		s.expectAsBefore(t, base, "after the undo path")
	})

	scenario("3-typha-never-ready-stops-at-the-in-sync-gate", func(t *testing.T, r *rehearsal) {
		s.mustStopAt(t, r, rollout.GateTyphaInSync, "is not Ready after", typhaPlanArgs("--set image.tag=v3.29.7 --set vouch.tierCRD=true --timeout 90s")...)
		s.expectAsBefore(t, base, "after the undo path")
	})

	s.logCost(t, "at the end")
}

// TestRehearsalRestarts rehearses, the same way, the scenarios that restart
// every Terway pod, on a cluster of 100 Felix nodes (and 2 exclusive-ENI and
// 2 virtual ones):
//
//  4. with Typha's port blocked between nodes, so the canary's Felix cannot
//     reach Typha: the canary gate stops the plan before the rolling
//     restart, and the undo path restores eni-config and Felix;
//  5. the typha plan, as printed, to the end: every Felix through Typha,
//     one connection per Felix node, fewer WATCH requests on the API server;
//  6. its rollback (plan --mode rollback --from typha): Felix direct again,
//     Typha's objects gone, the BGPPeer CRD kept, eni-config the backup's;
//  7. the disable-policy plan and 8. its rollback.
//
// Each restart of all Terway pods while Felix agents watch the API server
// directly costs N² events (every agent lists every pod and node and
// receives every other pod's events: what Typha is for). One such restart
// costs about 11 CPU-minutes at 500 nodes (27 CPU-seconds measured at 100),
// and felixsim's memory reached 12 GiB in one on the busy VM; so these run
// at 100. TYPHARENDER_E2E_FELIX_NODES sets both tests' sizes.
func TestRehearsalRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	s, scenario := rehearsalCluster(t, ctx, 100)
	base := s.state(t)

	scenario("4-canary-cannot-reach-typha-stops-before-the-rolling-restart", func(t *testing.T, r *rehearsal) {
		// A security group without the rule for 5473: Typha runs and
		// syncs, but no Felix on another node reaches it.
		s.typha.blockPort(terway.TyphaPort)
		defer s.typha.unblockPort(terway.TyphaPort)
		doc, out := s.mustStopAt(t, r, rollout.GateCanary, "is not in sync through Typha", typhaPlanArgs()...)
		canary := out.stopStep
		for _, run := range r.runs {
			if run.step > canary && !doc.Steps[run.step-1].Undo {
				t.Errorf("step %d (%s) ran after the canary stopped the plan", run.step, run.title)
			}
		}
		// Before the undo path, exactly one Terway pod (the canary's)
		// started after the patch, with Typha.
		var typhaStarts []terwayStart
		for _, st := range s.terway.starts() {
			if st.at.After(r.runs[0].start) && st.at.Before(out.stopped.start.Add(out.stopped.took)) {
				typhaStarts = append(typhaStarts, st)
			}
		}
		if len(typhaStarts) != 1 || typhaStarts[0].mode != felixsimclient.ModeTypha {
			t.Errorf("Terway pods started between the plan's start and the canary's STOP: %+v; want one, the canary's, with Typha", typhaStarts)
		}
		now := s.state(t)
		if !equalData(now.eniConfig, base.eniConfig) {
			t.Errorf("after the undo path eni-config's data is %q; want it as before the plan: %q", now.eniConfig, base.eniConfig)
		}
		s.waitFelix(t, felixsimclient.ModeDirect, "", felixSyncBound)
		if len(now.typha) != 0 {
			t.Errorf("after the undo path Typha's objects %v remain", now.typha)
		}
	})

	typhaForwardAndBack(ctx, s, scenario)

	scenario("7-disable-policy", func(t *testing.T, r *rehearsal) {
		doc, _ := s.runToEnd(t, r, eniConfigInput, "--mode disable-policy --eni-config eni-config.yaml", nil)
		verify := runOf(t, r, doc, func(st planStep) bool { return st.Title == "Verify" })
		if got := strings.TrimSpace(verify.stdout); got != "true" {
			t.Errorf("the disable-policy plan's Verify step prints %q; its note says it prints true", got)
		}
		clients, err := s.felix.Clients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(clients) != 0 {
			t.Errorf("%d Felix agents run with NetworkPolicy off, e.g. %+v; want none", len(clients), clients[0])
		}
		for n, p := range s.terway.running() {
			if p.engine != terway.EngineNone {
				t.Errorf("node %s: Terway pod %s runs %s; want none with NetworkPolicy off", n, p.name, p.engine)
			}
		}
	})

	scenario("8-rollback-from-disable-policy", func(t *testing.T, r *rehearsal) {
		s.rollBack(t, r, "7-disable-policy", "--from disable-policy")
		now := s.expectRolledBack(t, r)
		if !equalData(now.eniConfig, base.eniConfig) {
			t.Errorf("eni-config after every plan and rollback is not the cluster's first: %q, first %q", now.eniConfig, base.eniConfig)
		}
	})
	s.logCost(t, "at the end")
}

// typhaForwardAndBack rehearses scenarios 5 and 6: the typha plan, as
// printed, to the end (every Felix through Typha, one connection per Felix
// node, fewer WATCH requests on the API server), then its rollback.
func typhaForwardAndBack(ctx context.Context, s *simCluster, scenario func(string, func(*testing.T, *rehearsal))) {
	felixNodes := len(s.nodesOf(felixNode))
	var watchesDirect int
	scenario("5-typha-plan-to-the-end", func(t *testing.T, r *rehearsal) {
		var err error
		if watchesDirect, err = s.watchCount(ctx); err != nil {
			t.Fatal(err)
		}
		doc, inv := s.runToEnd(t, r, planInputs, strings.Join(typhaPlanArgs(), " "), func(doc planDoc) {
			s.libraryAgrees(t, r, doc, render.Options{Metrics: true})
		})
		// eni-config changed once: the patch, after the in-sync gate
		// passed and before the canary.
		patched := runOf(t, r, doc, func(st planStep) bool { return strings.HasPrefix(st.Title, "Point Terway's Felix at Typha") })
		inSync := runOf(t, r, doc, func(st planStep) bool { return st.Gate != nil && st.Gate.Name == string(rollout.GateTyphaInSync) })
		if changes := inv.changes(); len(changes) != 1 || changes[0].at.Before(inSync.start.Add(inSync.took)) || changes[0].at.Before(patched.start) {
			t.Errorf("eni-config changed at %v; want once, by the patch (at %v), after the in-sync gate passed (at %v)", changeTimes(changes), patched.start, inSync.start.Add(inSync.took))
		}
		conns, per, err := s.typhaConnections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if conns != felixNodes {
			t.Errorf("typha_connections_active sums to %d across the replicas %v; want %d, one per Felix node", conns, per, felixNodes)
		}
		watches, err := s.watchCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after the typha plan: %d Felix agents connected to the Typha replicas %v; the API server's WATCH requests went from %d (every Felix direct) to %d", conns, per, watchesDirect, watches)
		if watches >= watchesDirect/2 {
			t.Errorf("the API server's WATCH requests fell from %d only to %d; want less than half", watchesDirect, watches)
		}
		s.logCost(t, "after the typha plan")
	})

	scenario("6-rollback-from-typha", func(t *testing.T, r *rehearsal) {
		s.rollBack(t, r, "5-typha-plan-to-the-end", "--from typha --metrics")
		now := s.expectRolledBack(t, r)
		if len(now.typha) != 0 {
			t.Errorf("Typha's objects after the rollback: %v; want none", now.typha)
		}
		if _, err := s.ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, render.CRDName, metav1.GetOptions{}); err != nil {
			t.Errorf("the BGPPeer CRD %s after the rollback: %v; want it kept", render.CRDName, err)
		}
		watches, err := s.watchCount(ctx)
		if err == nil {
			t.Logf("after the rollback the API server's WATCH requests are %d (%d before the typha plan)", watches, watchesDirect)
		}
	})

}

// rehearsalCluster starts a simulated cluster of felix Felix nodes for a
// rehearsal and returns it with the function that runs one scenario on it:
// a subtest with a working directory of its own, timed.
func rehearsalCluster(t *testing.T, ctx context.Context, felix int) (*simCluster, func(string, func(*testing.T, *rehearsal))) {
	t.Helper()
	s := startSimCluster(t, ctx, simSize(t, felix))
	s.logCost(t, "after start")
	return s, func(name string, f func(t *testing.T, r *rehearsal)) {
		start := time.Now()
		t.Run(name, func(t *testing.T) { f(t, newRehearsal(t, s, name)) })
		t.Logf("scenario %s took %v", name, time.Since(start).Round(time.Second))
	}
}

// eniConfigInput is the plan input of the plans that need only eni-config.
var eniConfigInput = []string{"kubectl -n kube-system get cm eni-config -o yaml > eni-config.yaml"}

// runToEnd runs a plan, typharender plan ARGS after the inputs, which must
// run to its end, with the invariants sampled throughout; before, if not
// nil, sees the plan first. It returns the plan and the sampler.
func (s *simCluster) runToEnd(t *testing.T, r *rehearsal, inputs []string, args string, before func(planDoc)) (planDoc, *invariants) {
	t.Helper()
	inv := s.watchInvariants(t)
	doc := r.plan(inputs, args)
	if before != nil {
		before(doc)
	}
	out, err := r.execute(doc, s.gateOracle(len(s.nodesOf(felixNode))))
	if err := completes(out, err); err != nil {
		t.Fatal(err)
	}
	inv.end()
	inv.expectClean(t, "during "+doc.Summary, "")
	return doc, inv
}

// rollBack runs plan --mode rollback with the flags from (--from ...) and
// the backup the plan of scenario prev took, moved into r's working
// directory as a person keeps it beside the next plan.
func (s *simCluster) rollBack(t *testing.T, r *rehearsal, prev, from string) {
	t.Helper()
	backup := filepath.Join(workdirOf(t, s, prev), rollout.ENIConfigBackup)
	if err := os.Rename(backup, filepath.Join(r.dir, rollout.ENIConfigBackup)); err != nil {
		t.Fatalf("the backup of scenario %s: %v", prev, err)
	}
	s.runToEnd(t, r, eniConfigInput, "--mode rollback "+from+" --eni-config eni-config.yaml --eni-config-backup "+rollout.ENIConfigBackup, nil)
}

// expectRolledBack checks what every rollback promises: every Felix node's
// Felix in sync directly with the API server, and eni-config's data the
// backup's in r's working directory, byte for byte. It returns the state.
func (s *simCluster) expectRolledBack(t *testing.T, r *rehearsal) clusterState {
	t.Helper()
	s.waitFelix(t, felixsimclient.ModeDirect, "", felixSyncBound)
	now := s.state(t)
	backup := readConfigMap(t, filepath.Join(r.dir, rollout.ENIConfigBackup))
	if !equalData(now.eniConfig, backup.Data) {
		t.Errorf("eni-config after the rollback is not the backup's, byte for byte:\nnow:    %q\nbackup: %q", now.eniConfig, backup.Data)
	}
	return now
}

// completes turns a plan's outcome into the rehearsal's verdict for a plan
// that must run to its end: nil, or the error that names the step that
// stopped it and shows the run.
func completes(out planOutcome, err error) error {
	if err != nil {
		return err
	}
	if out.stopped != nil {
		return &stepError{step: out.stopStep, title: out.stopped.title, run: *out.stopped,
			why: fmt.Sprintf("its gate said STOP, and the undo path ran (steps %v)", out.undone)}
	}
	return nil
}

// mustStopAt runs the typha plan with args, which must stop at gate with a
// STOP line that says why (naming want), before eni-config changes, and
// then run its undo path to the end.
func (s *simCluster) mustStopAt(t *testing.T, r *rehearsal, gate rollout.GateName, want string, args ...string) (planDoc, planOutcome) {
	t.Helper()
	inv := s.watchInvariants(t)
	doc := r.plan(planInputs, args...)
	out, err := r.execute(doc, s.gateOracle(len(s.nodesOf(felixNode))))
	if err != nil {
		t.Fatal(err)
	}
	if out.stopped == nil {
		t.Fatalf("the plan ran to the end; it must stop at gate %s", gate)
	}
	st := doc.Steps[out.stopStep-1]
	if st.Gate.Name != string(gate) {
		t.Fatalf("the plan stopped at step %d, gate %s; want gate %s:\n%s", out.stopStep, st.Gate.Name, gate, out.stopped)
	}
	stop := lastLine(out.stopped.stdout)
	if !strings.Contains(stop, want) {
		t.Errorf("gate %s stops with %q; want the reason to name %q", gate, stop, want)
	}
	if len(out.undone) == 0 || out.undone[0] != st.Gate.UndoFrom || out.undone[len(out.undone)-1] != len(doc.Steps) {
		t.Errorf("after the STOP the undo path ran steps %v; want %d to %d", out.undone, st.Gate.UndoFrom, len(doc.Steps))
	}
	inv.end()
	exempt := ""
	if gate == rollout.GateCanary {
		if m := canaryNodeRE.FindStringSubmatch(stop); m != nil {
			exempt = m[1]
		} else {
			t.Errorf("the canary gate's STOP line names no node (%q): %q", canaryNodeRE, stop)
		}
	}
	inv.expectClean(t, "during the stopped plan", exempt)
	if gate == rollout.GateTyphaInSync {
		if changes := inv.changes(); len(changes) != 0 {
			t.Errorf("eni-config changed at %v: the in-sync gate must stop the plan before it does", changeTimes(changes))
		}
		for _, st := range s.terway.starts() {
			if st.mode == felixsimclient.ModeTypha && st.at.After(r.runs[0].start) {
				t.Errorf("Terway pod %s on %s started with Typha during a plan stopped at the in-sync gate", st.pod, st.node)
			}
		}
	}
	t.Logf("gate %s (step %d) stopped the plan: %s; the undo path ran steps %v", gate, out.stopStep, stop, out.undone)
	return doc, out
}

// canaryNodeRE finds the canary's node in the canary gate's STOP line.
var canaryNodeRE = regexp.MustCompile(`Felix on node (\S+) `)

// expectAsBefore checks that the cluster is as it was in before: the same
// eni-config, the same Terway pods (none restarted), every Felix as it
// ran, no Typha objects. (The BGPPeer CRD a plan applied stays, as the
// undo path says.)
func (s *simCluster) expectAsBefore(t *testing.T, before clusterState, when string) {
	t.Helper()
	for _, d := range s.state(t).diff(before) {
		t.Errorf("%s the cluster is not as it was: %s", when, d)
	}
}

// gateIndex returns the index of the step of gate name.
func gateIndex(t *testing.T, doc planDoc, name rollout.GateName) int {
	t.Helper()
	for i, st := range doc.Steps {
		if st.Gate != nil && st.Gate.Name == string(name) {
			return i
		}
	}
	t.Fatalf("the plan has no gate %s", name)
	return -1
}

// runOf returns the last run of a command of the step that match selects.
func runOf(t *testing.T, r *rehearsal, doc planDoc, match func(planStep) bool) cmdRun {
	t.Helper()
	for i := len(r.runs) - 1; i >= 0; i-- {
		run := r.runs[i]
		if run.step > 0 && match(doc.Steps[run.step-1]) {
			return run
		}
	}
	t.Fatalf("no step of the plan that matches was run")
	return cmdRun{}
}

func changeTimes(cs []eniChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.at.Format("15:04:05.000"))
	}
	return out
}

// workdirOf returns the working directory the scenario name used (a
// person keeps the plan's backup beside it), so a rollback can take it.
func workdirOf(t *testing.T, s *simCluster, name string) string {
	t.Helper()
	dir, ok := s.workdirs[name]
	if !ok {
		t.Fatalf("scenario %s left no working directory", name)
	}
	return dir
}

// libraryAgrees checks that the plan as printed is the library's: the same
// steps, from rollout.Plan with the options the CLI was given.
func (s *simCluster) libraryAgrees(t *testing.T, r *rehearsal, doc planDoc, cluster render.Options) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.dir, "eni-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var eni corev1.ConfigMap
	if err := yaml.Unmarshal(data, &eni); err != nil {
		t.Fatal(err)
	}
	info, err := s.cl.disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := s.cl.cs.CoreV1().Nodes().List(s.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cluster.Region, cluster.Nodes, cluster.KubeVersion = "cn-hangzhou", terway.CountFelixNodes(nodes.Items).Felix, info.GitVersion
	save := doc.Steps[slices.IndexFunc(doc.Steps, func(st planStep) bool { return st.Target == string(rollout.TargetLocal) })]
	renderCmd := strings.TrimSuffix(save.Commands[0], " > "+rollout.DefaultManifest)
	res, err := rollout.Plan(rollout.Options{Mode: render.ModeTypha, Cluster: cluster, ENIConfig: &eni, RenderCommand: renderCmd})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != len(doc.Steps) {
		t.Fatalf("rollout.Plan has %d steps, the CLI printed %d", len(res.Steps), len(doc.Steps))
	}
	for i, st := range res.Steps {
		got := doc.Steps[i]
		want := planStep{Title: st.Title, Commands: st.Commands, Notes: st.Notes, Target: string(st.Target), Undo: st.Undo}
		if st.Gate != nil {
			want.Gate = &planGate{Name: string(st.Gate.Name), Pass: rollout.GatePass, Stop: rollout.GateStop, UndoFrom: st.Gate.UndoFrom, TimeoutSeconds: int(st.Gate.Timeout / time.Second)}
		}
		if want.Commands == nil {
			want.Commands = []string{}
		}
		if want.Notes == nil {
			want.Notes = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("step %d as printed differs from rollout.Plan's:\nprinted: %+v\nlibrary: %+v", i+1, got, want)
		}
	}
}
