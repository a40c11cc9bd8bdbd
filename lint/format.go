package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/buildinfo"
	"github.com/typharender/typharender/rules"
)

// Format is an output format for [Write].
type Format string

const (
	// FormatText is one line per finding: "file:line: severity [ID] message".
	FormatText Format = "text"
	// FormatJSON is the report as one JSON object.
	FormatJSON Format = "json"
	// FormatGitHub is GitHub Actions workflow commands, one per finding:
	// "::error file=F,line=L,title=ID::message", shown as annotations.
	FormatGitHub Format = "github"
	// FormatSARIF is a SARIF 2.1.0 log, for code scanning.
	FormatSARIF Format = "sarif"
)

// Formats returns the formats [Write] accepts, in the order help lists them.
func Formats() []Format { return []Format{FormatText, FormatJSON, FormatGitHub, FormatSARIF} }

// ErrFormat is wrapped by the error [ParseFormat] returns.
var ErrFormat = errors.New("unknown output format")

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q: want text, json, github or sarif", ErrFormat, s)
}

// Write writes r to w in format f. The same report always gives the same
// bytes.
func Write(w io.Writer, f Format, r *Report) error {
	var buf bytes.Buffer
	switch f {
	case FormatText:
		for _, fd := range r.Findings {
			buf.WriteString(oneLine(fd.String()))
			buf.WriteByte('\n')
		}
	case FormatJSON:
		if err := writeJSON(&buf, r); err != nil {
			return err
		}
	case FormatGitHub:
		for _, fd := range r.Findings {
			buf.WriteString(githubCommand(fd))
			buf.WriteByte('\n')
		}
	case FormatSARIF:
		if err := writeSARIF(&buf, r); err != nil {
			return err
		}
	default:
		_, err := ParseFormat(string(f))
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// oneLine keeps a text finding on one line whatever the message holds
// (a value quoted from a manifest is already %q-escaped; this is a guard).
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// jsonFinding is a finding as -o json writes it: the object by name, the
// message as the text format has it.
type jsonFinding struct {
	Rule     string           `json:"rule"`
	Severity finding.Severity `json:"severity"`
	File     string           `json:"file"`
	Line     int              `json:"line"`
	Object   string           `json:"object"` // "Kind namespace/name"
	Message  string           `json:"message"`
}

func writeJSON(buf *bytes.Buffer, r *Report) error {
	out := struct {
		Findings []jsonFinding  `json:"findings"`
		Skipped  []rules.Skip   `json:"skipped"`
		Objects  int            `json:"objects"`
		Summary  map[string]int `json:"summary"`
	}{
		// Never null, even for a Report built by hand.
		Findings: []jsonFinding{}, Skipped: append([]rules.Skip{}, r.Skipped...), Objects: r.Objects,
		Summary: map[string]int{"error": r.Count(finding.Error), "warning": r.Count(finding.Warning), "info": r.Count(finding.Info)},
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{Rule: f.Rule, Severity: f.Severity, File: f.File, Line: f.Line, Object: f.Object.String(), Message: f.Text()})
	}
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// githubCommand formats fd as a workflow command. GitHub's escaping: the
// message escapes %, \r and \n; property values also escape : and ,.
func githubCommand(fd finding.Finding) string {
	level := map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Info: "notice"}[fd.Severity]
	return fmt.Sprintf("::%s file=%s,line=%d,title=%s::%s", level,
		githubProperty(fd.File), fd.Line, githubProperty(fd.Rule), githubData(fd.Text()))
}

func githubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func githubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// SARIFSchema is the $schema URI of the logs Write produces.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version"`
	Rules   []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	ShortDescription     sarifText        `json:"shortDescription"`
	FullDescription      sarifText        `json:"fullDescription"`
	Help                 sarifText        `json:"help"`
	DefaultConfiguration sarifRuleDefault `json:"defaultConfiguration"`
}

type sarifRuleDefault struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level      string         `json:"level"`
	Message    sarifText      `json:"message"`
	Descriptor sarifReference `json:"associatedRule"`
}

type sarifReference struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func sarifLevel(s finding.Severity) string {
	return map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Info: "note"}[s]
}

// sarifURI turns a path into a relative URI reference with forward
// slashes, escaped ("<stdin>" becomes "%3Cstdin%3E").
func sarifURI(path string) string {
	return (&url.URL{Path: filepath.ToSlash(path)}).String()
}

func writeSARIF(buf *bytes.Buffer, r *Report) error {
	all := rules.Rules()
	index := make(map[string]int, len(all))
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "typharender", Version: buildinfo.Version()}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true, Notifications: []sarifNotification{}}},
		Results:     []sarifResult{},
	}
	for i, rule := range all {
		index[rule.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   rule.ID,
			ShortDescription:     sarifText{Text: rule.Checks},
			FullDescription:      sarifText{Text: rule.Checks + ". Why: " + rule.Why + "."},
			Help:                 sarifText{Text: "Fix: " + rule.Fix + "."},
			DefaultConfiguration: sarifRuleDefault{Level: sarifLevel(rule.Severity)},
		})
	}
	for _, s := range r.Skipped {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications, sarifNotification{
			Level: "note", Message: sarifText{Text: "skipped " + s.Rule + ": " + s.Reason},
			Descriptor: sarifReference{ID: s.Rule, Index: index[s.Rule]},
		})
	}
	for _, fd := range r.Findings {
		idx, ok := index[fd.Rule]
		if !ok {
			return fmt.Errorf("finding for unknown rule %q", fd.Rule)
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: fd.Rule, RuleIndex: idx, Level: sarifLevel(fd.Severity), Message: sarifText{Text: fd.Text()},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(fd.File)},
				Region:           sarifRegion{StartLine: max(fd.Line, 1)},
			}}},
		})
	}
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
