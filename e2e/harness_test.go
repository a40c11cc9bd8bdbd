//go:build e2e

package e2e

import (
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
// is killed outright, leaves no etcd or kube-apiserver behind. It reruns this
// test binary with TestHarnessCrashHelper selected, reads the PIDs that the
// helper's cluster recorded, and checks that they are gone.
func TestNothingLeftRunning(t *testing.T) {
	for _, how := range []string{
		"fatal",   // t.Fatal after start: t.Cleanup stops the servers
		"sigkill", // SIGKILL of the test binary: no Go code runs; Pdeathsig
	} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "pids")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHarnessCrashHelper$", "-test.v")
			// TMPDIR: a helper killed outright cannot remove its own
			// temporary directory; this test's cleanup removes it.
			cmd.Env = append(os.Environ(), crashEnv+"="+how, "TYPHARENDER_E2E_PIDFILE="+pidFile, "TMPDIR="+dir)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("helper succeeded; it should have failed (%s):\n%s", how, out)
			}
			data, rerr := os.ReadFile(pidFile)
			if rerr != nil {
				t.Fatalf("helper recorded no PIDs (%v); its output:\n%s", rerr, out)
			}
			var pids []int
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				f := strings.Fields(line)
				pid, err := strconv.Atoi(f[len(f)-1])
				if err != nil {
					t.Fatalf("bad pid line %q", line)
				}
				pids = append(pids, pid)
			}
			if len(pids) != 2 {
				t.Fatalf("helper recorded %d servers, want 2 (etcd, kube-apiserver):\n%s\n%s", len(pids), data, out)
			}
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range pids {
				for !processGone(pid) && time.Now().Before(deadline) {
					time.Sleep(100 * time.Millisecond)
				}
				if !processGone(pid) {
					_ = syscall.Kill(-pid, syscall.SIGKILL) // do not leak it from this test either
					t.Errorf("pid %d still running after the helper ended by %s", pid, how)
				}
			}
			t.Logf("helper ended by %s (%v); pids %v are gone", how, err, pids)
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
	t.Logf("cluster up, pids %v; ending by %s", c.pids(), how)
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
