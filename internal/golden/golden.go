// Package golden compares test output with reviewed files under testdata.
//
// It registers the -update flag for every test binary that imports it, so
// `go test ./... -update` works across the module: packages without golden
// files import it for the flag alone.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/typharender/typharender/internal/diff"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// Check compares got with the file at path. With -update it writes got to
// path first. On a mismatch it fails t with a line diff.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test with -update to accept, then review the diff):\n%s", path, diff.Unified(path, "got", want, got))
	}
}

// Diff returns a unified diff that turns want into got, or "" when they
// are equal.
func Diff(want, got string) string {
	return diff.Unified("want", "got", []byte(want), []byte(got))
}
