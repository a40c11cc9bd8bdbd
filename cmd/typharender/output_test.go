package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/typharender/typharender/render"
)

// TestWriteTreeFailureLeavesNothing makes a write fail halfway (a file and
// a directory of the same name) and checks that the directory is as it
// was, with nothing left beside it or in it.
func TestWriteTreeFailureLeavesNothing(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	if _, err := writeTree(dir, []render.File{{Name: "00-service-old.yaml", Data: []byte("old\n")}}, false); err != nil {
		t.Fatal(err)
	}
	bad := []render.File{
		{Name: "00-service-calico-typha.yaml", Data: []byte("a\n")},
		{Name: "00-service-calico-typha.yaml/x", Data: []byte("b\n")},
	}
	if _, err := writeTree(dir, bad, false); err == nil {
		t.Fatal("writeTree succeeded with a file and a directory of the same name")
	}
	if got := listTree(t, tmp); !slices.Equal(got, []string{"out/", "out/00-service-old.yaml"}) {
		t.Errorf("after a failed write: %q, want the old directory alone", got)
	}
	if got := string(readFile(t, filepath.Join(dir, "00-service-old.yaml"))); got != "old\n" {
		t.Errorf("old file = %q", got)
	}

	// Into a new directory: nothing at all.
	fresh := filepath.Join(tmp, "new", "er")
	if _, err := writeTree(fresh, bad, false); err == nil {
		t.Fatal("writeTree succeeded")
	}
	if _, err := os.Stat(filepath.Join(tmp, "new")); !os.IsNotExist(err) {
		t.Errorf("a failed write created %s (%v)", fresh, err)
	}
	if got := listTree(t, tmp); len(got) != 2 {
		t.Errorf("left behind: %q", got)
	}
}
