package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/parallel"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/values"
)

// runFleet lints every cluster of the fleet file in DIR/<name>/, as render
// --fleet --output-dir DIR wrote it, each with its own facts, on every
// core. Files are limited per cluster, so a fleet of any size that render
// accepts is read whole.
func (f *lintFlags) runFleet(c *cobra.Command, s streams, args []string, format lint.Format, failOn finding.Severity, start time.Time) error {
	if len(args) != 1 {
		return usageError(c, fmt.Errorf("--fleet %s takes one directory, the one render --fleet --output-dir wrote; got %d arguments", f.fleet, len(args)))
	}
	var set []string
	for _, flag := range []string{"nodes", "kube-version", "region"} {
		if c.Flags().Changed(flag) {
			set = append(set, "--"+flag)
		}
	}
	if len(set) > 0 {
		return usageError(c, fmt.Errorf("%s with --fleet: each fleet entry gives its own nodes, kubeVersion and region", strings.Join(set, ", ")))
	}
	opts := lint.ReadOptions{Exclude: f.exclude}
	if _, err := lint.ReadAll(nil, opts); errors.Is(err, lint.ErrPattern) {
		return usageError(c, fmt.Errorf("--exclude: %w", err))
	}
	in := &input{stdin: s.In}
	name, clusters, bad, err := readFleet(in, f.fleet, &values.Values{})
	if err != nil {
		return err
	}
	if err := badFleet(name, bad, len(bad)+len(clusters), "nothing was linted"); err != nil {
		return err
	}
	// Each cluster's facts, checked as lint checks its flags' values.
	facts := make([]lint.Facts, len(clusters))
	for i, cl := range clusters {
		o := cl.Values.Options()
		facts[i] = lint.Facts{Nodes: o.Nodes, KubeVersion: o.KubeVersion, Region: o.Region, Terway: f.terway}
		if err := facts[i].Validate(); err != nil {
			bad = append(bad, &values.EntryError{File: name, Line: cl.Line, Name: cl.Name, Err: errors.New(err.Error())}) // one line per fact
		}
	}
	if len(bad) > 0 {
		values.SortEntryErrors(bad)
		var b strings.Builder
		fmt.Fprintf(&b, "--fleet %s: %d of %d clusters have invalid facts; nothing was linted:", name, len(bad), len(clusters))
		for _, e := range bad {
			b.WriteString("\n  " + indent(e.Error()))
		}
		return errors.New(b.String())
	}
	dir := args[0]
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageError(c, fmt.Errorf("--fleet %s: %s is not a directory: want the directory render --fleet %s --output-dir wrote", name, dir, name))
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
			results[i].err = fmt.Errorf("cluster %s: %s is not a directory: render the fleet into %s first (typharender render --fleet %s --output-dir %s)", cl.Name, cdir, dir, name, dir)
			return nil
		}
		inputs, err := lint.ReadAll([]string{cdir}, opts)
		if err != nil {
			results[i].err = fmt.Errorf("cluster %s: %w", cl.Name, indentJoined(err))
			return nil
		}
		rep, err := lint.Lint(inputs.Objects, facts[i])
		if err != nil {
			results[i].err = fmt.Errorf("cluster %s (line %d of %s): %w", cl.Name, cl.Line, name, err)
			return nil
		}
		results[i] = result{report: rep, inputs: inputs}
		return nil
	})

	report := &lint.Report{Findings: []finding.Finding{}, Skipped: []rules.Skip{}}
	st := runStats{clusters: len(clusters), start: start}
	var errs []error
	skipped := map[string]bool{}
	for i, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		prefix := "cluster " + clusters[i].Name + ": "
		for _, fd := range r.report.Findings {
			fd.Message = prefix + fd.Message
			report.Findings = append(report.Findings, fd)
		}
		for _, sk := range r.report.Skipped {
			if !skipped[sk.Rule] {
				skipped[sk.Rule] = true
				report.Skipped = append(report.Skipped, sk)
			}
		}
		report.Objects += r.report.Objects
		st.files += r.inputs.Files
		st.notes = append(st.notes, r.inputs.Notes...)
	}
	if len(errs) > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("cannot lint: %w", indentJoined(errors.Join(errs...)))}
	}
	// Directories render did not write for this fleet are not linted.
	known := make(map[string]bool, len(clusters))
	for _, cl := range clusters {
		known[cl.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("cannot lint: %s: %w", dir, err)}
	}
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			st.notes = append(st.notes, fmt.Sprintf("%s: not in the fleet file %s: not linted", filepath.Join(dir, e.Name()), name))
		}
	}
	return f.finish(s, report, format, failOn, st)
}
