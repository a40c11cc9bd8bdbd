package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/sizing"
)

type sizeFlags struct {
	valueFlags        // --nodes and --nodes-from
	replicas, output  string
	fromS, toS, stepS string // --from, --to and --step as given
	table             bool
	failOn            failOnFlag
}

func newSizeCmd(s streams) *cobra.Command {
	f := &sizeFlags{fromS: "100", toS: "3000", stepS: "100"}
	c := &cobra.Command{Use: "size (--nodes N [--replicas R] | --table [--from N --to N --step N])", Short: "Explain how many Typha replicas a cluster needs",
		Args: noArgs, RunE: func(c *cobra.Command, _ []string) error { return f.run(c, s) }}
	fl := c.Flags()
	f.failOn.register(c, "")
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000")
	f.registerFrom(c, false)
	fl.Var(&intString{&f.replicas}, "replicas", "a replica count to check against the advice (default: the recommendation)")
	fl.BoolVar(&f.table, "table", false, "print replicas across a range of node counts")
	fl.Var(&intString{&f.fromS}, "from", "with --table: the first node count")
	fl.Var(&intString{&f.toS}, "to", "with --table: the last node count")
	fl.Var(&intString{&f.stepS}, "step", "with --table: the step between node counts")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text, yaml or json")
	completions(c, map[string][]string{"output": {"text", "yaml", "json"}})
	return c
}

func (f *sizeFlags) run(c *cobra.Command, s streams) error {
	changed := c.Flags().Changed
	switch set := given(c, "from", "to", "step"); {
	case oneOf(c, "-o", f.output, "text", "yaml", "json") != nil:
		return oneOf(c, "-o", f.output, "text", "yaml", "json")
	case f.table && len(given(c, "nodes", "replicas", "nodes-from")) > 0:
		return usageError(c, errors.New("--table with --nodes or --replicas: --table prints the recommendation for a range; give --from, --to and --step instead"))
	case f.table:
		return f.runTable(c, s)
	case len(set) > 0:
		return usageError(c, fmt.Errorf("%s without --table: it sets the range of the table", set[0]))
	case !changed("nodes") && !changed("nodes-from"):
		return usageError(c, errors.New("--nodes is required: want the cluster's node count, 1 to 100000, or --nodes-from with kubectl get nodes -o json (or --table for a range)"))
	}
	if err := f.readFacts(c, newInput(s)); err != nil {
		return err
	}
	nodes, err := strconv.Atoi(f.nodes)
	if err != nil {
		return usageError(c, fmt.Errorf("--nodes %q: want a whole number from %d to %d", f.nodes, sizing.MinNodes, sizing.MaxNodes))
	}
	replicas := 0
	if changed("replicas") {
		if replicas, err = strconv.Atoi(f.replicas); err != nil || replicas < 1 {
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
		err = writeErr(a.WriteText(s.Out))
	} else {
		err = writeData(s, f.output, a)
	}
	// The advice is the output, written whole; --fail-on sets the exit code.
	if err == nil && gate {
		if err = a.Check(failOn); err != nil {
			err = failure(fmt.Errorf("%w (--fail-on %s)", err, failOn))
		}
	}
	return err
}

func (f *sizeFlags) runTable(c *cobra.Command, s streams) error {
	var n [3]int // from, to, step
	for i, x := range [][2]string{{"from", f.fromS}, {"to", f.toS}, {"step", f.stepS}} {
		var err error
		if n[i], err = strconv.Atoi(x[1]); err != nil {
			return usageError(c, fmt.Errorf("--%s %q: want a whole number", x[0], x[1]))
		}
	}
	rows, err := sizing.Table(n[0], n[1], n[2])
	var bad *sizing.TableError
	switch {
	case errors.As(err, &bad):
		return usageError(c, errors.New(bad.Explain(func(p string) string { return "--" + p })))
	case err != nil:
		return err
	case f.output != "text":
		return writeData(s, f.output, rows)
	default:
		return writeErr(sizing.WriteTable(s.Out, rows))
	}
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
	out, err := buf.Bytes(), error(nil)
	if format == "yaml" {
		if out, err = yaml.JSONToYAML(out); err != nil {
			return failure(err)
		}
	}
	_, err = s.Out.Write(out)
	return writeErr(err)
}
