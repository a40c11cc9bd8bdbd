package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
)

// failOnFlag is --fail-on on render, plan, size and lint, with one
// meaning: the command exits 1 when a warning or finding it reports is at
// or above the severity, a warning of its own counting as a warning.
// What the command writes then is its own: render and plan write nothing
// (their output would be applied), size and lint write their report.
// Only the default differs: lint fails on errors unless told otherwise,
// the others never fail on their own findings.
type failOnFlag struct{ value string }

// failOnUsage is --fail-on's help, the same on every command.
const failOnUsage = "exit 1 when a warning or finding the command reports is at or above this severity: warning (warnings and errors) or error (errors only); the command's own warnings count as warnings"

func (f *failOnFlag) register(c *cobra.Command, def string) {
	c.Flags().StringVar(&f.value, "fail-on", def, failOnUsage)
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion("warning", "error"))
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

// warnAll writes findings to stderr, one line each, as
// finding.Finding.Warning formats them.
func warnAll(s streams, findings []finding.Finding) {
	for _, f := range findings {
		fmt.Fprintln(s.ErrOut, f.Warning())
	}
}
