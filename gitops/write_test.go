package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/typharender/typharender/internal/treetest"
	"github.com/typharender/typharender/render"
)

// TestWriteTreeFailureLeavesNothing makes a write fail halfway (a file and
// a directory of the same name) and checks that the directory is as it
// was, with nothing left beside it or in it.
func TestWriteTreeFailureLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	if _, err := Write(dir, []render.File{{Name: "00-service-old.yaml", Data: []byte("old\n")}}, false); err != nil {
		t.Fatal(err)
	}
	bad := []render.File{
		{Name: "00-service-calico-typha.yaml", Data: []byte("a\n")},
		{Name: "00-service-calico-typha.yaml/x", Data: []byte("b\n")},
	}
	if _, err := Write(dir, bad, false); err == nil {
		t.Fatal("writeTree succeeded with a file and a directory of the same name")
	}
	if got := treetest.List(t, tmp); !slices.Equal(got, []string{"out/", "out/00-service-old.yaml"}) {
		t.Errorf("after a failed write: %q, want the old directory alone", got)
	}
	if got := string(treetest.ReadFile(t, filepath.Join(dir, "00-service-old.yaml"))); got != "old\n" {
		t.Errorf("old file = %q", got)
	}

	// Into a new directory: nothing at all.
	fresh := filepath.Join(tmp, "new", "er")
	if _, err := Write(fresh, bad, false); err == nil {
		t.Fatal("writeTree succeeded")
	}
	if _, err := os.Stat(filepath.Join(tmp, "new")); !os.IsNotExist(err) {
		t.Errorf("a failed write created %s (%v)", fresh, err)
	}
	if got := treetest.List(t, tmp); len(got) != 2 {
		t.Errorf("left behind: %q", got)
	}
}

// faultFS is osFS that fails the operation numbered failAt (from 0), and
// every later one if all is set, and counts them.
type faultFS struct {
	osFS
	failAt int64
	all    bool
	n      atomic.Int64
}

var errInjected = errors.New("injected failure")

func (f *faultFS) fail() bool {
	i := f.n.Add(1) - 1
	return i == f.failAt || f.all && i > f.failAt
}

func (f *faultFS) Mkdir(p string) error {
	if f.fail() {
		return &fs.PathError{Op: "mkdir", Path: p, Err: errInjected}
	}
	return f.osFS.Mkdir(p)
}

func (f *faultFS) Create(p string, data []byte) error {
	if f.fail() {
		return &fs.PathError{Op: "open", Path: p, Err: errInjected}
	}
	return f.osFS.Create(p, data)
}

func (f *faultFS) Rename(from, to string) error {
	if f.fail() {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: errInjected}
	}
	return f.osFS.Rename(from, to)
}

func (f *faultFS) Remove(p string) error {
	if f.fail() {
		return &fs.PathError{Op: "remove", Path: p, Err: errInjected}
	}
	return f.osFS.Remove(p)
}

// TestWriteTreeEveryFailure fails each file system operation of a fleet
// write in turn (creating directories and files, renaming, removing),
// first alone and then with every operation after it failing too (so
// that undoing fails as well), and checks that each failure leaves the
// previous state, or the new one, or names every leftover with a command
// that, run by a shell, gives the previous or the new state.
func TestWriteTreeEveryFailure(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the commands the errors give")
	}
	t.Parallel()
	var layout render.Layout
	var files []render.File
	for _, c := range []struct {
		name  string
		nodes int
	}{{"changed", 1000}, {"new", 300}} {
		res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: c.nodes, KubeVersion: "v1.30.7-aliyun.1"})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := layout.Files(res.Objects()...)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			files = append(files, render.File{Name: c.name + "/" + f.Name, Data: f.Data})
		}
	}
	// The previous state: "changed" at 5000 nodes with a file the new
	// rendering drops and a README, and "gone", no longer in the fleet.
	setup := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "fleet")
		for _, c := range []string{"changed", "gone"} {
			if _, err := Write(filepath.Join(dir, c), rendering(t, 5000), false); err != nil {
				t.Fatalf("setup: %v", err)
			}
		}
		for name, data := range map[string]string{"changed/04-configmap-x.yaml": "old\n", "changed/README.md": "mine\n", "README.md": "mine\n"} {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// A run without failures: the new state and the number of operations.
	dir := setup(t)
	before := treetest.Snapshot(t, dir)
	count := &faultFS{failAt: -1}
	if _, err := writeFS(count, dir, files, true); err != nil {
		t.Fatal(err)
	}
	after := treetest.Snapshot(t, dir)
	ops := count.n.Load()
	if ops < 20 {
		t.Fatalf("only %d operations: the test does not cover what it means to", ops)
	}

	for _, all := range []bool{false, true} {
		for k := range ops {
			t.Run(fmt.Sprintf("all=%v/op%d", all, k), func(t *testing.T) {
				t.Parallel()
				dir := setup(t)
				_, err := writeFS(&faultFS{failAt: k, all: all}, dir, files, true)
				if err == nil {
					t.Fatal("no error")
				}
				msg := err.Error()
				if !strings.Contains(msg, errInjected.Error()) && !strings.Contains(msg, "left behind") {
					t.Errorf("error %q names neither the failure nor a leftover", msg)
				}
				got := treetest.Snapshot(t, dir)
				if strings.Contains(msg, "nothing was changed") {
					if d := treetest.Diff(got, before); d != "" {
						t.Errorf("%q, but: %s", msg, d)
					}
					return
				}
				// Leftovers: run the commands the error gives.
				_, cmds, ok := strings.Cut(msg, "to finish, run:\n")
				if !ok {
					t.Fatalf("error %q neither restores nor names leftovers", msg)
				}
				if out, err := exec.Command("sh", "-c", cmds).CombinedOutput(); err != nil {
					t.Fatalf("running %q: %v\n%s", cmds, err, out)
				}
				got = treetest.Snapshot(t, dir)
				want := before
				if strings.Contains(msg, "written, but") {
					want = after
				}
				if d := treetest.Diff(got, want); d != "" {
					t.Errorf("%q; after running its commands: %s", msg, d)
				}
			})
		}
	}
}

// rendering returns the files of a cn-hangzhou cluster of nodes on 1.30.
func rendering(t *testing.T, nodes int) []render.File {
	t.Helper()
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: nodes, KubeVersion: "v1.30.7-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	var layout render.Layout
	files, err := layout.Files(res.Objects()...)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
