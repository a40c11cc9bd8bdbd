// Package finding is the one kind of finding typharender reports: what
// render warns about in its output, what lint's rules find in manifests,
// what a rollout plan and a fleet say of each cluster. Each is a
// [Finding]: the rule that found it and its severity, the object and field
// it is about, the file and line when the object was read from a file,
// the message and the fix. The model is kustomize's kyaml
// framework.Result, with its ResourceRef, Field and File.
//
// Every command of the CLI prints findings with the methods here, so what
// a Go caller gets is what the CLI prints: [Finding.Warning] for render,
// plan and eni-config on stderr, [Finding.String] for lint's text output.
package finding

import (
	"errors"
	"fmt"
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

// Ref names the Kubernetes object a finding is about, as kyaml's
// ResourceRef does.
type Ref struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"` // "" for a cluster-scoped object, or one applied with -n
	Name       string `json:"name,omitempty"`      // "" when the object has no name
}

// String names the object for messages: "Deployment
// kube-system/calico-typha", "ConfigMap (unnamed)"; "" for the zero Ref.
func (r Ref) String() string {
	if r == (Ref{}) {
		return ""
	}
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + name
	}
	return r.Kind + " " + name
}

// Finding is one thing typharender reports about one object.
type Finding struct {
	// Rule is the stable ID of the rule that found it, such as
	// "pdb-api-not-served" (package rules lists them); "" for a warning
	// render makes of its own about the options (replicas, region,
	// Kubernetes version, a claim that lifts nothing) or an eni-config
	// edit makes about its consequences, which no rule states.
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Cluster is the fleet entry the finding is about; "" outside a fleet.
	Cluster string `json:"cluster,omitempty"`
	// Object is the object the finding is about; zero for a warning about
	// the options as a whole.
	Object Ref `json:"object"`
	// Field is the path of the field at fault, such as
	// "spec.template.spec.containers[0].image" or
	// "metadata.annotations[typharender.github.io/vouch]"; "" for the
	// object as a whole.
	Field string `json:"field,omitempty"`
	// File and Line say where the object was read: the path as given (or
	// "<stdin>") and the 1-based line of the field, or of the object. ""
	// and 0 for an object in memory, such as one render built.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Message says what is wrong, why it matters and the fix for this
	// object, in one sentence that starts with the object's name.
	Message string `json:"message"`
	// Fix is how to fix such a finding in general: the rule's Fix; "" for
	// a finding without a rule.
	Fix string `json:"fix,omitempty"`
}

// Text is the message as every format prints it: in a fleet, after
// "cluster NAME: ".
func (f Finding) Text() string {
	if f.Cluster != "" {
		return "cluster " + f.Cluster + ": " + f.Message
	}
	return f.Message
}

// String formats f as lint's text output does: "file:line: severity [ID]
// message".
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s [%s] %s", f.File, f.Line, f.Severity, f.Rule, f.Text())
}

// Warning formats f as render, plan and eni-config print it on stderr,
// one line as kubectl prints a warning: "Warning: [ID] message" for a
// rule's warning, "Warning: [ID] (error) message" for a rule's error,
// "Warning: message" for a finding without a rule; in a fleet, "cluster
// NAME: " follows "Warning: ".
func (f Finding) Warning() string {
	line := "Warning: "
	if f.Cluster != "" {
		line += "cluster " + f.Cluster + ": "
	}
	if f.Rule != "" {
		line += "[" + f.Rule + "] "
		if f.Severity != Warning {
			line += "(" + f.Severity.String() + ") "
		}
	}
	return line + f.Message
}

// Fails reports whether any of findings is at or above threshold.
func Fails(findings []Finding, threshold Severity) bool {
	for _, f := range findings {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// Count returns the number of findings of severity s.
func Count(findings []Finding, s Severity) int {
	n := 0
	for _, f := range findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}
