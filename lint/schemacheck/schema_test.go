// Package schemacheck validates typharender's SARIF output against the
// OASIS SARIF 2.1.0 JSON schema, and its GitHub Action (action.yml) and
// example workflow against SchemaStore's schemas (action_test.go). It is a
// module of its own so that the JSON schema validator, a test-only
// dependency, stays out of the library's go.mod; `make test` and CI run it.
package schemacheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// sarifSchema compiles ../testdata/sarif-schema-2.1.0.json, the OASIS
// SARIF 2.1.0 schema (errata 01) vendored verbatim, with format assertions
// on (uri, uri-reference, date-time).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "sarif-schema-2.1.0.json"))
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	require.NoError(t, c.AddResource(url, doc))
	sch, err := c.Compile(url)
	require.NoError(t, err)
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return sch.Validate(inst)
}

// TestSARIFSchema: every SARIF log lint writes is valid against the SARIF
// 2.1.0 schema, and the check itself rejects invalid logs.
func TestSARIFSchema(t *testing.T) {
	t.Parallel()
	sch := sarifSchema(t)

	logs := map[string][]byte{}
	// The reviewed SARIF goldens of the lint package and the CLI.
	for _, pattern := range []string{"../testdata/golden/format/*.sarif.json", "../../cmd/typharender/testdata/lint/sarif*.stdout"} {
		files, err := filepath.Glob(pattern)
		require.NoError(t, err)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			logs[f] = data
		}
	}
	require.NotEmpty(t, logs, "the lint package's SARIF goldens are missing")

	// Every rule once, odd file names included, and an empty report.
	all := &lint.Report{Skipped: []rules.Skip{{Rule: rules.RuleServiceSelector, Reason: "r"}}}
	for i, r := range rules.Rules() {
		all.Findings = append(all.Findings, finding.Finding{Rule: r.ID, Severity: r.Severity, Line: i + 1, Message: "m " + r.ID,
			File: []string{lint.StdinName, "dir with space/a.yaml", "C:colon/b.yaml", "100%/c.json", "../up.yml"}[i%5]})
	}
	for name, r := range map[string]*lint.Report{"all-rules": all, "empty": {}} {
		var buf bytes.Buffer
		require.NoError(t, lint.Write(&buf, lint.FormatSARIF, r))
		logs[name] = buf.Bytes()
	}
	for name, data := range logs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.NoError(t, validate(t, sch, data))
		})
	}

	// The validator is not vacuous: these break the schema.
	good := string(logs["../testdata/golden/format/findings.sarif.json"])
	require.NotEmpty(t, good)
	for name, edit := range map[string]func(string) string{
		"version":    func(s string) string { return strings.Replace(s, `"version": "2.1.0"`, `"version": "2.0.0"`, 1) },
		"level":      func(s string) string { return strings.Replace(s, `"level": "error"`, `"level": "fatal"`, 1) },
		"start line": func(s string) string { return strings.Replace(s, `"startLine": 8`, `"startLine": 0`, 1) },
		"uri":        func(s string) string { return strings.Replace(s, `"uri": "testdata/`, `"uri": "test data\\`, 1) },
		"extra":      func(s string) string { return strings.Replace(s, `"ruleId"`, `"severity": "x", "ruleId"`, 1) },
	} {
		bad := edit(good)
		require.NotEqual(t, good, bad, name)
		require.True(t, json.Valid([]byte(bad)), name)
		assert.Error(t, validate(t, sch, []byte(bad)), name)
	}
}
