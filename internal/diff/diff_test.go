package diff

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		{name: "both empty", a: "", b: "", want: ""},
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
			// diff -u joins hunks whose context would touch: changes
			// 2*3 unchanged lines apart share one hunk.
			name: "six lines apart share a hunk",
			a:    "a\n1\n2\n3\n4\n5\n6\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\nB\n",
			want: "--- want\n+++ got\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n",
		},
		{
			name: "seven lines apart are two hunks",
			a:    "a\n1\n2\n3\n4\n5\n6\n7\nb\n",
			b:    "A\n1\n2\n3\n4\n5\n6\n7\nB\n",
			want: "--- want\n+++ got\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n",
		},
		{
			name: "from empty",
			a:    "",
			b:    "x\n",
			want: "--- want\n+++ got\n@@ -0,0 +1 @@\n+x\n",
		},
		{
			name: "to empty",
			a:    "x\ny\n",
			b:    "",
			want: "--- want\n+++ got\n@@ -1,2 +0,0 @@\n-x\n-y\n",
		},
		{
			name: "no newline at end",
			a:    "x\ny",
			b:    "x\ny\n",
			want: "--- want\n+++ got\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n",
		},
		{
			// The anchored diff does not reuse the blank lines between
			// changed lines (Go's testdata/dups.txt); diff -u would keep
			// the blank line between b and c as unchanged.
			name: "anchored on unique lines",
			a:    "a\n\nb\n\nc\n\nd\n\ne\n\nf\n",
			b:    "a\n\nB\n\nC\n\nd\n\ne\n\nf\n",
			want: "--- want\n+++ got\n@@ -1,8 +1,8 @@\n a\n \n-b\n-\n-c\n+B\n+\n+C\n \n d\n \n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Unified("want", "got", []byte(tt.a), []byte(tt.b))
			if got != tt.want {
				t.Errorf("Unified:\n%s\nwant:\n%s", got, tt.want)
			}
			if got != "" {
				if patched := apply(t, tt.a, got); patched != tt.b {
					t.Errorf("applying the diff gives %q, want %q", patched, tt.b)
				}
			}
		})
	}
}

// manifest returns n lines shaped like a fleet of rendered manifests:
// unique name lines between runs of lines that repeat in every object.
func manifest(n int) []string {
	l := make([]string, 0, n)
	for i := 0; len(l) < n; i++ {
		l = append(l, "---\n", "kind: Deployment\n", "metadata:\n", fmt.Sprintf("  name: typha-%d\n", i),
			"spec:\n", "  replicas: 3\n", "  template:\n", "    spec:\n", "      hostNetwork: true\n")
	}
	return l[:n]
}

// TestUnifiedBigFile: a few changes in a big file give a few small hunks,
// not one hunk that replaces the file (the LCS diff this package replaced
// did that from the first change to the last above 16M table cells, about
// 4,000 lines each side).
func TestUnifiedBigFile(t *testing.T) {
	t.Parallel()
	const n = 60000
	a := manifest(n)
	b := append([]string(nil), a...)
	changed := []int{10, 20003, 45000, n - 2}
	for _, i := range changed {
		b[i] = "  replicas: 4\n"
	}
	as, bs := strings.Join(a, ""), strings.Join(b, "")
	d := Unified("a", "b", []byte(as), []byte(bs))
	if hunks := strings.Count(d, "\n@@ "); hunks != len(changed) {
		t.Errorf("Unified gives %d hunks, want %d:\n%.2000s", hunks, len(changed), d)
	}
	// Each hunk: its header, one line out, one in and at most 2*3 of context.
	if lines := strings.Count(d, "\n"); lines > 2+len(changed)*9 {
		t.Errorf("Unified gives %d lines for %d one-line changes, want at most %d:\n%.2000s", lines, len(changed), 2+len(changed)*9, d)
	}
	if !strings.Contains(d, "@@ -20001,7 +20001,7 @@\n") {
		t.Errorf("no hunk around line 20004 in:\n%.2000s", d)
	}
	if patched := apply(t, as, d); patched != bs {
		t.Error("applying the diff does not give b")
	}
}

// TestUnifiedApplies checks on random edits of a file with many repeated
// lines that the diff, applied to a, gives b.
func TestUnifiedApplies(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "\n", "}\n", "x\n", "y"}
	for i := range 300 {
		a := manifest(r.IntN(60))
		b := append([]string(nil), a...)
		for range r.IntN(6) {
			j := r.IntN(len(b) + 1)
			switch w := words[r.IntN(len(words))]; r.IntN(3) {
			case 0:
				b = append(b[:j], append([]string{w}, b[j:]...)...)
			case 1:
				if j < len(b) {
					b = append(b[:j], b[j+1:]...)
				}
			default:
				if j < len(b) {
					b[j] = w
				}
			}
		}
		as, bs := strings.Join(a, ""), strings.Join(b, "")
		d := Unified("a", "b", []byte(as), []byte(bs))
		if (d == "") != (as == bs) {
			t.Fatalf("case %d: Unified = %q for a %q and b %q", i, d, as, bs)
		}
		if d != "" {
			if got := apply(t, as, d); got != bs {
				t.Fatalf("case %d: applying\n%s\nto %q gives %q, want %q", i, d, as, got, bs)
			}
		}
	}
}

// apply applies the unified diff d to a, checking each hunk's ranges and
// context, and returns the result.
func apply(t *testing.T, a, d string) string {
	t.Helper()
	old := strings.SplitAfter(a, "\n")
	if old[len(old)-1] == "" {
		old = old[:len(old)-1]
	}
	dl := strings.SplitAfter(d, "\n")
	if len(dl) < 3 || !strings.HasPrefix(dl[0], "--- ") || !strings.HasPrefix(dl[1], "+++ ") {
		t.Fatalf("no file header in %q", d)
	}
	var out []string
	next := 0 // index in old of the first line not yet copied
	for i := 2; i < len(dl) && dl[i] != ""; {
		var as, bs string
		if _, err := fmt.Sscanf(dl[i], "@@ -%s +%s @@\n", &as, &bs); err != nil {
			t.Fatalf("hunk header %q: %v", dl[i], err)
		}
		aStart, aCount := parseSpan(t, as)
		_, bCount := parseSpan(t, bs)
		if aCount > 0 {
			aStart-- // 0-based
		}
		if aStart < next {
			t.Fatalf("hunk %q overlaps the one before", dl[i])
		}
		out = append(out, old[next:aStart]...)
		next = aStart
		i++
		seenA, seenB := 0, 0
		for ; i < len(dl) && dl[i] != "" && !strings.HasPrefix(dl[i], "@@ "); i++ {
			op, line := dl[i][0], dl[i][1:]
			if i+1 < len(dl) && dl[i+1] == "\\ No newline at end of file\n" {
				line = strings.TrimSuffix(line, "\n")
				i++
			}
			switch op {
			case ' ', '-':
				if next >= len(old) || old[next] != line {
					t.Fatalf("hunk line %q does not match line %d of a", dl[i], next+1)
				}
				next++
				seenA++
				if op == ' ' {
					out = append(out, line)
					seenB++
				}
			case '+':
				out = append(out, line)
				seenB++
			default:
				t.Fatalf("bad hunk line %q", dl[i])
			}
		}
		if seenA != aCount || seenB != bCount {
			t.Fatalf("hunk -%s +%s holds %d and %d lines", as, bs, seenA, seenB)
		}
	}
	return strings.Join(append(out, old[next:]...), "")
}

func parseSpan(t *testing.T, s string) (start, count int) {
	t.Helper()
	first, rest, found := strings.Cut(s, ",")
	start, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("range %q: %v", s, err)
	}
	if !found {
		return start, 1
	}
	count, err = strconv.Atoi(rest)
	if err != nil {
		t.Fatalf("range %q: %v", s, err)
	}
	return start, count
}

// TestUnifiedMatchesDiffU checks the hunks against diff -u where it is
// installed, ignoring the file headers. On these inputs, where the changed
// regions are anchored by unique lines, both diffs agree.
func TestUnifiedMatchesDiffU(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("diff is not installed")
	}
	tests := []struct{ name, a, b string }{
		{
			name: "changes, a removal and an addition",
			a:    strings.Repeat("line\n", 5) + "one\ntwo\nthree\n" + strings.Repeat("pad\n", 10) + "four\nfive\n",
			b:    strings.Repeat("line\n", 5) + "one\n2\nthree\n" + strings.Repeat("pad\n", 10) + "five\nsix\n",
		},
		{name: "six lines apart", a: "a\n1\n2\n3\n4\n5\n6\nb\n", b: "A\n1\n2\n3\n4\n5\n6\nB\n"},
		{name: "seven lines apart", a: "a\n1\n2\n3\n4\n5\n6\n7\nb\n", b: "A\n1\n2\n3\n4\n5\n6\n7\nB\n"},
		{name: "no newline at end", a: "x\ny\nz", b: "x\nY\nz"},
		{name: "manifests", a: strings.Join(manifest(200), ""), b: strings.Replace(strings.Join(manifest(200), ""), "name: typha-7\n", "name: typha-seven\n", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			if err := os.WriteFile(pa, []byte(tt.a), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pb, []byte(tt.b), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command("diff", "-u", pa, pb).Output()
			want := string(out)
			want = want[strings.Index(want, "@@"):]
			got := Unified("a", "b", []byte(tt.a), []byte(tt.b))
			got = got[strings.Index(got, "@@"):]
			if got != want {
				t.Errorf("Unified hunks:\n%s\ndiff -u:\n%s", got, want)
			}
		})
	}
}
