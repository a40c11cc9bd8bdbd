//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// Environment set by hack/e2e.sh for the tests that run Calico v3.24+.
const (
	calicoBinEnv  = "TYPHARENDER_E2E_CALICO_BIN"  // hack/calico-binaries.sh's directory
	calicoSkipEnv = "TYPHARENDER_E2E_CALICO_SKIP" // why there are no Calico binaries
	felixsimName  = "felixsim"                    // e2e/felixsim/main.go, built in the v3.24.5 tree
)

// calicoBinaries returns hack/calico-binaries.sh's directory, or skips.
func calicoBinaries(t testing.TB) string {
	t.Helper()
	names := []string{felixsimName}
	for _, tc := range typhaVersionCases {
		if !tc.old {
			names = append(names, tc.binary)
		}
	}
	return binaryDir(t, calicoBinEnv, calicoSkipEnv, "hack/calico-binaries.sh", names...)
}

// felixSim is a running felixsim: simulated Felix 3.24.5 agents.
type felixSim struct {
	*felixsimclient.Sim
	p   *process
	env *relayEnv
}

// startFelixSim runs felixsim as the identity of kubeconfig (Felix runs as
// Terway's ServiceAccount), with env added to its environment, and waits
// until it serves. It is stopped when t ends.
func (e *relayEnv) startFelixSim(t testing.TB, bin, kubeconfig string, env ...string) *felixSim {
	t.Helper()
	return e.startFelixSimWith(t, bin, kubeconfig, env)
}

// startFelixSimWith is startFelixSim with args added to felixsim's flags.
func (e *relayEnv) startFelixSimWith(t testing.TB, bin, kubeconfig string, env []string, args ...string) *felixSim {
	t.Helper()
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePorts(t, 1)[0]))
	p := e.c.startProcess(t, felixsimName, bin, append([]string{"PATH=/usr/bin:/bin", "HOME=" + e.c.dir}, env...),
		append([]string{"--kubeconfig=" + kubeconfig, "--listen=" + listen}, args...)...)
	t.Cleanup(func() { p.stop(t) })
	f := &felixSim{Sim: felixsimclient.New(listen), p: p, env: e}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f.Healthy(e.ctx)
		if err == nil {
			return f
		}
		if exited(p) {
			t.Fatalf("felixsim exited: %v\n%s", p.waitErr, tail(p.logPath, 20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("felixsim does not serve on %s: %v\n%s", listen, err, tail(p.logPath, 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// felix is one simulated Felix of a felixSim.
type felix struct {
	sim     *felixSim
	node    string
	logPath string
}

// start starts node's Felix in typha mode, finding Typha as Felix does
// from the Service Terway names (felix_relay_service); it is stopped when t
// ends.
func (f *felixSim) start(t testing.TB, node string) *felix {
	t.Helper()
	logPath := filepath.Join(f.env.c.dir, "felix-"+node+".log")
	err := f.Start(f.env.ctx, felixsimclient.Spec{
		Node: node, Mode: felixsimclient.ModeTypha,
		TyphaNamespace: typhaNamespace, TyphaService: f.env.felixService,
		LogPath: logPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started simulated Felix 3.24.5 %s (log %s)", node, logPath)
	fx := &felix{sim: f, node: node, logPath: logPath}
	t.Cleanup(func() {
		if err := f.Stop(context.Background(), node); err != nil && !exited(f.p) {
			t.Errorf("stop Felix %s: %v", node, err)
		}
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", logPath, tail(logPath, 30))
		}
	})
	return fx
}

// row returns the Felix's current row.
func (fx *felix) row(t testing.TB) felixsimclient.Client {
	t.Helper()
	if exited(fx.sim.p) {
		t.Fatalf("felixsim exited: %v\n%s", fx.sim.p.waitErr, tail(fx.sim.p.logPath, 20))
	}
	row, err := fx.sim.Client(fx.sim.env.ctx, fx.node)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// waitFor polls the Felix's row until ok, and returns the row and how long
// it took; after bound it fails with what the Felix and Typha said.
func (fx *felix) waitFor(t testing.TB, what string, bound time.Duration, typha *process, ok func(felixsimclient.Client) bool) (felixsimclient.Client, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		row := fx.row(t)
		if ok(row) {
			return row, time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("Felix %s: not %s within %v (now %+v); its log:\n%s\n%s\n%s; Typha's last lines:\n%s",
				fx.node, what, bound, row, tail(fx.logPath, 15), fx.sim.env.discoveryFacts(), typhaConfig(typha), tail(typha.logPath, 15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSeen waits until the Felix holds key (or, with deleted, has seen it
// deleted) and returns how long after since it first saw that.
func (fx *felix) waitSeen(t testing.TB, key string, deleted bool, since time.Time, bound time.Duration, typha *process) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		seen, err := fx.sim.Seen(fx.sim.env.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := seen[fx.node]; ok && s.Deleted == deleted && !s.Seen.Before(since) {
			return s.Seen.Sub(since)
		}
		if time.Since(start) > bound {
			t.Fatalf("Felix %s: no %s of %s within %v (it has %+v); its log:\n%s\nTypha's last lines:\n%s",
				fx.node, map[bool]string{true: "deletion", false: "update"}[deleted], key, bound, seen[fx.node], tail(fx.logPath, 15), tail(typha.logPath, 15))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lines returns the Felix's log lines that contain s.
func (fx *felix) lines(s string) []string { return grepFile(fx.logPath, s) }

// keysWithPrefix returns the Felix's keys that start with prefix.
func (fx *felix) keysWithPrefix(t testing.TB, prefix string) []string {
	t.Helper()
	keys, err := fx.sim.Keys(fx.sim.env.ctx, fx.node)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

func (fx *felix) String() string { return fmt.Sprintf("Felix %s", fx.node) }
