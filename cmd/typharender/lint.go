package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/values"
)

type lintFlags struct {
	valueFlags     // the cluster facts, as render reads them
	terway         bool
	format         string // -o, or its alias --format
	failOn         failOnFlag
	verbose, quiet bool
	exclude        []string
	fleet          string
}

func newLintCmd(s streams) *cobra.Command {
	f := &lintFlags{}
	c := &cobra.Command{Use: "lint PATH... | -\n  typharender lint --fleet FLEET DIR", Short: "Check Typha and eni-config manifests against a cluster's size, version and region",
		RunE: func(c *cobra.Command, args []string) error { return f.run(c, s, args) }}
	fl := c.Flags()
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000 (replica rules are skipped without it)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "the cluster's Kubernetes version as it reports it, such as v1.30.7-aliyun.1 (PodDisruptionBudget rules are skipped without it)")
	fl.StringVar(&f.region, "region", "", "the cluster's Alibaba Cloud region ID, such as cn-hangzhou (the image region rule is skipped without it)")
	f.registerFrom(c, true)
	fl.BoolVar(&f.terway, "terway", false, "the cluster runs Terway, so Felix finds Typha through eni-config's felix_relay_service (an eni-config among the inputs says so too)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "pass over what this glob matches when walking a directory: a name, or a path below the directory if it has a slash (repeatable)")
	fl.StringVar(&f.fleet, "fleet", "", "lint DIR/<name>/ for every cluster this fleet file lists, with its own facts")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print the findings and nothing else")
	fl.StringVarP(&f.format, "output", "o", "text", "output format: text, json, github or sarif")
	fl.StringVar(&f.format, "format", "text", "alias of --output")
	f.failOn.register(c, "error")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say on stderr which rules were skipped and why, what a walk passed over, and summarize")
	var formats []string
	for _, f := range lint.Formats() {
		formats = append(formats, string(f))
	}
	completions(c, map[string][]string{"output": formats, "format": formats, "region": terway.KnownRegions()})
	c.MarkFlagsMutuallyExclusive("quiet", "verbose")
	return c
}

// factFlag names a fact by the flag that gives it.
func factFlag(fact rules.Fact) string {
	return map[rules.Fact]string{rules.FactNodes: "--nodes", rules.FactKubeVersion: "--kube-version", rules.FactRegion: "--region", rules.FactTerway: "--terway"}[fact]
}

func (f *lintFlags) run(c *cobra.Command, s streams, args []string) error {
	start := time.Now()
	if len(args) == 0 {
		if f.fleet != "" {
			return usageError(c, fmt.Errorf("--fleet %s: give the directory the fleet was rendered into, as in typharender lint --fleet %s fleet/", f.fleet, f.fleet))
		}
		return usageError(c, errors.New("no input: give files, directories, or - for stdin"))
	}
	format, err := lint.ParseFormat(f.format)
	if err != nil {
		flag := "-o"
		if c.Flags().Changed("format") && !c.Flags().Changed("output") {
			flag = "--format"
		}
		return usageError(c, fmt.Errorf("%s: %w", flag, err))
	}
	failOn, gate, err := f.failOn.severity(c)
	if err != nil {
		return err
	}
	run := f.runFiles
	if f.fleet != "" {
		run = f.runFleet
	}
	r, err := run(c, s, args)
	if err != nil {
		return err
	}
	// Findings to stdout; on stderr what --verbose asks for and the tally.
	r.NameFacts(factFlag)
	if err := lint.Write(s.Out, format, r.Report); err != nil {
		return failure(fmt.Errorf("writing the report: %w", err))
	}
	for _, l := range r.Summary(f.verbose, f.quiet, factFlag, time.Since(start)) {
		fmt.Fprintln(s.ErrOut, l)
	}
	if gate && r.Report.Fails(failOn) {
		return &exitError{code: exitFail, err: fmt.Errorf("%s (--fail-on %s)", r.Report.Summary(), failOn), silent: f.quiet}
	}
	return nil
}

// runFiles lints the files, directories and stdin args name.
func (f *lintFlags) runFiles(c *cobra.Command, s streams, args []string) (*fleet.Linted, error) {
	in := newInput(s)
	if slices.Contains(args, "-") {
		in.ClaimStdin("the input -") // stdin is --nodes-from's only when no PATH is -
	}
	if err := f.readFacts(c, in); err != nil {
		return nil, err
	}
	// Each fact as render reads its flag, so a bad one gets render's message.
	o, err := values.CheckPartial(f.settings(c, true))
	var facts rules.Facts
	if err == nil { // render accepted them, so lint should: an error is a disagreement
		facts, err = lint.Facts{Nodes: o.Nodes, KubeVersion: o.KubeVersion, Region: o.Region, Terway: f.terway}.Resolve()
	}
	if err != nil {
		return nil, usageError(c, err)
	}
	inputs, err := lint.ReadAll(args, lint.ReadOptions{Stdin: s.In, Exclude: f.exclude})
	if errors.Is(err, lint.ErrPattern) {
		return nil, usageError(c, fmt.Errorf("--exclude: %w", err))
	} else if err != nil {
		return nil, lint.Unreadable(err)
	}
	if len(inputs.Objects) == 0 && !f.quiet {
		fmt.Fprintln(s.ErrOut, "Warning: no Kubernetes objects in the input: nothing was checked")
	}
	return &fleet.Linted{Report: lint.Run(inputs.Objects, facts), Files: inputs.Files, Notes: inputs.Notes}, nil
}

// runFleet lints each cluster of the fleet file in DIR/<name>/.
func (f *lintFlags) runFleet(c *cobra.Command, s streams, args []string) (*fleet.Linted, error) {
	if f.nodesFrom != "" || f.kubeVersionFrom != "" {
		return nil, usageError(c, errors.New("--nodes-from and --kube-version-from with --fleet: each cluster's facts come from the fleet file"))
	}
	if len(args) != 1 {
		return nil, usageError(c, fmt.Errorf("--fleet %s takes one directory, the one render --fleet --output-dir wrote; got %d arguments", f.fleet, len(args)))
	}
	if set := given(c, "nodes", "kube-version", "region"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --fleet: each fleet entry gives its own nodes, kubeVersion and region", strings.Join(set, ", ")))
	}
	if _, err := lint.ReadAll(nil, lint.ReadOptions{Exclude: f.exclude}); errors.Is(err, lint.ErrPattern) {
		return nil, usageError(c, fmt.Errorf("--exclude: %w", err))
	}
	data, err := newInput(s).ReadAtMost("--fleet", f.fleet, values.MaxFleetBytes, fleetTooLarge)
	if err != nil {
		return nil, err
	}
	r, err := fleet.Lint(displayName(f.fleet), data, args[0], fleet.LintOptions{Exclude: f.exclude, Terway: f.terway})
	switch {
	case errors.Is(err, fleet.ErrNotDirectory):
		return nil, usageError(c, fmt.Errorf("--fleet %w", err))
	case err != nil && !errors.Is(err, lint.ErrCannotLint):
		return nil, fmt.Errorf("--fleet %w", err)
	}
	return r, err
}
