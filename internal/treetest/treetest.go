// Package treetest holds what the tests of a directory write (gitops's
// and the CLI's) need to look at a directory: its entries, a snapshot of
// its files, and how two snapshots differ. Only tests import it.
package treetest

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ReadFile reads a file a test wrote.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// List returns the slash-separated paths of the entries under dir,
// directories with a trailing slash.
func List(t testing.TB, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		paths = append(paths, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// Snapshot maps every path under dir (directories with a trailing slash)
// to its content.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range List(t, dir) {
		if strings.HasSuffix(p, "/") {
			m[p] = ""
		} else {
			m[p] = string(ReadFile(t, filepath.Join(dir, filepath.FromSlash(p))))
		}
	}
	return m
}

// Diff describes how snapshot got differs from want: "extra P", "changed
// P", "missing P", comma-separated; "" when they are the same.
func Diff(got, want map[string]string) string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[p]; !ok {
			out = append(out, "extra "+p)
		} else if w != got[p] {
			out = append(out, "changed "+p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[p]; !ok {
			out = append(out, "missing "+p)
		}
	}
	return strings.Join(out, ", ")
}
