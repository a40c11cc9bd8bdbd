// Package golden compares test output with reviewed files under testdata,
// as the Go distribution's go/printer and cmd/gofmt tests do.
//
// A test package that checks golden files imports this package, which
// gives its test binary the -update flag; `make golden` runs exactly those
// packages with -update (packages without goldens do not know the flag).
//
// A golden file holds the expected bytes. A missing golden file means the
// output is empty, so empty outputs (a command's empty stderr, a lint run
// with no findings) need no file.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/typharender/typharender/internal/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files whose output changed (make golden)")

// gotSuffix names the file a mismatch leaves beside its golden file for
// review; .gitignore ignores it.
const gotSuffix = ".got"

// Check compares got with the golden file at path; a missing file stands
// for empty output.
//
// On a mismatch it fails t with a line diff and writes got to path+".got"
// for review; when they match it removes a stale path+".got".
//
// With -update it makes the golden file hold got instead: it writes the
// file only when the bytes differ, through a temporary file in the same
// directory renamed over it (so parallel tests never read a half-written
// golden), and removes it when got is empty (an empty golden file left
// from before is removed too).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if err := check(path, got, *update); err != nil {
		t.Error(err)
	}
}

// check is Check with the flag as an argument. It returns the failure to
// report, or nil.
func check(path string, got []byte, update bool) error {
	want, err := os.ReadFile(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return fmt.Errorf("reading golden file: %w", err)
	}
	if update {
		var err error
		switch {
		case len(got) == 0 && !missing: // empty output has no file
			err = os.Remove(path)
		case len(got) > 0 && !bytes.Equal(got, want):
			err = writeFile(path, got)
		}
		if err != nil {
			return fmt.Errorf("updating golden file: %w", err)
		}
		want, missing = got, len(got) == 0
	}
	if bytes.Equal(got, want) {
		if err := os.Remove(path + gotSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing a stale output file: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(path+gotSuffix, got, 0o644); err != nil {
		return fmt.Errorf("output differs from %s; writing it to %s: %w", path, path+gotSuffix, err)
	}
	if missing {
		return fmt.Errorf("golden file %s does not exist and the output is not empty; the output is in %s: run `make golden` (go test -update) to create it, then review it",
			path, path+gotSuffix)
	}
	return fmt.Errorf("output differs from %s; the output is in %s: run `make golden` (go test -update) to accept it, then review the diff:\n%s",
		path, path+gotSuffix, diff.Unified(path, path+gotSuffix, want, got))
}

// writeFile replaces the file at path with data, creating its directory:
// it writes a temporary file beside it and renames it over path, so a
// reader sees the old bytes or the new ones, never a mix.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// CheckSection compares got with the part of the file at path between the
// line begin and the line end (both kept, both required): a generated
// section of a hand-written file, such as a table in the README. With
// -update it rewrites that part alone, only when it differs, as [Check]
// writes files.
func CheckSection(t testing.TB, path, begin, end string, got []byte) {
	t.Helper()
	if err := checkSection(path, begin, end, got, *update); err != nil {
		t.Error(err)
	}
}

func checkSection(path, begin, end string, got []byte, update bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b := bytes.Index(data, []byte(begin))
	e := bytes.Index(data, []byte(end))
	if b < 0 || e < b+len(begin) {
		return fmt.Errorf("%s: want a generated section between the lines\n%s%s", path, begin, end)
	}
	b += len(begin)
	want := data[b:e]
	if bytes.Equal(got, want) {
		return nil
	}
	if update {
		out := append(append(append([]byte{}, data[:b]...), got...), data[e:]...)
		if err := writeFile(path, out); err != nil {
			return fmt.Errorf("updating %s: %w", path, err)
		}
		return nil
	}
	return fmt.Errorf("the generated section of %s differs: run `make golden` (go test -update) to regenerate it, then review the diff:\n%s",
		path, diff.Unified(path, "generated", want, got))
}

// Diff returns a unified diff that turns want into got, or "" when they
// are equal.
func Diff(want, got string) string {
	return diff.Unified("want", "got", []byte(want), []byte(got))
}
