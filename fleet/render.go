package fleet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/parallel"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/values"
)

// Cluster is one cluster of a fleet, rendered.
type Cluster struct {
	Name   string         // the entry's name: its directory
	Line   int            // the line of its entry in the fleet file
	Result *render.Result // its rendering; each of Result.Findings has Cluster set to Name
	// Files are its files as a render.Layout lays them out, each under
	// Name/, ready for gitops.Write with fleet set.
	Files []render.File
}

// Rendering is a fleet, rendered: its clusters in the fleet file's order.
type Rendering struct {
	Clusters []Cluster
}

// Findings returns every cluster's findings, cluster by cluster.
func (r *Rendering) Findings() []finding.Finding {
	var out []finding.Finding
	for _, c := range r.Clusters {
		out = append(out, c.Result.Findings...)
	}
	return out
}

// Files returns every cluster's files, cluster by cluster, for
// gitops.Write with fleet set.
func (r *Rendering) Files() []render.File {
	var out []render.File
	for _, c := range r.Clusters {
		out = append(out, c.Files...)
	}
	return out
}

// Failing returns how many clusters have a finding at or above threshold.
func (r *Rendering) Failing(threshold finding.Severity) int {
	n := 0
	for _, c := range r.Clusters {
		if finding.Fails(c.Result.Findings, threshold) {
			n++
		}
	}
	return n
}

// Render renders every cluster the fleet file named file lists (data is
// its contents, at most values.MaxFleetBytes), each entry's values
// applied over base (nil: none), and lays each out with one render.Layout
// for the whole fleet, so that each distinct object is encoded once. Each
// cluster is checked with lint's rules for its own facts, as render.Render
// checks one. An error starts with file's name: the file is not a fleet,
// or lists invalid entries (every one is listed, in line order, and
// nothing is rendered).
func Render(file string, data []byte, base *values.Values) (*Rendering, error) {
	if base == nil {
		base = &values.Values{}
	}
	clusters, bad, err := values.LoadFleet(file, data, base)
	if err != nil {
		return nil, errors.New(indent(err.Error()))
	}
	// Each cluster rendered, checked and laid out on any core: one Renderer
	// converts each distinct object for the rules once, one Layout
	// encodes each once.
	var renderer render.Renderer
	var layout render.Layout
	done := make([]Cluster, len(clusters))
	errs := make([]error, len(clusters))
	if err := parallel.For(len(clusters), func(i int) error {
		c := clusters[i]
		res, err := renderer.Render(c.Values.Options())
		if err != nil {
			errs[i] = c.Values.Explain(err)
			return nil
		}
		fs, err := layout.Files(res.Objects()...)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		for j := range fs {
			fs[j].Name = c.Name + "/" + fs[j].Name
		}
		for j := range res.Findings {
			res.Findings[j].Cluster = c.Name
		}
		done[i] = Cluster{Name: c.Name, Line: c.Line, Result: res, Files: fs}
		return nil
	}); err != nil {
		return nil, err
	}
	out, total := &Rendering{}, len(bad)+len(clusters)
	for i, c := range clusters {
		if errs[i] != nil {
			bad = append(bad, &values.EntryError{File: file, Line: c.Line, Name: c.Name, Err: errs[i]})
		} else {
			out.Clusters = append(out.Clusters, done[i])
		}
	}
	if err := invalid(file, bad, total, "are invalid", "nothing was written"); err != nil {
		return nil, err
	}
	return out, nil
}

// invalid lists a fleet's invalid entries, in line order, as one error
// that says how they are invalid and what was not done; nil when there are
// none.
func invalid(file string, bad []*values.EntryError, total int, how, notDone string) error {
	if len(bad) == 0 {
		return nil
	}
	values.SortEntryErrors(bad)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d clusters %s; %s:", file, len(bad), total, how, notDone)
	for _, e := range bad {
		b.WriteString("\n  " + indent(e.Error()))
	}
	return errors.New(b.String())
}

// indent indents every line of s after the first by two spaces.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
