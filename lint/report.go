package lint

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Severity ranks a finding. The zero value is Info.
type Severity int

const (
	// Info is worth knowing; it never fails a build by itself.
	Info Severity = iota
	// Warning is likely wrong or fragile: deprecated, undersized, unused.
	Warning
	// Error breaks Typha, Felix or the apply.
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText writes the severity's name, for JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name, so JSON output reads back.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ErrSeverity is wrapped by the error [ParseSeverity] returns.
var ErrSeverity = errors.New("unknown severity")

// ParseSeverity returns the Severity named s: "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	for _, sev := range []Severity{Error, Warning, Info} {
		if s == sev.String() {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("%w %q: want error, warning or info", ErrSeverity, s)
}

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
	_, err := f.resolve()
	return err
}

type facts struct {
	known   Fact // the facts given
	nodes   int
	version versioning.Version
	region  string
}

func (f Facts) resolve() (facts, error) {
	var (
		r    facts
		errs []error
	)
	if f.Nodes != 0 {
		if err := sizing.CheckNodes(f.Nodes); err != nil {
			errs = append(errs, fmt.Errorf("%w: nodes: %w", ErrFacts, err))
		} else {
			r.nodes, r.known = f.Nodes, r.known|FactNodes
		}
	}
	if f.KubeVersion != "" {
		if v, err := versioning.Parse(f.KubeVersion); err != nil {
			errs = append(errs, fmt.Errorf("%w: kube version: %w", ErrFacts, err))
		} else {
			r.version, r.known = v, r.known|FactKubeVersion
		}
	}
	if f.Region != "" {
		if _, err := terway.CheckRegion(f.Region); err != nil {
			errs = append(errs, fmt.Errorf("%w: region: %w", ErrFacts, err))
		} else {
			r.region, r.known = strings.TrimSpace(f.Region), r.known|FactRegion // CheckRegion ignores surrounding white space
		}
	}
	if f.Terway {
		r.known |= FactTerway
	}
	return r, errors.Join(errs...)
}

// Finding is one problem in one object.
type Finding struct {
	Rule     string   `json:"rule"`     // the rule's stable ID, such as "pdb-api-not-served"
	Severity Severity `json:"severity"` // the rule's severity
	File     string   `json:"file"`     // the path as given, or StdinName
	Line     int      `json:"line"`     // 1-based line of the field at fault, or of the object
	Object   string   `json:"object"`   // "Kind namespace/name"
	Message  string   `json:"message"`  // what is wrong, why it matters, and the fix
}

// String formats f as the text output does: "file:line: severity [ID] message".
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s [%s] %s", f.File, f.Line, f.Severity, f.Rule, f.Message)
}

// Skip is a rule that did not run, and why.
type Skip struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"` // "needs Facts.Nodes: " or "needs <the inputs it missed>: ", then Why

	// Needs is the facts the rule needed and was not given; 0 when what
	// was missing was among the inputs, such as the Typha Deployment a
	// Service's selector is compared with. A caller that names the facts
	// otherwise (a CLI by its flags) rewrites Reason from Needs and Why.
	Needs Fact `json:"-"`
	// Why is what the rule needed it for: the end of Reason.
	Why string `json:"-"`
}

// Report is the result of [Lint].
type Report struct {
	Findings []Finding `json:"findings"` // sorted by file, line, rule and message
	Skipped  []Skip    `json:"skipped"`  // rules that could not run, in rule order
	Objects  int       `json:"objects"`  // how many objects were linted
}

// Count returns the number of findings of severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Fails reports whether any finding is at or above threshold.
func (r *Report) Fails(threshold Severity) bool {
	for _, f := range r.Findings {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// Summary is one line for people: "2 errors, 1 warning, 0 info in 5 objects".
func (r *Report) Summary() string {
	return fmt.Sprintf("%s, %s, %d info in %s", english.Count(r.Count(Error), "error"), english.Count(r.Count(Warning), "warning"),
		r.Count(Info), english.Count(r.Objects, "object"))
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		switch {
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}
