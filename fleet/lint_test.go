package fleet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// TestSummary: what lint prints after the report, for each of verbose,
// quiet and neither, below and at BigRun files and for a fleet; each
// fact named as the caller names it.
func TestSummary(t *testing.T) {
	t.Parallel()
	name := func(f rules.Fact) string {
		return map[rules.Fact]string{rules.FactNodes: "--nodes", rules.FactKubeVersion: "--kube-version"}[f]
	}
	linted := func(files, clusters int) *fleet.Linted {
		return &fleet.Linted{Files: files, Clusters: clusters, Notes: []string{"dir/x: excluded"}, Report: &lint.Report{Objects: 2, Skipped: []rules.Skip{
			{Rule: "a", Reason: "needs Facts.Nodes: why a", Needs: rules.FactNodes, Why: "why a"},
			{Rule: "b", Reason: "needs Facts.Nodes: why b", Needs: rules.FactNodes, Why: "why b"},
			{Rule: "c", Reason: "needs a Typha Deployment among the inputs: why c"},
		}}}
	}
	tally := func(l *fleet.Linted) string { return l.Report.Tally(l.Clusters, l.Files, time.Second) }
	for _, tc := range []struct {
		name           string
		l              *fleet.Linted
		verbose, quiet bool
		want           []string
		tallied, noted bool
	}{
		{name: "default, small", l: linted(fleet.BigRun-1, 0), want: []string{
			"lint: skipped 2 rules that need --nodes: a, b",
			"lint: skipped 1 rule that needs a Typha Deployment among the inputs: c (--verbose says why)"}},
		{name: "default, big", l: linted(fleet.BigRun, 0), tallied: true},
		{name: "default, fleet", l: linted(1, 2), tallied: true},
		{name: "verbose", l: linted(1, 0), verbose: true, tallied: true, noted: true, want: []string{
			"dir/x: excluded", "Skipped a: needs --nodes: why a", "Skipped b: needs --nodes: why b", "Skipped c: needs a Typha Deployment among the inputs: why c"}},
		{name: "quiet", l: linted(fleet.BigRun, 2), quiet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.l.Summary(tc.verbose, tc.quiet, name, time.Second)
			if tc.tallied {
				require.NotEmpty(t, got)
				require.Equal(t, tally(tc.l), got[len(got)-1])
				got = got[:len(got)-1]
			}
			if tc.want != nil || tc.quiet {
				require.Equal(t, tc.want, got)
			}
			for _, l := range got {
				require.False(t, strings.HasPrefix(l, "Linted "), "tally in %q", got)
			}
		})
	}
}

// TestNameFacts: each skip for want of a fact is reworded with the
// caller's names; one for want of an object keeps its reason.
func TestNameFacts(t *testing.T) {
	t.Parallel()
	l := &fleet.Linted{Report: &lint.Report{Skipped: []rules.Skip{
		{Rule: "a", Reason: "needs Facts.Nodes and Facts.KubeVersion: why", Needs: rules.FactNodes | rules.FactKubeVersion, Why: "why"},
		{Rule: "c", Reason: "needs a Service among the inputs: why"},
	}}}
	l.NameFacts(func(f rules.Fact) string {
		return map[rules.Fact]string{rules.FactNodes: "--nodes", rules.FactKubeVersion: "--kube-version"}[f]
	})
	require.Equal(t, "needs --nodes and --kube-version: why", l.Report.Skipped[0].Reason)
	require.Equal(t, "needs a Service among the inputs: why", l.Report.Skipped[1].Reason)
}
