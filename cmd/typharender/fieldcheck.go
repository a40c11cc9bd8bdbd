package main

import (
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
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
func (f *failOnFlag) severity(c *cobra.Command) (lint.Severity, bool, error) {
	if f.value == "" {
		return 0, false, nil
	}
	sev, err := lint.ParseSeverity(f.value)
	if err != nil || sev == lint.Info {
		return 0, false, usageError(c, fmt.Errorf("--fail-on %q: want warning or error", f.value))
	}
	return sev, true, nil
}

// coveredBySizing are the rules whose finding render already states as a
// warning of its own, from the same sizing functions: printed once.
func coveredBySizing(rule string) bool {
	return rule == lint.RuleReplicasBelowRecommended || rule == lint.RuleReplicasNotBelowNodes
}

// fieldFindings runs lint's rules over a rendering (and the cluster's
// eni-config, when given) and returns the findings a person should read:
// warnings and errors, less those render's own warnings already say.
func fieldFindings(o render.Options, rendered []byte, eni *corev1.ConfigMap) (shown []lint.Finding, report *lint.Report, err error) {
	report, err = lint.CheckRenderedYAML(o, rendered, eni)
	if err != nil {
		return nil, nil, failure(fmt.Errorf("checking the rendering: %w", err))
	}
	return shownFindings(report), report, nil
}

// shownFindings are a report's warnings and errors, less those render's
// own warnings already say.
func shownFindings(report *lint.Report) []lint.Finding {
	var shown []lint.Finding
	for _, f := range report.Findings {
		if f.Severity >= lint.Warning && !coveredBySizing(f.Rule) {
			shown = append(shown, f)
		}
	}
	return shown
}

// warnFindings writes findings to stderr as warnings, with their rule ID:
// "Warning: [ID] message", and "Warning: [ID] (error) message" for a
// finding lint counts as an error.
func warnFindings(s streams, prefix string, findings []lint.Finding) {
	for _, f := range findings {
		sev := ""
		if f.Severity != lint.Warning {
			sev = "(" + f.Severity.String() + ") "
		}
		fmt.Fprintf(s.ErrOut, "Warning: %s[%s] %s%s\n", prefix, f.Rule, sev, f.Message)
	}
}

// failsOn reports whether render's own warnings or lint's findings reach
// sev: render's warnings count as warnings, findings by their severity.
func failsOn(sev lint.Severity, warnings []string, report *lint.Report) bool {
	return (sev <= lint.Warning && len(warnings) > 0) || (report != nil && report.Fails(sev))
}
