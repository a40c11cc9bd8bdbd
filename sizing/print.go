package sizing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
)

// WriteText writes a as a person reads it, and typharender size prints
// it: one "key: value" line each, aligned, the warnings last.
func (a Advice) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	typha := fmt.Sprintf("not needed (%d nodes or fewer: each Felix can watch the API server directly)", RecommendAbove)
	if a.UseTypha {
		typha = fmt.Sprintf("recommended (more than %d nodes)", RecommendAbove)
	}
	fmt.Fprintf(tw, "nodes:\t%d\n", a.Nodes)
	fmt.Fprintf(tw, "replicas:\t%d\n", a.Replicas)
	fmt.Fprintf(tw, "recommended:\t%d (one per %d nodes, at least %d)\n", a.Recommended, NodesPerReplica, MinReplicas)
	fmt.Fprintf(tw, "typha:\t%s\n", typha)
	fmt.Fprintf(tw, "api watchers:\t%d without Typha (one Felix per node), %d with Typha (%d Felix per replica)\n", a.Load.WatchersWithoutTypha, a.Load.WatchersWithTypha, a.Load.FelixPerTypha)
	fmt.Fprintf(tw, "reason:\t%s\n", a.Reason)
	if len(a.Warnings) == 0 {
		fmt.Fprintf(tw, "warnings:\tnone\n")
	} else {
		fmt.Fprintf(tw, "warnings:\n")
		for _, warning := range a.Warnings {
			fmt.Fprintf(tw, "- %s\n", warning)
		}
	}
	return tw.Flush()
}

// MarshalJSON writes a as typharender size -o json prints it: nodes,
// replicas, recommended, override, useTypha, the load's three counts and
// reason, and warnings ([] when there are none).
func (a Advice) MarshalJSON() ([]byte, error) {
	warnings := a.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
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
	}{a.Nodes, a.Replicas, a.Recommended, a.Override, a.UseTypha, a.Load.WatchersWithoutTypha, a.Load.WatchersWithTypha, a.Load.FelixPerTypha, a.Reason, warnings})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// Table returns the advice for node counts from from to to, step apart,
// each count must be one [CheckNodes] accepts.
func Table(from, to, step int) ([]Advice, error) {
	if step < 1 {
		return nil, fmt.Errorf("step %d: want 1 or more", step)
	}
	var rows []Advice
	for n := from; n <= to; n += step {
		a, err := Advise(n)
		if err != nil {
			return nil, err
		}
		rows = append(rows, a)
	}
	return rows, nil
}

// WriteTable writes rows as typharender size --table prints them: nodes,
// replicas, whether Typha is recommended, and Felix agents per replica.
func WriteTable(w io.Writer, rows []Advice) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NODES\tREPLICAS\tTYPHA\tFELIX PER REPLICA")
	for _, r := range rows {
		typha := "not needed"
		if r.UseTypha {
			typha = "recommended"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\n", r.Nodes, r.Replicas, typha, r.Load.FelixPerTypha)
	}
	return tw.Flush()
}

// Check says whether the advice reaches threshold, as --fail-on judges a
// command's own warnings: replicas not below the node count is an error
// (lint's typha-replicas-not-below-nodes), every other warning a
// warning. The error says which; nil when nothing reaches threshold.
func (a Advice) Check(threshold finding.Severity) error {
	switch {
	case TooManyReplicas(a.Nodes, a.Replicas):
		return fmt.Errorf("replicas %d are not below the node count %d: an error", a.Replicas, a.Nodes)
	case threshold <= finding.Warning && len(a.Warnings) > 0:
		return fmt.Errorf("the advice has %s", english.Count(len(a.Warnings), "warning"))
	}
	return nil
}
