package rollout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the plan as a person reads it, and typharender plan
// prints it: "# Rollout plan: SUMMARY" ("# Rollback plan" for a
// rollback), then each step, numbered from 1, with its commands (a gate's
// script indented line by line, so it pastes into bash as it is) and its
// notes as comments; the undo path under a heading of its own. Findings
// are not written: they are the caller's to print (finding.Finding.Warning).
func (r *Result) WriteText(w io.Writer) error {
	heading := "Rollout plan"
	if r.Rollback {
		heading = "Rollback plan"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: %s\n", heading, r.Summary)
	undo := false
	for i, step := range r.Steps {
		if step.Undo && !undo {
			undo = true
			fmt.Fprintf(&b, "\n# Undo path: run these steps only after a gate says STOP, from the step it names to the end.\n")
		}
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, step.Title)
		for _, cmd := range step.Commands {
			fmt.Fprintf(&b, "   %s\n", strings.ReplaceAll(cmd, "\n", "\n   "))
		}
		for _, n := range step.Notes {
			fmt.Fprintf(&b, "   # %s\n", n)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// MarshalJSON writes the plan as data, as typharender plan -o json prints
// it: mode ("rollback" for a rollback, with from, the mode undone),
// summary, steps (title, commands, notes, target, gate and undo), the
// findings without a rule as warnings (their messages) and the rules'
// findings as findings (rule, severity, message). Lists are [] when
// empty, never null.
func (r *Result) MarshalJSON() ([]byte, error) {
	type gateData struct {
		Name           string `json:"name"`
		Pass           string `json:"pass"`     // the last stdout line starts with it (exit 0): go on
		Stop           string `json:"stop"`     // the last stdout line starts with it (exit 1): stop
		UndoFrom       int    `json:"undoFrom"` // the step the undo path starts at; 0: nothing to undo
		TimeoutSeconds int    `json:"timeoutSeconds"`
	}
	type stepData struct {
		Title    string    `json:"title"`
		Commands []string  `json:"commands"`
		Notes    []string  `json:"notes"`
		Target   string    `json:"target,omitempty"`
		Gate     *gateData `json:"gate,omitempty"`
		Undo     bool      `json:"undo,omitempty"`
	}
	type findingData struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	}
	out := struct {
		Mode     string        `json:"mode"`
		From     string        `json:"from,omitempty"`
		Summary  string        `json:"summary"`
		Steps    []stepData    `json:"steps"`
		Warnings []string      `json:"warnings"`
		Findings []findingData `json:"findings"`
	}{Mode: string(r.Mode), Summary: r.Summary, Warnings: []string{}, Findings: []findingData{}}
	if r.Rollback {
		out.Mode, out.From = "rollback", string(r.Mode)
	}
	for _, f := range r.Findings {
		if f.Rule == "" {
			out.Warnings = append(out.Warnings, f.Message)
		} else {
			out.Findings = append(out.Findings, findingData{Rule: f.Rule, Severity: f.Severity.String(), Message: f.Message})
		}
	}
	for _, s := range r.Steps {
		sd := stepData{Title: s.Title, Commands: append([]string{}, s.Commands...), Notes: append([]string{}, s.Notes...), Target: string(s.Target), Undo: s.Undo}
		if g := s.Gate; g != nil {
			sd.Gate = &gateData{Name: string(g.Name), Pass: GatePass, Stop: GateStop, UndoFrom: g.UndoFrom, TimeoutSeconds: int(g.Timeout / time.Second)}
		}
		out.Steps = append(out.Steps, sd)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // commands hold > and &
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
