package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/inputs"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/values"
	"github.com/typharender/typharender/versioning"
)

// valueFlags describe one cluster, as values (-f, --set) or flags.
type valueFlags struct {
	region, nodes, kubeVersion string
	nodesFrom, kubeVersionFrom string // kubectl get nodes -o json (counted); kubectl version -o json
	files, sets                []string
}

func (f *valueFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.region, "region", "", "Alibaba Cloud region ID, such as cn-hangzhou (values key: region)")
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000 (values key: nodes)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version as the cluster reports it, such as v1.30.7-aliyun.1 (values key: kubeVersion)")
	f.registerFrom(c, true)
	fl.StringArrayVarP(&f.files, "values", "f", nil, "a YAML values file, or - for stdin (repeatable; later files win)")
	fl.StringArrayVar(&f.sets, "set", nil, "set values on the command line: key=value[,key=value] with dotted keys, such as image.tag=v3.28.5 (repeatable; wins over -f)")
	_ = c.RegisterFlagCompletionFunc("region", func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		regions := slices.DeleteFunc(terway.KnownRegions(), func(r string) bool { return !strings.HasPrefix(r, prefix) })
		return regions, cobra.ShellCompDirectiveNoFileComp
	})
}

// registerFrom adds --nodes-from and, with version, --kube-version-from.
func (f *valueFlags) registerFrom(c *cobra.Command, version bool) {
	c.Flags().StringVar(&f.nodesFrom, "nodes-from", "", "count the nodes that run Felix in this file, or - for stdin: the output of kubectl get nodes -o json (or -o yaml); instead of --nodes")
	if version {
		c.Flags().StringVar(&f.kubeVersionFrom, "kube-version-from", "", "read the Kubernetes version from this file, or - for stdin: the output of kubectl version -o json; instead of --kube-version")
	}
}

// clusterFlags are the flags that give one cluster's facts.
var clusterFlags = []string{"region", "nodes", "kube-version", "nodes-from", "kube-version-from"}

// given returns which of the named flags were given, as "--name".
func given(c *cobra.Command, names ...string) []string {
	var set []string
	for _, n := range names {
		if c.Flags().Changed(n) {
			set = append(set, "--"+n)
		}
	}
	return set
}

// sources reads -f: the values' sources, with the cluster flags if cluster.
func (f *valueFlags) sources(c *cobra.Command, in *input, cluster bool) (values.Sources, error) {
	src := values.Sources{Sets: f.sets}
	for _, name := range f.files {
		data, err := in.ReadAtMost("-f", name, values.MaxValuesBytes, func(big *inputs.TooLarge) error {
			return invalidValues(values.TooLarge(big.File, big.Size, big.Limit))
		})
		if err != nil {
			return src, err
		}
		src.Files = append(src.Files, values.File{Name: displayName(name), Data: data})
	}
	if cluster {
		src.Settings = f.settings(c, false)
	}
	return src, nil
}

// settings are the cluster flags given; partial: "" is unknown (lint).
func (f *valueFlags) settings(c *cobra.Command, partial bool) []values.Setting {
	var out []values.Setting
	for _, x := range []struct{ flag, key, value, label string }{
		{"region", "region", f.region, "--region"},
		{"nodes", "nodes", f.nodes, "--nodes"},
		{"kube-version", "kubeVersion", f.kubeVersion, "--kube-version"},
		{"nodes-from", "nodes", f.nodes, "--nodes-from " + displayName(f.nodesFrom)},
		{"kube-version-from", "kubeVersion", f.kubeVersion, "--kube-version-from " + displayName(f.kubeVersionFrom)},
	} {
		if c.Flags().Changed(x.flag) && !(partial && x.value == "" && x.flag != "nodes") {
			out = append(out, values.Setting{Key: x.key, Label: x.label, Value: x.value})
		}
	}
	return out
}

// values returns the values ready to render, or every problem at once.
func (f *valueFlags) values(c *cobra.Command, in *input) (*values.Values, error) {
	if err := f.readFacts(c, in); err != nil {
		return nil, err
	}
	src, err := f.sources(c, in, true)
	if err != nil {
		return nil, err
	}
	v, err := src.Values()
	if err != nil {
		return nil, explainValues(err)
	}
	return v, nil
}

// readFacts reads --nodes-from and --kube-version-from into --nodes and
// --kube-version, saying on stderr what was read.
func (f *valueFlags) readFacts(c *cobra.Command, in *input) error {
	for _, pair := range [][2]string{{"nodes", "nodes-from"}, {"kube-version", "kube-version-from"}} {
		if c.Flags().Changed(pair[0]) && c.Flags().Changed(pair[1]) {
			return usageError(c, fmt.Errorf("--%s and --%s: give one of them", pair[0], pair[1]))
		}
	}
	var files [2]*values.File // --nodes-from's, --kube-version-from's
	for i, x := range []struct {
		flag, name, hint string
		limit            int64
	}{
		{"nodes-from", f.nodesFrom, "trim the node list to names, labels and nodeInfo.operatingSystem first (see typharender render --help)", sizing.MaxNodeListBytes},
		{"kube-version-from", f.kubeVersionFrom, "want the output of kubectl version -o json, well under 1 KiB", versioning.MaxKubectlBytes},
	} {
		if !c.Flags().Changed(x.flag) {
			continue
		}
		data, err := in.ReadAtMost("--"+x.flag, x.name, x.limit, func(big *inputs.TooLarge) error {
			return fmt.Errorf("--%s %s: %s: %s", x.flag, big.File, big.OverLimit(), x.hint)
		})
		if err != nil {
			return err
		}
		files[i] = &values.File{Name: "--" + x.flag + " " + displayName(x.name), Data: data}
	}
	settings, notes, err := values.FromKubectl(files[0], files[1])
	for _, n := range notes {
		fmt.Fprintln(in.errOut, n)
	}
	for _, st := range settings {
		*map[string]*string{"nodes": &f.nodes, "kubeVersion": &f.kubeVersion}[st.Key] = st.Value
	}
	return err
}

// fleetTooLarge is the error for a fleet file over values.MaxFleetBytes.
func fleetTooLarge(big *inputs.TooLarge) error {
	return fmt.Errorf("--fleet %s", values.TooLarge(big.File, big.Size, big.Limit))
}

// explainValues is invalidValues, with a hint for a missing required key.
func explainValues(err error) error {
	missing := errors.Is(err, values.ErrRequired)
	if err = invalidValues(err); missing {
		err = fmt.Errorf("%w\n(give --region, --nodes and --kube-version, or the keys region, nodes and kubeVersion with -f or --set)", err)
	}
	return err
}

// invalidValues formats the errors of values that cannot be rendered.
func invalidValues(err error) error { return fmt.Errorf("invalid values:\n  %s", indent(err.Error())) }

// failOnFlag is --fail-on, with one meaning on every command.
type failOnFlag struct{ value string }

func (f *failOnFlag) register(c *cobra.Command, def string) {
	c.Flags().StringVar(&f.value, "fail-on", def, "exit 1 when a warning or finding the command reports is at or above this severity: warning (warnings and errors) or error (errors only); the command's own warnings count as warnings")
	completions(c, map[string][]string{"fail-on": {"warning", "error"}})
}

// severity returns the --fail-on severity, and false when there is none.
func (f *failOnFlag) severity(c *cobra.Command) (finding.Severity, bool, error) {
	if f.value == "" {
		return 0, false, nil
	}
	sev, err := finding.ParseSeverity(f.value)
	if err != nil || sev == finding.Info {
		return 0, false, usageError(c, fmt.Errorf("--fail-on %q: want warning or error", f.value))
	}
	return sev, true, nil
}

// warnAll writes findings to stderr as finding.Finding.Warning formats them.
func warnAll(s streams, findings []finding.Finding) {
	for _, f := range findings {
		fmt.Fprintln(s.ErrOut, f.Warning())
	}
}

// intString is an int flag kept as text: the values layer explains a bad one.
type intString struct{ p *string }

func (v *intString) String() string     { return *v.p }
func (v *intString) Set(s string) error { *v.p = s; return nil }
func (v *intString) Type() string       { return "int" }

// input reads the files named on the command line; readFacts says on
// errOut what it read.
type input struct {
	*inputs.Reader
	errOut io.Writer
}

func newInput(s streams) *input { return &input{inputs.New(s.In), s.ErrOut} }

func displayName(name string) string { return inputs.Name(name) }

// indent indents every line of s after the first by two spaces.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

// completions completes each flag of c with its fixed choices.
func completions(c *cobra.Command, choices map[string][]string) {
	for flag, values := range choices {
		_ = c.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return slices.Clone(values), cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// oneOf is a usage error unless value is one of choices.
func oneOf(c *cobra.Command, flag, value string, choices ...string) error {
	if slices.Contains(choices, value) {
		return nil
	}
	last := len(choices) - 1
	return usageError(c, fmt.Errorf("%s %q: want %s or %s", flag, value, strings.Join(choices[:last], ", "), choices[last]))
}

// renderCommand is the render command line for c's values, then extra.
func renderCommand(c *cobra.Command, f *valueFlags, extra ...string) string {
	parts := []string{"typharender", "render"}
	add := func(flag, value string) { parts = append(parts, flag, rollout.ShellQuote(value)) }
	for _, name := range f.files {
		add("-f", name)
	}
	for _, set := range f.sets {
		add("--set", set)
	}
	if c.Flags().Changed("region") {
		add("--region", f.region)
	}
	// A count or version read from kubectl output is repeated as a value.
	if c.Flags().Changed("nodes") || c.Flags().Changed("nodes-from") {
		add("--nodes", f.nodes)
	}
	if c.Flags().Changed("kube-version") || c.Flags().Changed("kube-version-from") {
		add("--kube-version", f.kubeVersion)
	}
	for _, e := range extra {
		parts = append(parts, rollout.ShellQuote(e))
	}
	return strings.Join(parts, " ")
}
