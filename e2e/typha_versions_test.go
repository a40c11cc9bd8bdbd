//go:build e2e

package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// What Typha and Felix log, as the cases below look for it.
const (
	// Typha v3.29 and later, when EnsureInitialized cannot create the
	// default Tier (libcalico-go lib/clientv3/client.go; typha/pkg/daemon).
	tierInitLine = "Failed to initialize datastore"
	tierInitWhat = "Tier(default)"
	// Typha v3.32 and later, to a Felix without modern policy keys
	// (typha/pkg/syncserver/sync_server.go).
	refusedLine = "Client does not support modern policy keys, disconnecting."
	// Felix 3.24.5's discovery when the Endpoints list no ready Typha
	// (typha/pkg/discovery/discovery.go).
	noReadyTyphaLine = "Didn't find any ready Typha instances."
	// Felix 3.24.5's syncclient on a key it cannot parse
	// (typha/pkg/syncproto/sync_proto.go, typha/pkg/syncclient).
	badKeyLine  = "BUG: cannot parse key."
	skippedLine = "Failed to deserialize update, skipping."
	// refusedBound covers Felix's 10 s wait for Typha's hello and a restart.
	refusedBound = 20 * time.Second
	tierCRDName  = "tiers.crd.projectcalico.org"
	tierKeys     = "/calico/v1/policy/tier/"              // Tier <name> is sent as tierKeys + name + "/metadata"
	tierRBACName = "typharender-e2e-calico-policy-reader" // testdata/calico/rbac-policy-readers.yaml
	anpCRDName   = "adminnetworkpolicies.policy.networking.k8s.io"
)

// tierResource is what the Tier CRD serves.
var tierResource = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "tiers"}

// outcome is what a Typha release does for Felix 3.24.5 (and, for
// v3.20.2, Felix v3.20.2) in a Terway cluster on this kube-apiserver.
type outcome string

const (
	// Ready; Felix finds it through the Endpoints, reaches in-sync, and a
	// NetworkPolicy made then reaches Felix.
	syncs outcome = "in sync"
	// Ready, but Felix never reaches in-sync; Typha logs
	// terway.EndpointSliceLogLine every second.
	stuck outcome = "Ready, never in sync"
	// Never Ready: Typha cannot create the default Tier. Felix finds no
	// ready Typha in the Endpoints.
	neverReady outcome = "never Ready"
	// Ready; Typha disconnects Felix as it connects: refusedLine.
	refused outcome = "refuses Felix 3.24.5"
)

// typhaVersionCase is one Typha build run in TestTyphaVersions.
type typhaVersionCase struct {
	name    string // the subtest: the release, with the build (v3.20.2) or what the cluster has beyond Terway's objects
	release string // the tag render is given
	binary  string // in TYPHARENDER_E2E_CALICO_BIN, or with old in TYPHARENDER_E2E_TYPHA_BIN
	old     bool   // built by hack/typha-binaries.sh (v3.20.2)
	patched bool   // not the release as released (the EndpointSlice-v1 control)
	extra   extra  // what the cluster has beyond Terway's objects
	want    outcome
	why     []string // neverReady: substrings of one line of Typha's log that say why
}

// extra is what a case's cluster has beyond Terway's objects.
type extra int

const (
	terwayOnly  extra = iota // a Terway cluster as it is
	tierCRD                  // plus Calico's Tier CRD (testdata/calico)
	tierCRDRBAC              // plus Calico's Tier CRD and the list/watch RBAC Typha v3.29+ needs beyond Terway's role
	tierANPRBAC              // plus an AdminNetworkPolicy CRD (testdata/calico) too
)

// extrasYAML are the objects of testdata/calico that the cases add to a
// Terway cluster.
type extrasYAML struct{ tierCRD, rbac, anpCRD []byte }

func readExtras(t testing.TB) extrasYAML {
	t.Helper()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "calico", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	return extrasYAML{
		tierCRD: read("crd.projectcalico.org_tiers.yaml"),
		rbac:    read("rbac-policy-readers.yaml"),
		anpCRD:  read("adminnetworkpolicies-minimal.yaml"),
	}
}

// setExtras gives the cluster what x says beyond Terway's objects, and
// takes away what it does not. Each case starts without Tiers: Typha v3.29+
// creates some, and deleting the CRD deletes them.
func (e *relayEnv) setExtras(t testing.TB, y extrasYAML, x extra) {
	t.Helper()
	e.setCRD(t, tierCRDName, "Calico's Tier CRD (testdata/calico)", y.tierCRD, false)
	if x != terwayOnly {
		e.setCRD(t, tierCRDName, "Calico's Tier CRD (testdata/calico)", y.tierCRD, true)
	}
	e.setRBAC(t, tierRBACName, "Calico's policy readers (testdata/calico)", y.rbac, x >= tierCRDRBAC)
	e.setCRD(t, anpCRDName, "an AdminNetworkPolicy CRD (testdata/calico)", y.anpCRD, x >= tierANPRBAC)
}

// path is the case's Typha binary: in calico (hack/calico-binaries.sh's
// directory) or, for v3.20.2, in hack/typha-binaries.sh's (or it skips).
func (tc typhaVersionCase) path(t testing.TB, calico string) string {
	t.Helper()
	if tc.old {
		return filepath.Join(typhaBinaries(t), tc.binary)
	}
	return filepath.Join(calico, tc.binary)
}

// tierInit is why v3.29 and later are never Ready with Terway's CRDs.
var tierInit = []string{tierInitLine, tierInitWhat, "Tiers.crd.projectcalico.org"}

// forbidden is why they are never Ready with the Tier CRD but Terway's role.
func forbidden(resource string) []string {
	return []string{`User "system:serviceaccount:kube-system:terway" cannot list resource "` + resource + `"`}
}

// typhaVersionCases: every Typha typharender renders or warns about, in a
// Terway cluster as it is; then v3.29 and later with Calico's Tier CRD, and
// with the Tier CRD and the RBAC Calico's own calico-node role adds.
var typhaVersionCases = []typhaVersionCase{
	{name: "v3.20.2-upstream", release: "v3.20.2", binary: typhaUpstream, old: true, want: stuck},
	{name: "v3.20.2-endpointslice-v1", release: "v3.20.2", binary: typhaControl, old: true, patched: true, want: syncs},
	{name: "v3.24.5", release: "v3.24.5", binary: "calico-typha-v3.24.5", want: syncs},
	{name: "v3.28.5", release: "v3.28.5", binary: "calico-typha-v3.28.5", want: syncs},
	{name: "v3.29.7", release: "v3.29.7", binary: "calico-typha-v3.29.7", want: neverReady, why: tierInit},
	{name: "v3.31.7", release: "v3.31.7", binary: "calico-typha-v3.31.7", want: neverReady, why: tierInit},
	{name: "v3.32.1", release: "v3.32.1", binary: "calico-typha-v3.32.1", want: neverReady, why: tierInit},
	{name: "v3.29.7-with-tier-crd", release: "v3.29.7", binary: "calico-typha-v3.29.7", extra: tierCRD, want: neverReady, why: forbidden("adminnetworkpolicies")},
	{name: "v3.31.7-with-tier-crd", release: "v3.31.7", binary: "calico-typha-v3.31.7", extra: tierCRD, want: neverReady, why: forbidden("adminnetworkpolicies")},
	{name: "v3.32.1-with-tier-crd", release: "v3.32.1", binary: "calico-typha-v3.32.1", extra: tierCRD, want: neverReady, why: forbidden("clusternetworkpolicies")},
	{name: "v3.29.7-with-tier-crd-and-rbac", release: "v3.29.7", binary: "calico-typha-v3.29.7", extra: tierCRDRBAC, want: neverReady, why: []string{"resource does not exist: KubernetesAdminNetworkPolicy"}},
	{name: "v3.29.7-with-tier-and-anp-crds-and-rbac", release: "v3.29.7", binary: "calico-typha-v3.29.7", extra: tierANPRBAC, want: syncs},
	{name: "v3.31.7-with-tier-crd-and-rbac", release: "v3.31.7", binary: "calico-typha-v3.31.7", extra: tierCRDRBAC, want: syncs},
	{name: "v3.32.1-with-tier-crd-and-rbac", release: "v3.32.1", binary: "calico-typha-v3.32.1", extra: tierCRDRBAC, want: refused},
}

// TestTyphaVersions runs every Typha that typharender renders or warns
// about, for real, as Terway's ServiceAccount with Terway's ClusterRole and
// CRDs (testdata/terway) and the environment render gives that release, on
// the real kube-apiserver, inside the private network namespace. Felix's
// side is Felix 3.24.5's own code, the Felix every Terway since v1.5.1
// ships (felixsim: discovery over the Service's Endpoints, then the
// syncclient); for the two v3.20.2 builds also Felix v3.20.2's
// (e2e/felixclient), as an old Terway has. Each subtest asserts one row of
// the field table: its outcome. The subtest names are the sources the
// version table (terway/typha.go) cites.
func TestTyphaVersions(t *testing.T) {
	calico := calicoBinaries(t)
	nodeIP := privateNodeIP(t)
	old := os.Getenv(typhaBinEnv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	env := newTerwayEnv(ctx, t, nodeIP)
	env.bins = old
	env.applyRendered(t, env.renderOptions(""))
	terwayKubeconfig := env.kubeconfigFor(t, terwaySA)
	sim := env.startFelixSim(t, filepath.Join(calico, felixsimName), terwayKubeconfig)
	extras := readExtras(t)
	kube, err := versioning.Parse(env.kubeVersion)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range typhaVersionCases {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.path(t, calico)
			env.setExtras(t, extras, tc.extra)
			opts := env.renderOptions(tc.release)
			res := env.applyRenderedDeployment(t, opts)
			if tc.extra == terwayOnly && !tc.patched {
				compareWithTable(t, tc, kube, res)
			}
			// A new pod is not ready until its readinessProbe passes.
			env.setEndpoints(t, false)
			typha := env.startTyphaBinary(t, tc.name, bin, terwayKubeconfig)
			fx := sim.start(t, "felix-"+tc.name)
			switch tc.want {
			case neverReady:
				env.typhaNeverReady(t, typha, fx, tc.why)
			case syncs:
				env.typhaSyncs(t, tc, typha, fx, terwayKubeconfig)
			case stuck:
				env.typhaStuck(t, tc, typha, fx, terwayKubeconfig)
			case refused:
				env.typhaRefuses(t, typha, fx)
			}
		})
	}
}

// typhaNeverReady: Typha never passes the rendered readinessProbe and logs
// why (the Tier it cannot create, or what it may not list); Felix, reading the Endpoints, finds no
// ready Typha and never connects.
func (e *relayEnv) typhaNeverReady(t *testing.T, typha *process, fx *felix, why []string) {
	probes, last := e.assertNeverReady(t, typha, neverReadyBound)
	inits := grepFile(typha.logPath, why[0])
	inits = slices.DeleteFunc(inits, func(l string) bool {
		return slices.ContainsFunc(why[1:], func(w string) bool { return !strings.Contains(l, w) })
	})
	if len(inits) == 0 {
		t.Fatalf("no line of Typha's log has all of %q after %v; its last lines:\n%s", why, neverReadyBound, tail(typha.logPath, 20))
	}
	row := fx.row(t)
	if row.Status != felixsimclient.StatusWaitForReady || row.Connects != 0 {
		t.Errorf("Felix %s with no ready Typha: %+v; want status %s and no connection", fx.node, row, felixsimclient.StatusWaitForReady)
	}
	if len(fx.lines(noReadyTyphaLine)) == 0 {
		t.Errorf("Felix %s never logged %q; its log:\n%s", fx.node, noReadyTyphaLine, tail(fx.logPath, 15))
	}
	t.Logf("not Ready after %v (%d probes, the last answered %.200s); Typha logged %q %d times; first: %s", neverReadyBound, probes, last, why[0], len(inits), inits[0])
	t.Logf("Felix %s: %s, %d times %q", fx.node, row.Status, len(fx.lines(noReadyTyphaLine)), noReadyTyphaLine)
}

// typhaSyncs: Ready; Felix finds this Typha through the Endpoints, reaches
// in-sync, and a NetworkPolicy made now reaches it, created and deleted.
func (e *relayEnv) typhaSyncs(t *testing.T, tc typhaVersionCase, typha *process, fx *felix, kubeconfig string) {
	ready := e.waitTyphaReady(t, typha, typhaReadyBound)
	e.setEndpoints(t, true)
	row, took := fx.waitFor(t, "in sync", inSyncBound, typha, func(c felixsimclient.Client) bool { return c.Status == felixsimclient.StatusInSync })
	if !strings.HasPrefix(row.TyphaAddr, e.nodeIP+":") {
		t.Errorf("Felix %s is connected to %q; want this Typha on %s", fx.node, row.TyphaAddr, e.nodeIP)
	}
	t.Logf("Typha Ready after %v; Felix 3.24.5 in sync %v after the Endpoints listed it ready (connected to %s, %d keys, %d connection(s))",
		ready.Round(time.Millisecond), took.Round(time.Millisecond), row.TyphaAddr, row.Keys, row.Connects)
	// Typha relays a change made now: a Kubernetes NetworkPolicy, as Felix
	// holds it.
	name := relayProbePolicy + "-" + strings.ReplaceAll(tc.name, ".", "-")
	key := felixsimclient.KubernetesNetworkPolicyKey("default", name)
	created := time.Now()
	del := e.createNetworkPolicy(t, name)
	lat := fx.waitSeen(t, key, false, created, inSyncBound, typha)
	deleted := time.Now()
	del()
	dlat := fx.waitSeen(t, key, true, deleted, inSyncBound, typha)
	t.Logf("NetworkPolicy default/%s reached Felix as %s %v after its creation, its deletion %v after", name, key, lat.Round(time.Millisecond), dlat.Round(time.Millisecond))
	e.tierKeysDropped(t, tc, fx)
	if tc.old {
		// The old Terway's Felix (v3.20.2) syncs through it too.
		client := e.startFelixClient(t, kubeconfig)
		took := e.waitForLine(t, client, "status in-sync", inSyncBound, typha)
		t.Logf("Felix v3.20.2 client in sync %v after it started", took.Round(time.Millisecond))
	}
}

// typhaStuck: Ready, but no Felix reaches in-sync, and Typha logs the
// EndpointSlice error that the typha plan greps for.
func (e *relayEnv) typhaStuck(t *testing.T, tc typhaVersionCase, typha *process, fx *felix, kubeconfig string) {
	// It does turn Ready: a readiness probe does not show the fault.
	e.waitTyphaReady(t, typha, typhaReadyBound)
	e.setEndpoints(t, true)
	fx.waitFor(t, "connected", inSyncBound, typha, func(c felixsimclient.Client) bool { return c.Connects > 0 })
	var client *process
	if tc.old {
		client = e.startFelixClient(t, kubeconfig)
		e.waitForLine(t, client, "status ", inSyncBound, typha) // connected: it reports some status
	}
	time.Sleep(notInSyncBound)
	if row := fx.row(t); row.Status == felixsimclient.StatusInSync || row.InSyncSince != "" {
		t.Fatalf("Felix 3.24.5 reached in-sync through %s within %v: %+v", tc.name, notInSyncBound, row)
	} else {
		t.Logf("Felix 3.24.5 not in sync after %v: %+v", notInSyncBound, row)
	}
	if client != nil {
		if lines := grepFile(client.logPath, "status in-sync"); len(lines) > 0 {
			t.Fatalf("the Felix v3.20.2 client reached in-sync through %s within %v; want it stuck (statuses %v)", tc.name, notInSyncBound, statusLines(client))
		}
		if exited(client) {
			t.Fatalf("the Felix v3.20.2 client exited: %v\n%s", client.waitErr, tail(client.logPath, 20))
		}
		t.Logf("Felix v3.20.2 client not in sync after %v; its statuses: %v", notInSyncBound, statusLines(client))
	}
	// The typha plan's in-sync gate counts terway.EndpointSliceLogLine in
	// every Typha pod's log and names it when it stops: here is that line
	// from a real Typha. It is logged at INFO: a Typha whose
	// TYPHA_LOGSEVERITYSCREEN is warning or above does not log it (the plan
	// refuses such a rendering).
	errs := grepFile(typha.logPath, terway.EndpointSliceLogLine)
	if len(errs) == 0 {
		t.Fatalf("Typha's log lacks %q, the line the plan's in-sync gate names; its last lines:\n%s", terway.EndpointSliceLogLine, tail(typha.logPath, 20))
	}
	t.Logf("Typha logged %q %d times in %v; first: %s", terway.EndpointSliceLogLine, len(errs), notInSyncBound, errs[0])
	plan, err := rollout.Plan(rollout.Options{Mode: render.ModeTypha, Cluster: e.renderOptions(tc.release)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(plan.Steps, func(s rollout.Step) bool {
		return s.Gate != nil && s.Gate.Name == rollout.GateTyphaInSync && strings.Contains(s.Commands[0], terway.EndpointSliceLogLine)
	}) {
		t.Errorf("the typha plan's in-sync gate does not look for %q: %q", terway.EndpointSliceLogLine, planCommands(plan))
	}
}

// typhaRefuses: Ready, and it disconnects Felix 3.24.5 as it connects; Felix
// never reaches in-sync, and reconnects as its restarts go.
func (e *relayEnv) typhaRefuses(t *testing.T, typha *process, fx *felix) {
	e.waitTyphaReady(t, typha, typhaReadyBound)
	e.setEndpoints(t, true)
	start := time.Now()
	var refusals []string
	for time.Since(start) < refusedBound {
		if refusals = grepFile(typha.logPath, refusedLine); len(refusals) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(refusals) == 0 {
		t.Fatalf("Typha did not log %q within %v; its last lines:\n%s\nFelix's log:\n%s", refusedLine, refusedBound, tail(typha.logPath, 20), tail(fx.logPath, 15))
	}
	took := time.Since(start)
	time.Sleep(refusedBound) // long enough for Felix's hello timeout and a restart
	row := fx.row(t)
	if row.Status == felixsimclient.StatusInSync || row.InSyncSince != "" || row.Keys != 0 {
		t.Fatalf("Felix 3.24.5 synced through a Typha that refuses it: %+v", row)
	}
	if row.Connects == 0 {
		t.Fatalf("Felix 3.24.5 never connected: %+v; its log:\n%s", row, tail(fx.logPath, 15))
	}
	refusals = grepFile(typha.logPath, refusedLine)
	t.Logf("Typha logged %q %v after the Endpoints listed it ready, %d times in all; first: %s", refusedLine, took.Round(time.Millisecond), len(refusals), refusals[0])
	t.Logf("Felix 3.24.5 after %v: %+v; the end of its log:\n%s", refusedBound, row, tail(fx.logPath, 12))
}

// compareWithTable checks terway/typha.go's version table against the run:
// the table finds no problem with this release on this Kubernetes exactly
// when the run shows it serving Felix 3.24.5 (the case's outcome), and
// render refuses the release, naming a claim that lifts it, exactly when
// the table finds a problem. The subtest names are the table's sources.
func compareWithTable(t *testing.T, tc typhaVersionCase, kube versioning.Version, res *render.Result) {
	t.Helper()
	rel, ok := terway.ParseRelease(tc.release)
	if !ok {
		t.Fatalf("release %q does not parse", tc.release)
	}
	var problems []string
	for _, f := range terway.CheckTypha(rel, kube, terway.CurrentFelix()) {
		problems = append(problems, string(f.Problem))
	}
	from, before := terway.TyphaWindow()
	inWindow := !rel.Less(from) && rel.Less(before)
	if works := len(problems) == 0; works != (tc.want == syncs) || inWindow != works {
		t.Errorf("version table: %s in window [%s, %s) = %v, CheckTypha problems %v; the run: %s. The table contradicts the run",
			rel, from, before, inWindow, problems, tc.want)
	}
	_, err := render.Render(render.Options{Region: relayRegion, Nodes: relayNodes, KubeVersion: kube.String(), Tag: tc.release})
	var oe *render.OptionError
	switch refused := errors.As(err, &oe); {
	case len(problems) == 0 && err != nil:
		t.Errorf("render refuses %s, which the table lets through: %v", tc.release, err)
	case len(problems) > 0 && (!refused || oe.Vouch == ""):
		t.Errorf("render does not refuse %s (problems %v) naming a claim that lifts it: %v", tc.release, problems, err)
	}
	var warns []string
	for _, f := range res.Findings {
		warns = append(warns, f.Warning())
	}
	t.Logf("version table: %s in [%s, %s) = %v, problems %v; render (vouched as the table asks) warns %q; the run: %s; the table agrees",
		rel, from, before, inWindow, problems, warns, tc.want)
}

// tierKeysDropped: every Tier in the cluster (Typha v3.29 and later create
// some when they can) reached Felix 3.24.5 as a key it cannot parse: it
// logged badKeyLine once for each on its one connection, holds none of them,
// and is in sync all the same.
func (e *relayEnv) tierKeysDropped(t *testing.T, tc typhaVersionCase, fx *felix) {
	t.Helper()
	var tiers []string
	if tc.extra != terwayOnly {
		list, err := e.dyn.Resource(tierResource).List(e.ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", tierCRDName, err)
		}
		for _, it := range list.Items {
			tiers = append(tiers, it.GetName())
		}
	}
	var logged []string
	for _, l := range fx.lines(badKeyLine) {
		i := strings.Index(l, `key="`+tierKeys)
		if i < 0 {
			t.Errorf("Felix %s could not parse a key that is not a Tier: %s", fx.node, l)
			continue
		}
		name := strings.TrimSuffix(l[i+len(`key="`+tierKeys):], `/metadata"`)
		logged = append(logged, name)
	}
	slices.Sort(tiers)
	slices.Sort(logged)
	if !slices.Equal(tiers, logged) {
		t.Errorf("Felix %s logged %q for Tiers %v; the cluster has Tiers %v", fx.node, badKeyLine, logged, tiers)
	}
	var held []string
	for _, k := range fx.keysWithPrefix(t, tierKeys) {
		if strings.HasSuffix(k, "/metadata") {
			held = append(held, k)
		}
	}
	if len(held) > 0 {
		t.Errorf("Felix %s holds Tier keys %v", fx.node, held)
	}
	if row := fx.row(t); row.Status != felixsimclient.StatusInSync {
		t.Errorf("Felix %s is %s after the Tier keys", fx.node, row.Status)
	}
	t.Logf("the cluster has Tiers %v; Felix 3.24.5 logged %q for each (%d lines) and %d times %q, holds none, and stays in sync",
		tiers, badKeyLine, len(logged), len(fx.lines(skippedLine)), skippedLine)
}
