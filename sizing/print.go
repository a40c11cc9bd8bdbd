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

// MaxTableRows bounds [Table]: a typo in the step makes no million rows.
const MaxTableRows = 10_000

// Table returns the advice for node counts from from to to, step apart:
// from and to from MinNodes to MaxNodes, to not below from, step 1 or
// more, and at most MaxTableRows rows, or a *[TableError] saying which
// does not hold.
func Table(from, to, step int) ([]Advice, error) {
	switch e := (&TableError{From: from, To: to, Step: step}); {
	case from < MinNodes || from > MaxNodes:
		e.Param = "from"
		return nil, e
	case to < from || to > MaxNodes:
		e.Param = "to"
		return nil, e
	case step < 1 || (to-from)/step+1 > MaxTableRows:
		e.Param = "step"
		return nil, e
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

// TableError is [Table]'s error for a range it does not accept.
type TableError struct {
	Param          string // the one at fault: "from", "to" or "step"
	From, To, Step int
}

func (e *TableError) Error() string { return e.Explain(func(p string) string { return p }) }

// Explain words e with name naming each parameter, as a caller names
// them (a CLI by its flags: "--from").
func (e *TableError) Explain(name func(param string) string) string {
	switch {
	case e.Param == "from":
		return fmt.Sprintf("%s %d: want a node count from %d to %d", name("from"), e.From, MinNodes, MaxNodes)
	case e.Param == "to":
		return fmt.Sprintf("%s %d: want a node count from %s (%d) to %d", name("to"), e.To, name("from"), e.From, MaxNodes)
	case e.Step < 1:
		return fmt.Sprintf("%s %d: want 1 or more", name("step"), e.Step)
	}
	return fmt.Sprintf("%s %d: the table from %d to %d would have %d rows; want at most %d (a larger %s)",
		name("step"), e.Step, e.From, e.To, (e.To-e.From)/e.Step+1, MaxTableRows, name("step"))
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
