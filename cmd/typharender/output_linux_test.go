package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/typharender/typharender/internal/treetest"
	"github.com/typharender/typharender/render"
)

// nobody is the unprivileged user the permission cases run as.
const nobody = 65534

// TestRunAsHelper is not a test: runAs starts the test binary with it, as
// another user, to run the command line in TYPHARENDER_TEST_ARGS.
func TestRunAsHelper(t *testing.T) {
	env := os.Getenv("TYPHARENDER_TEST_ARGS")
	if env == "" {
		t.Skip("runs only as runAs's helper process")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(args, strings.NewReader(""), os.Stdout, os.Stderr))
}

// testBinary is a copy of the test binary that any user can run: go test
// builds it in a directory only its owner can enter.
var testBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "typharender-as-user-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		return "", err
	}
	defer src.Close()
	bin := filepath.Join(dir, "typharender.test")
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	return bin, errors.Join(err, dst.Close())
})

// runAs runs the command line args as the user uid, in a process of its
// own, and returns its exit code and output.
func runAs(t *testing.T, uid int, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin, err := testBinary()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(args)
	cmd := exec.Command(bin, "-test.run=^TestRunAsHelper$")
	cmd.Env = append(os.Environ(), "TYPHARENDER_TEST_ARGS="+string(a))
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// chown sets the owner of each path to uid.
func chown(t *testing.T, uid int, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
}

// worldCopy copies the fixture name into a new directory every user can
// enter and returns the copy's path: the user the command runs as may not
// be able to enter the clone the test runs in (one under mktemp -d is
// 0700).
func worldCopy(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(worldDir(t), filepath.Base(name))
	if err := os.WriteFile(dst, treetest.ReadFile(t, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// worldDir returns a new directory that every user can enter, owned by
// root (the test runs as root).
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "typharender-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ownerOf(t *testing.T, p string) (uint32, os.FileMode) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Uid, st.Mode().Perm()
}

// chownTree gives everything under dir, dir included, to uid.
func chownTree(t *testing.T, uid int, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutputDirAsUser runs --output-dir as an unprivileged user, where
// permission bits stop writes (root ignores them), and as root where the
// directory belongs to someone else.
func TestOutputDirAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes files owned by another user and runs the command as that user")
	}
	t.Cleanup(func() {
		if bin, err := testBinary(); err == nil {
			os.RemoveAll(filepath.Dir(bin))
		}
	})
	render5000 := []string{"--region", "cn-hangzhou", "--nodes", "5000", "--kube-version", "v1.30.7-aliyun.1"}
	writeAsRoot := func(t *testing.T, dir string, extra ...string) {
		t.Helper()
		var stderr bytes.Buffer
		if code := run(append([]string{"render", "--output-dir", dir}, extra...), nil, io.Discard, &stderr); code != 0 {
			t.Fatalf("setup: exit code %d: %s", code, stderr.String())
		}
	}

	t.Run("read-only parent", func(t *testing.T) {
		// The case: the old rendering's directory is the user's,
		// its parent is not writable by them. Writing in place needs only
		// the directory.
		parent := filepath.Join(worldDir(t), "repo")
		out := filepath.Join(parent, "typha")
		writeAsRoot(t, out, render5000...)
		if err := os.WriteFile(filepath.Join(out, "04-configmap-x.yaml"), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		chownTree(t, nobody, out)
		code, stdout, stderr := runAs(t, nobody, args([]string{"render", "--output-dir", out}, cluster)...)
		if code != 0 {
			t.Fatalf("exit code %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "removed "+filepath.Join(out, "04-configmap-x.yaml")) {
			t.Errorf("stdout %q does not report the removed file", stdout)
		}
		checkOutputDir(t, out, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"})
		if got := treetest.List(t, parent); len(got) != 1+len(objectFileNames) {
			t.Errorf("%s holds %q", parent, got)
		}
		noTempLeft(t, parent)
	})

	t.Run("read-only directory", func(t *testing.T) {
		// The directory is root's, mode 0555, in a parent the user may
		// write: the directory is not replaced, so the write fails, says
		// why, and changes nothing.
		for _, previous := range []bool{false, true} {
			parent := filepath.Join(worldDir(t), "repo")
			out := filepath.Join(parent, "typha")
			if previous {
				writeAsRoot(t, out, render5000...)
			} else if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(out, 0o555); err != nil {
				t.Fatal(err)
			}
			chown(t, nobody, parent)
			before := treetest.Snapshot(t, parent)
			code, _, stderr := runAs(t, nobody, args([]string{"render", "--output-dir", out}, cluster)...)
			if code != exitFail || !strings.Contains(stderr, "permission denied") || !strings.Contains(stderr, "nothing was changed") {
				t.Errorf("previous %v: exit code %d, stderr %q; want 1 and the reason", previous, code, stderr)
			}
			if d := treetest.Diff(treetest.Snapshot(t, parent), before); d != "" {
				t.Errorf("previous %v: %s", previous, d)
			}
			if uid, mode := ownerOf(t, out); uid != 0 || mode != 0o555 {
				t.Errorf("previous %v: %s is now owned by %d, mode %v; want root and 0555", previous, out, uid, mode)
			}
		}
	})

	t.Run("root keeps mode and owner", func(t *testing.T) {
		out := filepath.Join(worldDir(t), "typha")
		if err := os.Mkdir(out, 0o555); err != nil {
			t.Fatal(err)
		}
		chown(t, nobody, out)
		writeAsRoot(t, out, cluster...)
		checkOutputDir(t, out, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"})
		if uid, mode := ownerOf(t, out); uid != nobody || mode != 0o555 {
			t.Errorf("%s is now owned by %d, mode %v; want %d and 0555 as before", out, uid, mode, nobody)
		}
	})

	t.Run("fleet with a read-only cluster", func(t *testing.T) {
		// One cluster's directory cannot be written: no cluster changes.
		fleet := filepath.Join(worldDir(t), "fleet")
		writeAsRoot(t, fleet, "--fleet", "testdata/input/fleet.yaml", "--set", "logSeverity=debug")
		chownTree(t, nobody, fleet)
		chown(t, 0, filepath.Join(fleet, "prod-singapore"))
		before := treetest.Snapshot(t, fleet)
		fleetFile := worldCopy(t, "testdata/input/fleet.yaml")
		code, _, stderr := runAs(t, nobody, "render", "--fleet", fleetFile, "--output-dir", fleet)
		if code != exitFail || !strings.Contains(stderr, "prod-singapore") || !strings.Contains(stderr, "nothing was changed") {
			t.Errorf("exit code %d, stderr %q; want 1, naming prod-singapore", code, stderr)
		}
		if d := treetest.Diff(treetest.Snapshot(t, fleet), before); d != "" {
			t.Errorf("after a failed write: %s", d)
		}
	})

	t.Run("fleet root not writable", func(t *testing.T) {
		// Every cluster's directory is the user's, the fleet root is
		// not: a cluster no longer in the fleet loses its files, and its
		// empty directory, which only the root's owner can remove, is
		// named with the command that does.
		fleet := filepath.Join(worldDir(t), "fleet")
		writeAsRoot(t, fleet, "--fleet", "testdata/input/fleet.yaml", "--set", "logSeverity=debug")
		writeAsRoot(t, filepath.Join(fleet, "gone"), cluster...)
		chownTree(t, nobody, fleet)
		chown(t, 0, fleet)
		fleetFile := worldCopy(t, "testdata/input/fleet.yaml")
		code, _, stderr := runAs(t, nobody, "render", "--fleet", fleetFile, "--output-dir", fleet)
		gone := filepath.Join(fleet, "gone")
		if code != exitFail || !strings.Contains(stderr, "written, but 1 path left behind; to finish, run:\n  rmdir "+gone) {
			t.Errorf("exit code %d, stderr %q; want 1 and the rmdir command", code, stderr)
		}
		if got := treetest.List(t, gone); len(got) != 0 {
			t.Errorf("%s still holds %q", gone, got)
		}
		if got := string(treetest.ReadFile(t, filepath.Join(fleet, "prod-hangzhou", objectFileNames[1]))); strings.Contains(got, "debug") {
			t.Error("prod-hangzhou was not rewritten")
		}
		noTempLeft(t, fleet)
		if entries, _ := os.ReadDir(fleet); !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == "gone" }) {
			t.Error("gone was removed after all")
		}
	})
}
