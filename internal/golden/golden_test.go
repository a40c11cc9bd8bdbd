package golden

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeGolden(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// entries lists the names in dir, so tests see stray temporary files.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestCheckMatch(t *testing.T) {
	t.Parallel()
	for _, update := range []bool{false, true} {
		t.Run(map[bool]string{false: "check", true: "update"}[update], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "case.txt")
			writeGolden(t, path, "same\n")
			writeGolden(t, path+".got", "stale\n")
			// An old modification time shows whether the file is rewritten.
			old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := check(path, []byte("same\n"), update); err != nil {
				t.Fatalf("check of equal bytes: %v", err)
			}
			after, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if !after.ModTime().Equal(old) || !os.SameFile(before, after) {
				t.Errorf("an equal golden file was rewritten: mtime %v, same file %v", after.ModTime(), os.SameFile(before, after))
			}
			if exists(t, path+".got") {
				t.Error("a passing check left the stale .got file")
			}
			if got := entries(t, dir); len(got) != 1 {
				t.Errorf("directory holds %q, want only case.txt", got)
			}
		})
	}
}

func TestCheckMismatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "case.txt")
	writeGolden(t, path, "a\nold\nc\n")
	err := check(path, []byte("a\nnew\nc\n"), false)
	if err == nil {
		t.Fatal("check of different bytes passed")
	}
	for _, want := range []string{"output differs from " + path, "the output is in " + path + ".got", "make golden", "-old\n+new\n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got := readGolden(t, path); got != "a\nold\nc\n" {
		t.Errorf("check without -update changed the golden file to %q", got)
	}
	if got := readGolden(t, path+".got"); got != "a\nnew\nc\n" {
		t.Errorf(".got file holds %q, want the output", got)
	}
	// Fixing the output (here: checking the old bytes) removes the .got.
	if err := check(path, []byte("a\nold\nc\n"), false); err != nil {
		t.Fatal(err)
	}
	if exists(t, path+".got") {
		t.Error("the .got file outlived a passing check")
	}
}

func TestCheckUpdateWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "case.txt")
	writeGolden(t, path, "old\n")
	writeGolden(t, path+".got", "stale\n")
	if err := check(path, []byte("new\n"), true); err != nil {
		t.Fatalf("check with -update: %v", err)
	}
	if got := readGolden(t, path); got != "new\n" {
		t.Errorf("golden file holds %q after -update, want %q", got, "new\n")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("golden file mode after -update: %v, %v; want 0644", fi.Mode(), err)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %q after -update, want only case.txt (no temporary or .got file)", got)
	}
}

func TestCheckUpdateCreates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "dir", "case.txt")
	if err := check(path, []byte("x\n"), true); err != nil {
		t.Fatalf("check with -update: %v", err)
	}
	if got := readGolden(t, path); got != "x\n" {
		t.Errorf("new golden file holds %q", got)
	}
}

func TestCheckEmpty(t *testing.T) {
	t.Parallel()
	t.Run("missing file is empty output", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "case.stderr")
		for _, update := range []bool{false, true} {
			if err := check(path, nil, update); err != nil {
				t.Errorf("check(update=%v) of empty output with no golden file: %v", update, err)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("check(update=%v) of empty output created %q", update, got)
			}
		}
	})
	t.Run("missing file and output", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "case.stdout")
		err := check(path, []byte("out\n"), false)
		if err == nil {
			t.Fatal("check of output with no golden file passed")
		}
		for _, want := range []string{"golden file " + path + " does not exist and the output is not empty", path + ".got", "make golden"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		if exists(t, path) {
			t.Error("check without -update created the golden file")
		}
	})
	t.Run("update removes a golden whose output became empty", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "case.stderr")
		writeGolden(t, path, "warning\n")
		if err := check(path, []byte{}, true); err != nil {
			t.Fatalf("check with -update: %v", err)
		}
		if got := entries(t, dir); len(got) != 0 {
			t.Errorf("directory holds %q, want the golden file removed", got)
		}
	})
	t.Run("update removes an empty golden", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "case.stderr")
		writeGolden(t, path, "")
		if err := check(path, nil, false); err != nil {
			t.Errorf("check of empty output against an empty file: %v", err)
		}
		if err := check(path, nil, true); err != nil {
			t.Fatalf("check with -update: %v", err)
		}
		if exists(t, path) {
			t.Error("-update kept an empty golden file")
		}
	})
	t.Run("output became empty", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "case.stderr")
		writeGolden(t, path, "warning\n")
		if err := check(path, nil, false); err == nil || !strings.Contains(err.Error(), "-warning\n") {
			t.Errorf("check of empty output against %q = %v, want a diff removing it", "warning\n", err)
		}
	})
}

// TestCheckT checks that Check reports through t without stopping it.
func TestCheckT(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "case.txt")
	writeGolden(t, path, "want\n")
	rec := &recorder{TB: t}
	Check(rec, path, []byte("got\n"))
	Check(rec, path, []byte("want\n"))
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "output differs from "+path) {
		t.Errorf("Check reported %q, want one mismatch", rec.errors)
	}
}

type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Error(args ...any) {
	for _, a := range args {
		r.errors = append(r.errors, a.(error).Error())
	}
}

func TestCheckSection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "README.md")
	const begin, end = "<!-- begin -->\n", "<!-- end -->\n"
	doc := "# Title\n" + begin + "old\n" + end + "tail\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkSection(path, begin, end, []byte("old\n"), false); err != nil {
		t.Fatalf("equal section: %v", err)
	}
	err := checkSection(path, begin, end, []byte("new\n"), false)
	if err == nil || !strings.Contains(err.Error(), "+new") {
		t.Fatalf("changed section without -update: got %v, want a diff naming +new", err)
	}
	if err := checkSection(path, begin, end, []byte("new\n"), true); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "# Title\n" + begin + "new\n" + end + "tail\n"; string(got) != want {
		t.Fatalf("after -update the file is %q, want %q", got, want)
	}
	if err := checkSection(path, "<!-- nowhere -->\n", end, nil, false); err == nil {
		t.Fatal("a missing marker passed")
	}
}
