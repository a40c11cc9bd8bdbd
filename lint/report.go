package lint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Facts are what lint knows about the target cluster. Each is optional:
// the zero value means unknown, and the rules that need it are skipped
// (and listed in [Report.Skipped]).
type Facts struct {
	Nodes       int    // the cluster's node count; 0: unknown
	KubeVersion string // as the cluster reports it, such as "v1.30.7-aliyun.1"; "": unknown
	Region      string // the cluster's Alibaba Cloud region ID, such as "cn-hangzhou"; "": unknown
	// Terway says the cluster runs Terway, so Felix finds Typha through
	// eni-config's felix_relay_service; false: unknown, unless an
	// eni-config among the inputs shows it.
	Terway bool
}

// ErrFacts is wrapped by the error [Facts.Validate] returns.
var ErrFacts = errors.New("invalid cluster fact")

// Validate reports every fact that is given but invalid, with the same
// checks render applies to its options.
func (f Facts) Validate() error {
	_, err := f.Resolve()
	return err
}

// Resolve checks f and returns the facts the rules take: every fact
// given must be valid as [CheckFact] says; the error names each that is
// not, wrapping [ErrFacts].
func (f Facts) Resolve() (rules.Facts, error) {
	var (
		r    rules.Facts
		errs []error
	)
	if f.Nodes != 0 {
		if err := CheckFact(rules.FactNodes, strconv.Itoa(f.Nodes)); err != nil {
			errs = append(errs, fmt.Errorf("%w: nodes: %w", ErrFacts, err))
		} else {
			r.Nodes = f.Nodes
		}
	}
	if f.KubeVersion != "" {
		if v, err := versioning.Parse(f.KubeVersion); err != nil {
			errs = append(errs, fmt.Errorf("%w: kube version: %w", ErrFacts, err))
		} else {
			r.KubeVersion = v
		}
	}
	if f.Region != "" {
		if err := CheckFact(rules.FactRegion, f.Region); err != nil {
			errs = append(errs, fmt.Errorf("%w: region: %w", ErrFacts, err))
		} else {
			r.Region = strings.TrimSpace(f.Region) // CheckRegion ignores surrounding white space
		}
	}
	r.Terway = f.Terway
	return r, errors.Join(errs...)
}

// CheckFact returns what is wrong with value, given for the single fact f,
// as [Facts.Resolve] checks it, or nil: a node count from sizing.MinNodes
// to sizing.MaxNodes (0 included: given, it is not "unknown"), a
// Kubernetes version versioning.Parse reads, a region ID
// terway.CheckRegion accepts. The Terway fact is a boolean and always
// valid. A caller that reads the facts from a file of its own (the KRM
// function's TyphaLint spec) checks each with it.
func CheckFact(f rules.Fact, value string) error {
	switch f {
	case rules.FactNodes:
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%q: want a whole number from %d to %d", value, sizing.MinNodes, sizing.MaxNodes)
		}
		return sizing.CheckNodes(n)
	case rules.FactKubeVersion:
		_, err := versioning.Parse(value)
		return err
	case rules.FactRegion:
		_, err := terway.CheckRegion(value)
		return err
	}
	return nil
}

// Report is the result of [Lint].
type Report struct {
	Findings []finding.Finding `json:"findings"` // sorted by file, line, rule and message
	Skipped  []rules.Skip      `json:"skipped"`  // rules that could not run, in rule order
	Objects  int               `json:"objects"`  // how many objects were linted
}

// Count returns the number of findings of severity s.
func (r *Report) Count(s finding.Severity) int { return finding.Count(r.Findings, s) }

// Fails reports whether any finding is at or above threshold.
func (r *Report) Fails(threshold finding.Severity) bool { return finding.Fails(r.Findings, threshold) }

// Summary is one line for people: "2 errors, 1 warning, 0 info in 5 objects".
func (r *Report) Summary() string {
	return fmt.Sprintf("%s, %s, %d info in %s", english.Count(r.Count(finding.Error), "error"), english.Count(r.Count(finding.Warning), "warning"),
		r.Count(finding.Info), english.Count(r.Objects, "object"))
}

// SkipReason words why sk was skipped with name naming each fact it
// needed, as a caller names them (a CLI by its flags: "--kube-version"):
// "needs --kube-version: " and the rule's Why. A rule skipped for want of
// an object keeps its reason.
func SkipReason(sk rules.Skip, name func(rules.Fact) string) string {
	if sk.Needs == 0 {
		return sk.Reason
	}
	var names []string
	for _, f := range sk.Needs.Each() {
		names = append(names, name(f))
	}
	return "needs " + strings.Join(names, " and ") + ": " + sk.Why
}

// SkipSummary says once which rules were skipped, grouped by what would
// run them, each fact named by name: "lint: skipped 3 rules that need
// --kube-version: a, b, c".
func SkipSummary(skipped []rules.Skip, name func(rules.Fact) string) []string {
	var order []string
	ids := map[string][]string{}
	for _, sk := range skipped {
		needs, _, _ := strings.Cut(SkipReason(sk, name), ": ")
		if _, ok := ids[needs]; !ok {
			order = append(order, needs)
		}
		ids[needs] = append(ids[needs], sk.Rule)
	}
	lines := make([]string, 0, len(order))
	for _, needs := range order {
		verb := "need"
		if len(ids[needs]) == 1 {
			verb = "needs"
		}
		lines = append(lines, fmt.Sprintf("lint: skipped %s that %s %s: %s", english.Count(len(ids[needs]), "rule"), verb, strings.TrimPrefix(needs, "needs "), strings.Join(ids[needs], ", ")))
	}
	return lines
}

// ErrCannotLint is wrapped by [Unreadable]'s error.
var ErrCannotLint = errors.New("cannot lint")

// Unreadable is the error for inputs [ReadAll] could not read, as lint
// prints it: "cannot lint: " and, for several, each on a line of its own,
// indented.
func Unreadable(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		msg = "\n  " + strings.ReplaceAll(msg, "\n", "\n  ")
	}
	return &unreadable{msg: ErrCannotLint.Error() + ": " + msg, err: err}
}

type unreadable struct {
	msg string
	err error
}

func (e *unreadable) Error() string        { return e.msg }
func (e *unreadable) Unwrap() error        { return e.err }
func (e *unreadable) Is(target error) bool { return target == ErrCannotLint }

// Tally is one line on a run, for a person: "Linted 3 clusters, 15 files,
// 40 objects: 0 errors, 2 warnings, 3 info (1.2s)"; clusters is 0 outside
// a fleet, when the line leaves them out.
func (r *Report) Tally(clusters, files int, took time.Duration) string {
	what := english.Count(files, "file") + ", " + english.Count(r.Objects, "object")
	if clusters > 0 {
		what = english.Count(clusters, "cluster") + ", " + what
	}
	return fmt.Sprintf("Linted %s: %s, %s, %d info (%s)", what, english.Count(r.Count(finding.Error), "error"),
		english.Count(r.Count(finding.Warning), "warning"), r.Count(finding.Info), took.Round(time.Millisecond))
}
