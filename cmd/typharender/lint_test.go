package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/lint"
)

// Inputs shared with the lint package's tests.
const (
	fx     = "../../lint/testdata/fixtures/"
	matrix = "../../testdata/golden/"
)

func TestLint(t *testing.T) {
	facts := []string{"--nodes", "1000", "--kube-version", "v1.30.7-aliyun.1", "--region", "cn-hangzhou"}
	with := func(args ...string) []string { return append(append([]string{"lint"}, facts...), args...) }
	guide, err := os.ReadFile(filepath.Join("..", "..", "testdata", "guide", "calico-typha.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	runCases(t, "lint", []cmdCase{
		// Clean and findings, each exit code.
		{name: "rendered and edited", args: with(matrix+"cn-hangzhou/1.30-1000.yaml", matrix+"eniconfig/terway-eniip-typha.yaml")},
		{name: "relay written as a block", args: with(matrix+"cn-hangzhou/1.30-1000.yaml", "testdata/input/eni-config-relay-block.yaml"), code: 1},
		{name: "rendered with a felix eni-config", args: with(matrix+"cn-hangzhou/1.30-1000.yaml", matrix+"eniconfig/terway-eniip-veth-typha.yaml")},
		{name: "rendered only", args: with(matrix + "cn-hangzhou/1.30-1000.yaml")},
		{name: "findings", args: with(fx+"eni-False.yaml", fx+"typha.yaml", fx+"pdb-v1beta1.yaml"), code: 1},
		{name: "guide verbatim", args: []string{"lint", "--region", "cn-hangzhou", "-"}, stdin: string(guide), code: 1},
		{name: "old cluster", args: []string{"lint", "--kube-version", "v1.20.11-aliyun.1", "--nodes", "2", fx + "typha.yaml", fx + "eni-typha.yaml"}, code: 1},
		{name: "warning passes by default", args: with(fx+"eni-zero.yaml", fx+"typha.yaml")},
		{name: "fail on warning", args: with("--fail-on", "warning", fx+"eni-zero.yaml", fx+"typha.yaml"), code: 1},
		{name: "fail on warning clean", args: with("--fail-on", "warning", fx+"typha.yaml", fx+"eni-typha.yaml")},
		{name: "directory", args: with(fx), code: 1},
		{name: "empty stdin", args: with("-")},
		{name: "verbose without facts", args: []string{"lint", "-v", fx + "service.yaml", fx + "eni-typha.yaml"}},

		// Formats.
		{name: "json", args: with("-o", "json", fx+"eni-False.yaml", fx+"typha.yaml"), code: 1},
		// --format is an alias of -o.
		{name: "github", args: with("--format", "github", fx+"eni-False.yaml", fx+"typha.yaml"), code: 1},
		{name: "sarif", args: with("--output", "sarif", fx+"eni-zero.yaml", fx+"typha.yaml")},
		{name: "sarif clean", args: with("-o", "sarif", fx+"typha.yaml", fx+"eni-typha.yaml")},

		// Unreadable input: exit 2.
		{name: "missing file", args: with(fx + "no-such-file.yaml"), code: 2},
		{name: "malformed", args: with("-"), stdin: "apiVersion: v1\nkind: Service\nmetadata:\n  name: [calico-typha\n", code: 2},
		{name: "not kubernetes", args: with("-"), stdin: "replicaCount: 3\n", code: 2},
		{name: "binary", args: with("-"), stdin: "\x7fELF\x02\x01\x01\x00\x00", code: 2},
		{name: "alias bomb", args: with("../../lint/testdata/alias-bomb.yaml"), code: 2},
		{name: "one bad among good", args: with(fx+"typha.yaml", "-"), stdin: "kind: [\n", code: 2},

		// Usage errors: exit 2.
		{name: "no input", args: []string{"lint"}, code: 2},
		{name: "bad format", args: with("--format", "xml", fx+"typha.yaml"), code: 2},
		{name: "bad output", args: with("-o", "xml", fx+"typha.yaml"), code: 2},
		{name: "fail on info", args: with("--fail-on", "info", fx+"typha.yaml"), code: 2},
		// The cluster facts get render's messages for the same flags.
		{name: "nodes zero", args: []string{"lint", "--nodes", "0", fx + "typha.yaml"}, code: 2},
		{name: "nodes negative", args: []string{"lint", "--nodes", "-5", fx + "typha.yaml"}, code: 2},
		{name: "nodes not a number", args: []string{"lint", "--nodes", "abc", fx + "typha.yaml"}, code: 2},
		{name: "nodes exponent", args: []string{"lint", "--nodes", "1e3", fx + "typha.yaml"}, code: 2},
		{name: "nodes too many", args: []string{"lint", "--nodes", "200000", fx + "typha.yaml"}, code: 2},
		{name: "kube version bad", args: []string{"lint", "--kube-version", "latest", fx + "typha.yaml"}, code: 2},
		{name: "region bad", args: []string{"lint", "--region", "CN-HANGZHOU", fx + "typha.yaml"}, code: 2},
		{name: "region placeholder", args: []string{"lint", "--region", "{REGION-ID}", fx + "typha.yaml"}, code: 2},
		// Older than render renders for: lint still checks the manifests.
		{name: "old kube version", args: []string{"lint", "--kube-version", "v1.14.8-aliyun.1", fx + "pdb-v1.yaml"}, code: 1},
		// Empty means unknown, as leaving the flag out does.
		{name: "empty region and version", args: []string{"lint", "-v", "--region", "", "--kube-version", "", fx + "typha.yaml", fx + "eni-typha.yaml"}},
		{name: "bad facts", args: []string{"lint", "--nodes", "-3", "--kube-version", "latest", "--region", "cn-hangzhou.evil.example/x", fx + "typha.yaml"}, code: 2},
		{name: "unknown flag", args: []string{"lint", "--strict", fx + "typha.yaml"}, code: 2},
		{name: "help", args: []string{"lint", "--help"}},
	})
}

// TestLintFactMessagesMatchRender: lint refuses a bad --nodes,
// --kube-version or --region with exactly the line render gives for it.
func TestLintFactMessagesMatchRender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ flag, value string }{
		{"--nodes", "abc"}, {"--nodes", "1e3"}, {"--nodes", "0"}, {"--nodes", "-5"}, {"--nodes", "200000"}, {"--nodes", ""},
		{"--kube-version", "latest"}, {"--kube-version", "1"},
		{"--region", "cn-hangzhou.evil.example/x"}, {"--region", "CN-HANGZHOU"}, {"--region", "{REGION-ID}"},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			line := func(args ...string) string {
				t.Helper()
				var stdout, stderr bytes.Buffer
				if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitUsage {
					t.Fatalf("run(%q) = exit code %d, want %d; stderr:\n%s", args, code, exitUsage, stderr.String())
				}
				for _, l := range strings.Split(stderr.String(), "\n") {
					l = strings.TrimPrefix(strings.TrimSpace(l), "Error: ")
					if strings.HasPrefix(l, tc.flag+": ") {
						return l
					}
				}
				t.Fatalf("run(%q): no line about %s in stderr:\n%s", args, tc.flag, stderr.String())
				return ""
			}
			// The other two flags are valid; the flag given last wins.
			fromRender := line("render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "1.30", tc.flag, tc.value)
			fromLint := line("lint", tc.flag, tc.value, fx+"typha.yaml")
			if fromLint != fromRender {
				t.Errorf("lint says\n  %s\nrender says\n  %s", fromLint, fromRender)
			}
		})
	}
}

// TestREADMELintRules: the README's table of lint rules is exactly what
// lint.Rules() says, with the facts named by their flags: the table is
// derived from the rules, never written by hand.
func TestREADMELintRules(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("| ID | severity | needs | what it checks | why | how to fix |\n| --- | --- | --- | --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, r := range lint.Rules() {
		needs := "-"
		if r.Needs != 0 {
			needs = "`" + strings.ReplaceAll(factFlags(r.Needs), " and ", "` and `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.ID, r.Severity, needs, cell(r.Checks), cell(r.Why), cell(r.Fix))
	}
	const begin, end = "<!-- lint rules: begin -->\n", "<!-- lint rules: end -->\n"
	golden.CheckSection(t, filepath.Join("..", "..", "README.md"), begin, end, []byte(b.String()))
}
