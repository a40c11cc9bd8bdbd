package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{name: "equal", a: "x\ny\n", b: "x\ny\n", want: ""},
		{
			name: "one line changed",
			a:    "a\nb\nc\nd\ne\nf\ng\nh\n",
			b:    "a\nb\nc\nd\nE\nf\ng\nh\n",
			want: "--- want\n+++ got\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n",
		},
		{
			name: "two hunks",
			a:    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			b:    "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
			want: "--- want\n+++ got\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n",
		},
		{
			name: "from empty",
			a:    "",
			b:    "x\n",
			want: "--- want\n+++ got\n@@ -0,0 +1 @@\n+x\n",
		},
		{
			name: "no newline at end",
			a:    "x\ny",
			b:    "x\ny\n",
			want: "--- want\n+++ got\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Unified("want", "got", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("Unified:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestUnifiedMatchesDiffU checks the hunks against diff -u where it is
// installed, ignoring the file headers.
func TestUnifiedMatchesDiffU(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("diff is not installed")
	}
	a := strings.Repeat("line\n", 5) + "one\ntwo\nthree\n" + strings.Repeat("pad\n", 10) + "four\nfive\n"
	b := strings.Repeat("line\n", 5) + "one\n2\nthree\n" + strings.Repeat("pad\n", 10) + "five\nsix\n"
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(pa, []byte(a), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pb, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("diff", "-u", pa, pb).Output()
	want := string(out)
	want = want[strings.Index(want, "@@"):]
	got := Unified("a", "b", []byte(a), []byte(b))
	got = got[strings.Index(got, "@@"):]
	if got != want {
		t.Errorf("Unified hunks:\n%s\ndiff -u:\n%s", got, want)
	}
}
