package lint_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// formatCases are the reports every format is checked on: one with
// findings of each severity and a skipped rule, and a clean one.
func formatCases(t *testing.T) map[string]*lint.Report {
	t.Helper()
	return map[string]*lint.Report{
		"findings": mustLint(t, fixtures("eni-False.yaml", "eni-zero.yaml", "typha.yaml", "pdb-v1beta1.yaml"), lint.Facts{Nodes: 1000, Region: "cn-hangzhou"}),
		"clean":    mustLint(t, fixtures("typha.yaml", "eni-typha.yaml"), full),
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	ext := map[lint.Format]string{lint.FormatText: "txt", lint.FormatJSON: "json", lint.FormatGitHub: "github.txt", lint.FormatSARIF: "sarif.json"}
	for name, r := range formatCases(t) {
		for _, f := range lint.Formats() {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				var a, b bytes.Buffer
				require.NoError(t, lint.Write(&a, f, r))
				require.NoError(t, lint.Write(&b, f, r))
				assert.Equal(t, a.String(), b.String(), "output is deterministic")
				golden.Check(t, filepath.Join("testdata", "golden", "format", name+"."+ext[f]), a.Bytes())
				if name == "clean" && (f == lint.FormatText || f == lint.FormatGitHub) {
					assert.Empty(t, a.String())
				}
			})
		}
	}
}

func TestFormatText(t *testing.T) {
	t.Parallel()
	r := formatCases(t)["findings"]
	var buf bytes.Buffer
	require.NoError(t, lint.Write(&buf, lint.FormatText, r))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, len(r.Findings))
	for i, line := range lines {
		assert.Regexp(t, `^[^:]+:[0-9]+: (error|warning|info) \[[a-z0-9-]+\] `, line)
		assert.Equal(t, r.Findings[i].String(), line)
	}
}

func TestFormatJSON(t *testing.T) {
	t.Parallel()
	for name, r := range formatCases(t) {
		var buf bytes.Buffer
		require.NoError(t, lint.Write(&buf, lint.FormatJSON, r))
		type jsonFinding struct {
			Rule     string           `json:"rule"`
			Severity finding.Severity `json:"severity"`
			File     string           `json:"file"`
			Line     int              `json:"line"`
			Object   string           `json:"object"`
			Message  string           `json:"message"`
		}
		var got struct {
			Findings []jsonFinding  `json:"findings"`
			Skipped  []rules.Skip   `json:"skipped"`
			Objects  int            `json:"objects"`
			Summary  map[string]int `json:"summary"`
		}
		dec := json.NewDecoder(&buf)
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&got), name)
		require.Equal(t, len(r.Findings), len(got.Findings), name)
		for i, f := range r.Findings {
			assert.Equal(t, jsonFinding{Rule: f.Rule, Severity: f.Severity, File: f.File, Line: f.Line, Object: f.Object.String(), Message: f.Text()}, got.Findings[i], name)
		}
		// Needs and Why stay out of JSON: Reason says both.
		want := []rules.Skip{}
		for _, s := range r.Skipped {
			want = append(want, rules.Skip{Rule: s.Rule, Reason: s.Reason})
		}
		assert.Equal(t, want, got.Skipped, name)
		assert.Equal(t, r.Objects, got.Objects, name)
		assert.Equal(t, map[string]int{"error": r.Count(finding.Error), "warning": r.Count(finding.Warning), "info": r.Count(finding.Info)}, got.Summary)
	}
}

// TestFormatGitHubEscaping: workflow commands escape %, \r and \n in the
// message, and also : and , in properties, so no value can end the
// command early or inject a property.
func TestFormatGitHubEscaping(t *testing.T) {
	t.Parallel()
	r := &lint.Report{Findings: []finding.Finding{
		{Rule: rules.RuleENIPolicyValue, Severity: finding.Error, File: "dir,with:odd%chars/eni.yaml", Line: 8,
			Message: "100% wrong\r\nsecond line ::error::injected"},
		{Rule: rules.RuleENIRelayUnused, Severity: finding.Warning, File: "a.yaml", Line: 1, Message: "w"},
		{Rule: rules.RuleTyphaRelayNotConfigured, Severity: finding.Info, File: "a.yaml", Line: 2, Message: "i"},
	}}
	var buf bytes.Buffer
	require.NoError(t, lint.Write(&buf, lint.FormatGitHub, r))
	assert.Equal(t, "::error file=dir%2Cwith%3Aodd%25chars/eni.yaml,line=8,title=eni-policy-value::100%25 wrong%0D%0Asecond line ::error::injected\n"+
		"::warning file=a.yaml,line=1,title=eni-relay-unused::w\n"+
		"::notice file=a.yaml,line=2,title=typha-relay-not-configured::i\n", buf.String())

	buf.Reset()
	require.NoError(t, lint.Write(&buf, lint.FormatText, r))
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"), "text output keeps one finding per line")
}

func TestFormatSARIF(t *testing.T) {
	t.Parallel()
	r := formatCases(t)["findings"]
	r.Findings = append(r.Findings, finding.Finding{Rule: rules.RuleImageInvalid, Severity: finding.Error, File: lint.StdinName, Line: 3, Message: "m"})
	var buf bytes.Buffer
	require.NoError(t, lint.Write(&buf, lint.FormatSARIF, r))
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs, 1)
	run := log.Runs[0]
	assert.Equal(t, "typharender", run.Tool.Driver.Name)
	// A test binary carries no module version: the module's own build says (devel).
	assert.Equal(t, "(devel)", run.Tool.Driver.Version, "tool.driver.version")
	require.Len(t, run.Tool.Driver.Rules, len(rules.Rules()))
	require.Len(t, run.Results, len(r.Findings))
	levels := map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Info: "note"}
	for i, res := range run.Results {
		fd := r.Findings[i]
		assert.Equal(t, fd.Rule, res.RuleID)
		assert.Equal(t, fd.Rule, run.Tool.Driver.Rules[res.RuleIndex].ID)
		assert.Equal(t, levels[fd.Severity], res.Level)
		assert.Equal(t, fd.Line, res.Locations[0].PhysicalLocation.Region.StartLine)
	}
	assert.Equal(t, "testdata/fixtures/eni-False.yaml", run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI)
	assert.Equal(t, "%3Cstdin%3E", run.Results[len(run.Results)-1].Locations[0].PhysicalLocation.ArtifactLocation.URI)

	err := lint.Write(&buf, lint.FormatSARIF, &lint.Report{Findings: []finding.Finding{{Rule: "no-such-rule"}}})
	assert.ErrorContains(t, err, `unknown rule "no-such-rule"`)
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, f := range lint.Formats() {
		got, err := lint.ParseFormat(string(f))
		require.NoError(t, err)
		assert.Equal(t, f, got)
	}
	_, err := lint.ParseFormat("yaml")
	assert.ErrorIs(t, err, lint.ErrFormat)
	assert.ErrorIs(t, lint.Write(&bytes.Buffer{}, "yaml", &lint.Report{}), lint.ErrFormat)
}
