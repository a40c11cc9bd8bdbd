package main

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/values"
	"github.com/typharender/typharender/versioning"
)

type lintFlags struct {
	nodes           string // as given, so that a bad value gets render's message
	nodesFrom       string // --nodes-from: kubectl get nodes -o json, counted
	kubeVersion     string
	kubeVersionFrom string // --kube-version-from: kubectl version -o json
	region          string
	terway          bool
	format          string // -o, or its alias --format
	failOn          failOnFlag
	gate            bool // --fail-on names a severity (not "")
	verbose         bool
	quiet           bool
	exclude         []string
	fleet           string
}

// bigRun is the number of files from which lint prints its summary line
// without --verbose.
const bigRun = 100

func newLintCmd(s streams) *cobra.Command {
	f := &lintFlags{}
	c := &cobra.Command{
		Use:   "lint PATH... | -\n  typharender lint --fleet FLEET DIR",
		Short: "Check Typha and eni-config manifests against a cluster's size, version and region",
		Long: `Check Typha manifests and Terway's eni-config ConfigMap before they reach a
cluster, with the rules typharender renders by: the PodDisruptionBudget API
for the Kubernetes version, replicas for the node count, the image and its
region, the Service's port and selector, the Deployment's selector, and the
eni-config keys disable_network_policy and felix_relay_service.

PATH is a file, a directory (read recursively for .yaml, .yml and .json
files, in lexical order) or - for stdin. Files may hold several YAML
documents, JSON (one value, or several one after the other, as kubectl
reads them), or v1 List objects.

The cluster facts --nodes, --kube-version and --region are each optional
(--nodes-from and --kube-version-from read the first two from kubectl
output, as for render):
a rule that needs a fact not given is skipped, and --verbose says which
and why. A bad value gets the message render gives for the same flag.
Findings go to stdout as -o text (file:line: severity [ID] message), json,
github (workflow annotations) or sarif (SARIF 2.1.0, for code scanning);
--format is an alias of -o.

A directory walk passes over hidden files and directories, what an
--exclude glob matches (a name anywhere, or a path below the directory
when the glob has a slash; repeatable), and documents that are not
Kubernetes objects, such as Helm values files and CI workflows (--verbose
lists them). A file named explicitly is read whatever it holds.

--terway says the cluster runs Terway, so that typha-relay-not-configured
asks for eni-config's felix_relay_service even when eni-config is not
among the inputs; an eni-config among them says so as well.

--fleet FLEET DIR lints each cluster the fleet file lists (as render
--fleet takes it) in DIR/<name>/, with that cluster's own nodes,
kubeVersion and region; findings are prefixed with the cluster's name.

On stderr a summary line gives the files, objects, findings by severity
and the time, with --verbose or when 100 files or more are read (a fleet
included); --quiet prints the findings and nothing else, exit code aside.

Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it,
2 unreadable input or a usage error. ` + fmt.Sprintf(`Inputs are limited to %d MiB each
(%d MiB per document), %d documents, %d levels of nesting, %d YAML nodes
per document and %d per file with aliases expanded (lint's MaxInputBytes,
MaxDocumentBytes, MaxDocuments, MaxDepth, MaxNodes and MaxInputNodes), and
%d files per run (per cluster with --fleet).`, lint.MaxInputBytes>>20, lint.MaxDocumentBytes>>20, lint.MaxDocuments, lint.MaxDepth, lint.MaxNodes, lint.MaxInputNodes, lint.MaxFiles),
		Example: `  # Everything a 1,000-node cn-hangzhou cluster on 1.30 will get
  typharender lint --nodes 1000 --kube-version v1.30.7-aliyun.1 --region cn-hangzhou deploy/

  # Render and lint in one pipe
  typharender render --region cn-hangzhou --nodes 1000 --kube-version 1.30 | typharender lint -

  # The live eni-config together with the manifests
  kubectl -n kube-system get cm eni-config -o yaml | typharender lint - deploy/typha.yaml

  # Annotations in a GitHub Actions job, failing on warnings too
  typharender lint -o github --fail-on warning deploy/

  # A repository with a Helm chart beside the manifests
  typharender lint --terway --exclude 'templates' --exclude '*.json' .

  # Every cluster of a fleet, each with its own facts
  typharender render --fleet clusters.yaml --output-dir fleet/ --quiet
  typharender lint --fleet clusters.yaml fleet/`,
		RunE: func(c *cobra.Command, args []string) error {
			return f.run(c, s, args)
		},
	}
	fl := c.Flags()
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000 (replica rules are skipped without it)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "the cluster's Kubernetes version as it reports it, such as v1.30.7-aliyun.1 (PodDisruptionBudget rules are skipped without it)")
	fl.StringVar(&f.region, "region", "", "the cluster's Alibaba Cloud region ID, such as cn-hangzhou (the image region rule is skipped without it)")
	fl.StringVar(&f.nodesFrom, "nodes-from", "", "count the nodes that run Felix in this file, or - for stdin: the output of kubectl get nodes -o json (or -o yaml); instead of --nodes")
	fl.StringVar(&f.kubeVersionFrom, "kube-version-from", "", "read the Kubernetes version from this file, or - for stdin: the output of kubectl version -o json; instead of --kube-version")
	fl.BoolVar(&f.terway, "terway", false, "the cluster runs Terway, so Felix finds Typha through eni-config's felix_relay_service (an eni-config among the inputs says so too)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "pass over what this glob matches when walking a directory: a name, or a path below the directory if it has a slash (repeatable)")
	fl.StringVar(&f.fleet, "fleet", "", "lint DIR/<name>/ for every cluster this fleet file lists, with its own facts")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print the findings and nothing else")
	fl.StringVarP(&f.format, "output", "o", "text", "output format: text, json, github or sarif")
	fl.StringVar(&f.format, "format", "text", "alias of --output")
	f.failOn.register(c, "error")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "say on stderr which rules were skipped and why, what a walk passed over, and summarize")
	formats := make([]string, 0, len(lint.Formats()))
	for _, f := range lint.Formats() {
		formats = append(formats, string(f))
	}
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(formats...))
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(formats...))
	_ = c.RegisterFlagCompletionFunc("region", fixedCompletion(knownRegions()...))
	c.MarkFlagsMutuallyExclusive("quiet", "verbose")
	return c
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
	f.gate = gate
	if f.fleet != "" {
		if f.nodesFrom != "" || f.kubeVersionFrom != "" {
			return usageError(c, errors.New("--nodes-from and --kube-version-from with --fleet: each cluster's facts come from the fleet file"))
		}
		return f.runFleet(c, s, args, format, failOn, start)
	}
	if err := f.readFacts(c, s, args); err != nil {
		return err
	}
	facts, err := f.facts(c)
	if err != nil {
		return usageError(c, err)
	}
	facts.Terway = f.terway

	in, err := lint.ReadAll(args, lint.ReadOptions{Stdin: s.In, Exclude: f.exclude})
	if errors.Is(err, lint.ErrPattern) {
		return usageError(c, fmt.Errorf("--exclude: %w", err))
	}
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("cannot lint: %w", indentJoined(err))}
	}
	report, err := lint.Lint(in.Objects, facts)
	if err != nil {
		return usageError(c, err) // unreachable: the facts were validated
	}
	if len(in.Objects) == 0 && !f.quiet {
		fmt.Fprintln(s.ErrOut, "Warning: no Kubernetes objects in the input: nothing was checked")
	}
	return f.finish(s, report, format, failOn, runStats{files: in.Files, notes: in.Notes, start: start})
}

// runStats is what a lint run read, for its summary line.
type runStats struct {
	clusters int // with --fleet
	files    int
	notes    []string
	start    time.Time
}

// finish writes the report, and on stderr what --verbose asks for and the
// summary line, and returns the exit status.
func (f *lintFlags) finish(s streams, report *lint.Report, format lint.Format, failOn finding.Severity, st runStats) error {
	for i, sk := range report.Skipped {
		if sk.Needs != 0 {
			report.Skipped[i].Reason = "needs " + factFlags(sk.Needs) + ": " + sk.Why
		}
	}
	if err := lint.Write(s.Out, format, report); err != nil {
		return failure(fmt.Errorf("writing the report: %w", err))
	}
	switch {
	case f.verbose:
		for _, n := range st.notes {
			fmt.Fprintln(s.ErrOut, n)
		}
		for _, sk := range report.Skipped {
			fmt.Fprintf(s.ErrOut, "Skipped %s: %s\n", sk.Rule, sk.Reason)
		}
	case !f.quiet:
		for _, line := range skippedLines(report.Skipped) {
			fmt.Fprintln(s.ErrOut, line)
		}
	}
	if !f.quiet && (f.verbose || st.files >= bigRun || st.clusters > 0) {
		fmt.Fprintln(s.ErrOut, summaryLine(report, st))
	}
	if f.gate && report.Fails(failOn) {
		return &exitError{code: exitFail, err: fmt.Errorf("%s (--fail-on %s)", report.Summary(), failOn), silent: f.quiet}
	}
	return nil
}

// skippedLines say once which rules were skipped, grouped by what would
// run them: "lint: skipped 3 rules that need --kube-version: a, b, c
// (--verbose says why)".
func skippedLines(skipped []rules.Skip) []string {
	var order []string
	rules := map[string][]string{}
	for _, sk := range skipped {
		needs, _, _ := strings.Cut(sk.Reason, ": ")
		if _, ok := rules[needs]; !ok {
			order = append(order, needs)
		}
		rules[needs] = append(rules[needs], sk.Rule)
	}
	var lines []string
	for i, needs := range order {
		ids := rules[needs]
		what, verb := strings.TrimPrefix(needs, "needs "), "need"
		if len(ids) == 1 {
			verb = "needs"
		}
		line := fmt.Sprintf("lint: skipped %s that %s %s: %s", english.Count(len(ids), "rule"), verb, what, strings.Join(ids, ", "))
		if i == len(order)-1 {
			line += " (--verbose says why)"
		}
		lines = append(lines, line)
	}
	return lines
}

// summaryLine: "Linted 5 files, 12 objects: 1 error, 0 warnings, 2 info (31ms)".
func summaryLine(r *lint.Report, st runStats) string {
	what := english.Count(st.files, "file") + ", " + english.Count(r.Objects, "object")
	if st.clusters > 0 {
		what = english.Count(st.clusters, "cluster") + ", " + what
	}
	return fmt.Sprintf("Linted %s: %s, %s, %d info (%s)", what, english.Count(r.Count(finding.Error), "error"),
		english.Count(r.Count(finding.Warning), "warning"), r.Count(finding.Info), time.Since(st.start).Round(time.Millisecond))
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

// factFlags names facts by the flags that give them: "--kube-version",
// "--nodes and --region".
func factFlags(facts rules.Fact) string {
	var names []string
	for _, f := range facts.Each() {
		switch f {
		case rules.FactNodes:
			names = append(names, "--nodes")
		case rules.FactKubeVersion:
			names = append(names, "--kube-version")
		case rules.FactRegion:
			names = append(names, "--region")
		case rules.FactTerway:
			names = append(names, "--terway")
		default:
			names = append(names, f.String())
		}
	}
	return strings.Join(names, " and ")
}

// facts reads --nodes, --kube-version and --region as render reads the
// same flags, so that a bad value gets render's message, and reports every
// bad one. An empty --kube-version or --region means unknown, as leaving
// it out does; --nodes 0 is refused, as render refuses it.
func (f *lintFlags) facts(c *cobra.Command) (lint.Facts, error) {
	v := &values.Values{}
	var problems []error
	for _, x := range []struct{ flag, key, value, label string }{
		{"nodes", "nodes", f.nodes, "--nodes"},
		{"nodes-from", "nodes", f.nodes, "--nodes-from " + displayName(f.nodesFrom)},
		{"kube-version", "kubeVersion", f.kubeVersion, "--kube-version"},
		{"kube-version-from", "kubeVersion", f.kubeVersion, "--kube-version-from " + displayName(f.kubeVersionFrom)},
		{"region", "region", f.region, "--region"},
	} {
		if !c.Flags().Changed(x.flag) || (x.value == "" && x.flag != "nodes") {
			continue
		}
		if err := v.SetFlag(x.key, x.label, x.value); err != nil {
			problems = append(problems, errs.Flatten(err)...)
		}
	}
	// Render judges the three together: stand-ins for the facts not given
	// (or not parsed) are valid, so every error left is about a flag given.
	o := v.Options()
	probe := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: versioning.MinSupported().String()}
	if _, ok := v.SourceOf("nodes"); ok {
		probe.Nodes = o.Nodes
	}
	if _, ok := v.SourceOf("kubeVersion"); ok {
		probe.KubeVersion = o.KubeVersion
	}
	if _, ok := v.SourceOf("region"); ok {
		probe.Region = o.Region
	}
	for _, err := range errs.Flatten(v.Explain(probe.Validate())) {
		// Render refuses clusters older than it renders for; lint checks
		// manifests for them all the same.
		if !errors.Is(err, versioning.ErrUnsupportedVersion) {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		// In the order the help text names the flags.
		order := map[string]int{"--nodes": 0, "--kube-version": 1, "--region": 2}
		slices.SortStableFunc(problems, func(a, b error) int {
			return cmp.Compare(order[flagOf(a)], order[flagOf(b)])
		})
		return lint.Facts{}, errors.Join(problems...)
	}
	facts := lint.Facts{Nodes: o.Nodes, KubeVersion: o.KubeVersion, Region: o.Region}
	// Render accepted them, so lint should: an error here is a
	// disagreement between the two, reported in lint's own terms.
	return facts, facts.Validate()
}

// readFacts reads --nodes-from and --kube-version-from into the node
// count and version, as --nodes and --kube-version would give them; what
// was read goes to stderr. Stdin is theirs only when no PATH is -.
func (f *lintFlags) readFacts(c *cobra.Command, s streams, args []string) error {
	for _, pair := range [][2]string{{"nodes", "nodes-from"}, {"kube-version", "kube-version-from"}} {
		if c.Flags().Changed(pair[0]) && c.Flags().Changed(pair[1]) {
			return usageError(c, fmt.Errorf("--%s and --%s: give one of them", pair[0], pair[1]))
		}
	}
	in := &input{stdin: s.In}
	if slices.Contains(args, "-") {
		in.stdinUsed = "the input -"
	}
	if c.Flags().Changed("nodes-from") {
		count, err := readNodes(in, s.ErrOut, f.nodesFrom)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		f.nodes = strconv.Itoa(count.Felix)
	}
	if c.Flags().Changed("kube-version-from") {
		v, err := readKubeVersion(in, s.ErrOut, f.kubeVersionFrom)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		f.kubeVersion = v
	}
	return nil
}

// flagOf returns the flag a values error names, "" for another error.
func flagOf(err error) string {
	var ve *values.Error
	if errors.As(err, &ve) {
		return ve.Source.Flag
	}
	return ""
}
