package gitops

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/typharender/typharender/internal/diff"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/render"
)

// Comparison is how a directory differs from what [Write] would leave in
// it.
type Comparison struct {
	// Report says it for a person: a unified diff for each file that
	// differs (one line when only the line endings differ), and a line
	// for each file missing from the directory, each it holds that Write
	// would remove, and each it would refuse to overwrite. "" when
	// nothing differs.
	Report string
	Differ int // the files that differ
}

// Compare compares dir with files, as [Write] would leave it. Files
// typharender does not own are not compared. Every error starts with dir.
func Compare(dir string, files []render.File, fleet bool) (*Comparison, error) {
	dir = filepath.Clean(dir)
	var layout render.Layout
	sc, err := scanTree(&layout, dir, files, fleet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, unwrapPathError(err))
	}
	var out strings.Builder
	for _, c := range sc.conflicts {
		fmt.Fprintf(&out, "%s: not written by typharender, and --output-dir will not overwrite it: move it aside\n", joinPath(dir, c))
	}
	for _, f := range sc.writes {
		p := joinPath(dir, f.path)
		switch {
		case !f.exists:
			fmt.Fprintf(&out, "Only in rendered: %s\n", f.path)
		case crlfOnly(f.old, f.data):
			fmt.Fprintf(&out, "%s: only the line endings differ: the file has CRLF (\\r\\n), the rendering LF (\\n)\n", p)
		default:
			lf, crlf := withoutCRLF(f.old)
			if crlf != "" {
				fmt.Fprintf(&out, "%s: %s\n", p, crlf[2:])
			}
			out.WriteString(diff.Unified(p, "rendered/"+f.path, lf, f.data))
		}
	}
	for _, f := range sc.removes {
		fmt.Fprintf(&out, "Only in %s: %s\n", dir, f.path)
	}
	return &Comparison{Report: out.String(), Differ: len(sc.conflicts) + len(sc.writes) + len(sc.removes)}, nil
}

// Differs says how many files differ: "1 file differs", "3 files differ".
func (c *Comparison) Differs() string {
	if c.Differ == 1 {
		return "1 file differs"
	}
	return english.Count(c.Differ, "file") + " differ"
}

// FileComparison is how a file differs from a rendering.
type FileComparison struct {
	Same     bool   // byte for byte
	CRLFOnly bool   // the file has CRLF line endings where the rendering has LF, and nothing else differs
	Diff     string // a unified diff from the file (named as given) to "rendered", CRLF endings left out; "" when Same or CRLFOnly
	// CRLF notes that the file also has CRLF line endings, which Diff
	// leaves out: "; the file also has CRLF line endings, which the diff
	// leaves out", or "".
	CRLF string
}

// CompareFile compares file, the contents of the file named name, with
// rendered.
func CompareFile(name string, file, rendered []byte) FileComparison {
	switch {
	case bytes.Equal(file, rendered):
		return FileComparison{Same: true}
	case crlfOnly(file, rendered):
		return FileComparison{CRLFOnly: true}
	}
	lf, note := withoutCRLF(file)
	return FileComparison{Diff: diff.Unified(name, "rendered", lf, rendered), CRLF: note}
}
