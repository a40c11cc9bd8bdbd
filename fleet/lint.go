package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/parallel"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/values"
)

// LintOptions are how [Lint] reads and what it knows besides each
// cluster's facts. The zero value excludes nothing.
type LintOptions struct {
	Exclude []string // as lint.ReadOptions.Exclude, for each cluster's directory
	Terway  bool     // every cluster runs Terway (lint.Facts.Terway)
}

// Linted is what [Lint] found: one report for the fleet, and what it
// read, for a summary.
type Linted struct {
	// Report holds every cluster's findings, cluster by cluster, each
	// with Cluster set; Skipped lists each rule skipped in any cluster
	// once; Objects counts the objects of every cluster.
	Report   *lint.Report
	Clusters int      // the clusters linted
	Files    int      // the files read, every cluster's
	Notes    []string // what the directory walks passed over, and directories of dir not in the fleet
}

// BigRun is the file count from which [Linted.Summary] tallies a run that
// is not verbose.
const BigRun = 100

// NameFacts words the reason of each rule the report skipped for want of
// a fact with name naming the facts, as lint.SkipReason does (a CLI names
// them by its flags).
func (l *Linted) NameFacts(name func(rules.Fact) string) {
	for i, sk := range l.Report.Skipped {
		l.Report.Skipped[i].Reason = lint.SkipReason(sk, name)
	}
}

// Summary are the lines for a person after the report (typharender lint
// prints them on stderr): verbose, what the walks passed over, each rule
// skipped and why, and the tally; quiet, none; otherwise the rules skipped,
// grouped by the facts that would run them (lint.SkipSummary), and the
// tally for a fleet or a run of BigRun files or more. name names the facts;
// took is how long the run took.
func (l *Linted) Summary(verbose, quiet bool, name func(rules.Fact) string, took time.Duration) []string {
	var lines []string
	switch {
	case quiet:
		return nil
	case verbose:
		lines = slices.Clone(l.Notes)
		for _, sk := range l.Report.Skipped {
			lines = append(lines, fmt.Sprintf("Skipped %s: %s", sk.Rule, lint.SkipReason(sk, name)))
		}
	default:
		if lines = lint.SkipSummary(l.Report.Skipped, name); len(lines) > 0 {
			lines[len(lines)-1] += " (--verbose says why)"
		}
	}
	if verbose || l.Files >= BigRun || l.Clusters > 0 {
		lines = append(lines, l.Report.Tally(l.Clusters, l.Files, took))
	}
	return lines
}

// ErrNotDirectory is wrapped by the error of [Lint] when dir is not a
// directory.
var ErrNotDirectory = errors.New("not a directory")

// Lint lints each cluster the fleet file named file lists (data is its
// contents) in dir/<name>/, as Render and gitops.Write left it, with that
// cluster's own nodes, kubeVersion and region, on every core. lint's file
// limits apply per cluster, so a fleet of any size Render accepts is read
// whole. A directory of dir that the fleet does not list is not linted
// (Notes says so). An error starts with file's name for a fleet that is
// not valid (every invalid entry and every invalid fact is listed, and
// nothing is linted), wraps ErrNotDirectory when dir is not a directory,
// and wraps lint.ErrCannotLint when a cluster's directory cannot be read.
func Lint(file string, data []byte, dir string, o LintOptions) (*Linted, error) {
	opts := lint.ReadOptions{Exclude: o.Exclude}
	clusters, bad, err := values.LoadFleet(file, data, &values.Values{})
	if err != nil {
		return nil, errors.New(indent(err.Error()))
	}
	if err := invalid(file, bad, len(bad)+len(clusters), "are invalid", "nothing was linted"); err != nil {
		return nil, err
	}
	// Each cluster's facts, checked once, as lint checks them.
	facts := make([]rules.Facts, len(clusters))
	for i, cl := range clusters {
		c := cl.Values.Options()
		var err error
		if facts[i], err = (lint.Facts{Nodes: c.Nodes, KubeVersion: c.KubeVersion, Region: c.Region, Terway: o.Terway}).Resolve(); err != nil {
			bad = append(bad, &values.EntryError{File: file, Line: cl.Line, Name: cl.Name, Err: errors.New(err.Error())}) // one line per fact
		}
	}
	if err := invalid(file, bad, len(clusters), "have invalid facts", "nothing was linted"); err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: %s is %w: want the directory render --fleet %s --output-dir wrote", file, dir, ErrNotDirectory, file)
	}

	type result struct {
		report *lint.Report
		inputs *lint.Inputs
		err    error
	}
	results := make([]result, len(clusters))
	_ = parallel.For(len(clusters), func(i int) error {
		cl := clusters[i]
		cdir := filepath.Join(dir, cl.Name)
		if st, err := os.Stat(cdir); err != nil || !st.IsDir() {
			results[i].err = fmt.Errorf("cluster %s: %s is not a directory: render the fleet into %s first (typharender render --fleet %s --output-dir %s)", cl.Name, cdir, dir, file, dir)
			return nil
		}
		inputs, err := lint.ReadAll([]string{cdir}, opts)
		if err != nil {
			results[i].err = fmt.Errorf("cluster %s: %w", cl.Name, indentJoined(err))
			return nil
		}
		results[i] = result{report: lint.Run(inputs.Objects, facts[i]), inputs: inputs}
		return nil
	})

	out := &Linted{Report: &lint.Report{Findings: []finding.Finding{}, Skipped: []rules.Skip{}}, Clusters: len(clusters)}
	var errs []error
	skipped := map[string]bool{}
	for i, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		for _, fd := range r.report.Findings {
			fd.Cluster = clusters[i].Name
			out.Report.Findings = append(out.Report.Findings, fd)
		}
		for _, sk := range r.report.Skipped {
			if !skipped[sk.Rule] {
				skipped[sk.Rule] = true
				out.Report.Skipped = append(out.Report.Skipped, sk)
			}
		}
		out.Report.Objects += r.report.Objects
		out.Files += r.inputs.Files
		out.Notes = append(out.Notes, r.inputs.Notes...)
	}
	if len(errs) > 0 {
		return nil, lint.Unreadable(errors.Join(errs...))
	}
	// Directories render did not write for this fleet are not linted.
	known := make(map[string]bool, len(clusters))
	for _, cl := range clusters {
		known[cl.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, lint.Unreadable(fmt.Errorf("%s: %w", dir, err))
	}
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: not in the fleet file %s: not linted", filepath.Join(dir, e.Name()), file))
		}
	}
	return out, nil
}

// indentJoined puts each of several joined errors on its own indented
// line under the first line of the message.
func indentJoined(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "\n") {
		return err
	}
	return fmt.Errorf("\n  %s", strings.ReplaceAll(msg, "\n", "\n  "))
}
