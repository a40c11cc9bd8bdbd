package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/sizing"
)

type sizeFlags struct {
	nodes, replicas string
	nodesFrom       string // --nodes-from: kubectl get nodes -o json, counted
	table           bool
	from, to, step  int
	fromS, toS      string // the --from and --to text, parsed in runTable
	stepS           string
	output          string
	failOn          failOnFlag
}

// maxTableRows bounds --table, so that a typo in --step cannot print a
// million lines.
const maxTableRows = 10_000

func newSizeCmd(s streams) *cobra.Command {
	f := &sizeFlags{}
	c := &cobra.Command{
		Use:   "size (--nodes N [--replicas R] | --table [--from N --to N --step N])",
		Short: "Explain how many Typha replicas a cluster needs",
		Long: `Print the Typha advice for a node count: the replica count
(max(3, ceil(nodes/200)), the guide's rule), whether Typha is recommended
(above 100 nodes), the API server watchers with and without Typha, the
warnings and the reasoning. --replicas checks a replica count of your own
against the advice. The advice, warnings included, is the output: it goes
to stdout.

--table prints the replica count across a range of node counts, from
--from to --to in steps of --step.

--nodes-from FILE (or - for stdin) reads kubectl get nodes -o json (or
-o yaml) and counts the nodes that run Felix: Linux nodes that are
neither virtual nodes (type=virtual-kubelet) nor exclusive-ENI nodes
(k8s.aliyun.com/exclusive-mode-eni-type=eniOnly). What was counted, and
each node left out and why, goes to stderr. size has no
--kube-version-from: its advice does not depend on the version.`,
		Example: `  # How many replicas for 1,000 nodes, and why
  typharender size --nodes 1000

  # Count the nodes that run Felix from kubectl (virtual, exclusive-ENI and
  # Windows nodes are left out, and listed on stderr)
  kubectl get nodes -o json | typharender size --nodes-from -

  # Is 3 replicas enough for 2,000 nodes?
  typharender size --nodes 2000 --replicas 3

  # Replicas from 100 to 3,000 nodes, every 100 nodes
  typharender size --table

  # Up to 10,000 nodes, every 1,000, as JSON
  typharender size --table --from 1000 --to 10000 --step 1000 -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return f.run(c, s)
		},
	}
	fl := c.Flags()
	f.failOn.register(c, "")
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000")
	fl.StringVar(&f.nodesFrom, "nodes-from", "", "count the nodes that run Felix in this file, or - for stdin: the output of kubectl get nodes -o json (or -o yaml); instead of --nodes")
	fl.Var(&intString{&f.replicas}, "replicas", "a replica count to check against the advice (default: the recommendation)")
	fl.BoolVar(&f.table, "table", false, "print replicas across a range of node counts")
	f.fromS, f.toS, f.stepS = "100", "3000", "100"
	fl.Var(&intString{&f.fromS}, "from", "with --table: the first node count")
	fl.Var(&intString{&f.toS}, "to", "with --table: the last node count")
	fl.Var(&intString{&f.stepS}, "step", "with --table: the step between node counts")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, yaml or json")
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion("text", "yaml", "json"))
	return c
}

func (f *sizeFlags) run(c *cobra.Command, s streams) error {
	if f.output != "text" && f.output != "yaml" && f.output != "json" {
		return usageError(c, fmt.Errorf("-o %q: want text, yaml or json", f.output))
	}
	changed := c.Flags().Changed
	if f.table {
		if changed("nodes") || changed("replicas") || changed("nodes-from") {
			return usageError(c, errors.New("--table with --nodes or --replicas: --table prints the recommendation for a range; give --from, --to and --step instead"))
		}
		return f.runTable(c, s)
	}
	for _, name := range []string{"from", "to", "step"} {
		if changed(name) {
			return usageError(c, fmt.Errorf("--%s without --table: it sets the range of the table", name))
		}
	}
	if changed("nodes") && changed("nodes-from") {
		return usageError(c, errors.New("--nodes and --nodes-from: give one of them"))
	}
	if changed("nodes-from") {
		count, err := readNodes(&input{stdin: s.In}, s.ErrOut, f.nodesFrom)
		if err != nil {
			return err
		}
		f.nodes = strconv.Itoa(count.Felix)
	} else if !changed("nodes") {
		return usageError(c, errors.New("--nodes is required: want the cluster's node count, 1 to 100000, or --nodes-from with kubectl get nodes -o json (or --table for a range)"))
	}
	nodes, err := strconv.Atoi(f.nodes)
	if err != nil {
		return usageError(c, fmt.Errorf("--nodes %q: want a whole number from %d to %d", f.nodes, sizing.MinNodes, sizing.MaxNodes))
	}
	replicas := 0
	if changed("replicas") {
		replicas, err = strconv.Atoi(f.replicas)
		if err != nil || replicas < 1 {
			return usageError(c, fmt.Errorf("--replicas %q: want a whole number, 1 or more", f.replicas))
		}
	}
	a, err := sizing.AdviseReplicas(nodes, replicas)
	if err != nil {
		return usageError(c, fmt.Errorf("--nodes %d: %w", nodes, err))
	}
	failOn, gate, err := f.failOn.severity(c)
	if err != nil {
		return err
	}
	if f.output == "text" {
		err = writeErr(writeAdvice(s, a))
	} else {
		err = writeData(s, f.output, adviceData(a))
	}
	if err != nil || !gate {
		return err
	}
	// The advice is the output, so it is written whole; --fail-on only sets
	// the exit code. Replicas not below the node count is what lint calls
	// an error (typha-replicas-not-below-nodes); every other warning is a
	// warning.
	switch {
	case sizing.TooManyReplicas(a.Nodes, a.Replicas):
		return failure(fmt.Errorf("replicas %d are not below the node count %d: an error (--fail-on %s)", a.Replicas, a.Nodes, failOn))
	case failOn <= finding.Warning && len(a.Warnings) > 0:
		return failure(fmt.Errorf("the advice has %s (--fail-on %s)", english.Count(len(a.Warnings), "warning"), failOn))
	}
	return nil
}

func writeAdvice(s streams, a sizing.Advice) error {
	w := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	typha := fmt.Sprintf("not needed (%d nodes or fewer: each Felix can watch the API server directly)", sizing.RecommendAbove)
	if a.UseTypha {
		typha = fmt.Sprintf("recommended (more than %d nodes)", sizing.RecommendAbove)
	}
	fmt.Fprintf(w, "nodes:\t%d\n", a.Nodes)
	fmt.Fprintf(w, "replicas:\t%d\n", a.Replicas)
	fmt.Fprintf(w, "recommended:\t%d (one per %d nodes, at least %d)\n", a.Recommended, sizing.NodesPerReplica, sizing.MinReplicas)
	fmt.Fprintf(w, "typha:\t%s\n", typha)
	fmt.Fprintf(w, "api watchers:\t%d without Typha (one Felix per node), %d with Typha (%d Felix per replica)\n", a.Load.WatchersWithoutTypha, a.Load.WatchersWithTypha, a.Load.FelixPerTypha)
	fmt.Fprintf(w, "reason:\t%s\n", a.Reason)
	if len(a.Warnings) == 0 {
		fmt.Fprintf(w, "warnings:\tnone\n")
	} else {
		fmt.Fprintf(w, "warnings:\n")
		for _, warning := range a.Warnings {
			fmt.Fprintf(w, "- %s\n", warning)
		}
	}
	return w.Flush()
}

// advice is sizing.Advice as size -o json and yaml print it.
type advice struct {
	Nodes                int      `json:"nodes"`
	Replicas             int      `json:"replicas"`
	Recommended          int      `json:"recommended"`
	Override             bool     `json:"override"`
	UseTypha             bool     `json:"useTypha"`
	WatchersWithoutTypha int      `json:"watchersWithoutTypha"`
	WatchersWithTypha    int      `json:"watchersWithTypha"`
	FelixPerTypha        int      `json:"felixPerTypha"`
	Reason               string   `json:"reason"`
	Warnings             []string `json:"warnings"`
}

func adviceData(a sizing.Advice) advice {
	warnings := a.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	return advice{
		Nodes: a.Nodes, Replicas: a.Replicas, Recommended: a.Recommended, Override: a.Override,
		UseTypha: a.UseTypha, WatchersWithoutTypha: a.Load.WatchersWithoutTypha,
		WatchersWithTypha: a.Load.WatchersWithTypha, FelixPerTypha: a.Load.FelixPerTypha,
		Reason: a.Reason, Warnings: warnings,
	}
}

func (f *sizeFlags) runTable(c *cobra.Command, s streams) error {
	for _, x := range []struct {
		name string
		text string
		p    *int
	}{{"from", f.fromS, &f.from}, {"to", f.toS, &f.to}, {"step", f.stepS, &f.step}} {
		n, err := strconv.Atoi(x.text)
		if err != nil {
			return usageError(c, fmt.Errorf("--%s %q: want a whole number", x.name, x.text))
		}
		*x.p = n
	}
	switch {
	case f.from < sizing.MinNodes || f.from > sizing.MaxNodes:
		return usageError(c, fmt.Errorf("--from %d: want a node count from %d to %d", f.from, sizing.MinNodes, sizing.MaxNodes))
	case f.to < f.from || f.to > sizing.MaxNodes:
		return usageError(c, fmt.Errorf("--to %d: want a node count from --from (%d) to %d", f.to, f.from, sizing.MaxNodes))
	case f.step < 1:
		return usageError(c, fmt.Errorf("--step %d: want 1 or more", f.step))
	case (f.to-f.from)/f.step+1 > maxTableRows:
		return usageError(c, fmt.Errorf("--step %d: the table from %d to %d would have %d rows; want at most %d (a larger --step)", f.step, f.from, f.to, (f.to-f.from)/f.step+1, maxTableRows))
	}
	var rows []advice
	for n := f.from; n <= f.to; n += f.step {
		a, err := sizing.Advise(n)
		if err != nil {
			return err // cannot happen: the range was checked
		}
		rows = append(rows, adviceData(a))
	}
	if f.output != "text" {
		return writeData(s, f.output, rows)
	}
	w := tabwriter.NewWriter(s.Out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "NODES\tREPLICAS\tTYPHA\tFELIX PER REPLICA")
	for _, r := range rows {
		typha := "not needed"
		if r.UseTypha {
			typha = "recommended"
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%d\n", r.Nodes, r.Replicas, typha, r.FelixPerTypha)
	}
	return writeErr(w.Flush())
}

// writeData writes v as indented JSON or as YAML.
func writeData(s streams, format string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return failure(err)
	}
	out := buf.Bytes()
	if format == "yaml" {
		var err error
		if out, err = yaml.JSONToYAML(out); err != nil {
			return failure(err)
		}
	}
	_, err := s.Out.Write(out)
	return writeErr(err)
}
