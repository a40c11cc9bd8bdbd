//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashEnv makes TestHarnessCrashHelper run; its value says how it ends.
const crashEnv = "TYPHARENDER_E2E_CRASH"

// TestNothingLeftRunning proves that a test that fails, or a test binary that
// is killed outright, leaves no etcd, kube-apiserver, calico-typha or
// felixsim behind. It reruns this test binary with TestHarnessCrashHelper
// selected, reads the PIDs that the helper's cluster recorded, and checks
// that they are gone. calico-typha v3.20.2 is part of it when its binaries
// are there (TYPHARENDER_E2E_TYPHA_BIN), calico-typha v3.24.5 and felixsim
// when theirs are (TYPHARENDER_E2E_CALICO_BIN), and then, inside the
// private network namespace, a calico-typha v3.24.5 replica in a network
// namespace of its own, as the relay benchmark runs them.
func TestNothingLeftRunning(t *testing.T) {
	nothingLeftRunning(t, "TestHarnessCrashHelper", func(pids []pidLine) string {
		want, what := 2, "etcd, kube-apiserver"
		if os.Getenv(typhaBinEnv) != "" {
			want, what = want+1, what+", calico-typha v3.20.2"
		}
		if os.Getenv(calicoBinEnv) != "" {
			want, what = want+2, what+", calico-typha v3.24.5, felixsim"
			if os.Getenv(nodeIPEnv) != "" {
				want, what = want+1, what+", a calico-typha v3.24.5 replica in a network namespace of its own"
			}
		}
		if len(pids) != want {
			return fmt.Sprintf("helper recorded %d processes, want %d (%s)", len(pids), want, what)
		}
		return ""
	})
}

// pidLine is one process a crash helper recorded: its name and PID.
type pidLine struct {
	name string
	pid  int
}

// nothingLeftRunning reruns this test binary with the crash helper test
// helper selected, ended by t.Fatal and by SIGKILL, reads the processes its
// cluster recorded, checks them with ok ("" when they are the ones
// expected) and checks that every one is gone.
func nothingLeftRunning(t *testing.T, helper string, ok func([]pidLine) string) {
	for _, how := range []string{
		"fatal",   // t.Fatal after start: t.Cleanup stops the servers
		"sigkill", // SIGKILL of the test binary: no Go code runs; Pdeathsig
	} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pids")
			cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.v")
			// TMPDIR: a helper killed outright cannot remove its own
			// temporary directory; this test's cleanup removes it.
			cmd.Env = append(os.Environ(), crashEnv+"="+how, "TYPHARENDER_E2E_PIDFILE="+pidFile, "TMPDIR="+dir)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("helper succeeded; it should have failed (%s):\n%s", how, out)
			}
			if !strings.Contains(string(out), "cluster up, pids") {
				t.Fatalf("helper failed before its processes were all up (%s):\n%s", how, out)
			}
			data, rerr := os.ReadFile(pidFile)
			if rerr != nil {
				t.Fatalf("helper recorded no PIDs (%v); its output:\n%s", rerr, out)
			}
			var pids []pidLine
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				f := strings.Fields(line)
				pid, err := strconv.Atoi(f[len(f)-1])
				if err != nil {
					t.Fatalf("bad pid line %q", line)
				}
				pids = append(pids, pidLine{name: f[0], pid: pid})
			}
			if why := ok(pids); why != "" {
				t.Fatalf("%s:\n%s\n%s", why, data, out)
			}
			deadline := time.Now().Add(10 * time.Second)
			for _, p := range pids {
				for !processGone(p.pid) && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				if !processGone(p.pid) {
					_ = syscall.Kill(-p.pid, syscall.SIGKILL) // do not leak it from this test either
					t.Errorf("%s pid %d still running after the helper ended by %s", p.name, p.pid, how)
				}
			}
			t.Logf("helper ended by %s (%v); %d processes are gone: %v", how, err, len(pids), pids)
		})
	}
}

// TestHarnessCrashHelper is not a test by itself: it runs only as the child
// of TestNothingLeftRunning.
func TestHarnessCrashHelper(t *testing.T) {
	how := os.Getenv(crashEnv)
	if how == "" {
		t.Skip("helper for TestNothingLeftRunning")
	}
	c := startCluster(t)
	// Typha started as the relay tests start it, here as an anonymous
	// client: it is forbidden everything and keeps retrying. felixsim as
	// TestTyphaVersions starts it, serving.
	kubeconfig := filepath.Join(c.dir, "kubeconfig-anonymous")
	writeKubeconfig(t, c, kubeconfig, "")
	typhaEnv := []string{"TYPHA_DATASTORETYPE=kubernetes", "KUBECONFIG=" + kubeconfig}
	var running []*process
	if bins := os.Getenv(typhaBinEnv); bins != "" {
		running = append(running, c.startProcess(t, typhaControl, filepath.Join(bins, typhaControl), typhaEnv))
	}
	if bins := os.Getenv(calicoBinEnv); bins != "" {
		running = append(running, c.startProcess(t, "calico-typha-v3.24.5", filepath.Join(bins, "calico-typha-v3.24.5"), typhaEnv))
		env := &relayEnv{ctx: context.Background(), c: c, nodeIP: os.Getenv(nodeIPEnv)}
		running = append(running, env.startFelixSim(t, filepath.Join(bins, felixsimName), kubeconfig).p)
		if env.nodeIP != "" {
			// As the relay benchmark runs each replica: on a simulated
			// node, in a network namespace of its own.
			running = append(running, env.startTyphaReplica(t, "calico-typha-replica", filepath.Join(bins, "calico-typha-v3.24.5"), kubeconfig, replicaFirstHost).p)
		}
	}
	time.Sleep(2 * time.Second)
	for _, p := range running {
		if exited(p) {
			t.Fatalf("%s exited by itself (%v); this check needs it running:\n%s", p.name, p.waitErr, tail(p.logPath, 20))
		}
	}
	endAs(t, how, c.pids())
}

// endAs ends a crash helper as how says: t.Fatal, or SIGKILL of the test
// binary.
func endAs(t *testing.T, how string, pids []int) {
	t.Logf("cluster up, pids %v; ending by %s", pids, how)
	switch how {
	case "fatal":
		t.Fatal("deliberate failure with the cluster running")
	case "sigkill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	default:
		t.Fatalf("unknown %s=%q", crashEnv, how)
	}
}
