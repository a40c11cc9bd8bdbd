package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// Inputs shared with the lint package's tests.
const (
	fx       = "../../lint/testdata/fixtures/"
	matrix   = "../../testdata/golden/"
	upstream = "../../lint/testdata/upstream/"
)

// writeFiles writes files (slash-separated paths under dir).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// realTree writes $TMP/repo: manifests beside a Helm chart, a CI workflow
// and generated output.
func realTree(t *testing.T, tmp string) {
	t.Helper()
	typha, err := os.ReadFile(fx + "typha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(tmp, "repo"), map[string]string{
		"deploy/typha.yaml":               string(typha),
		"charts/typha/Chart.yaml":         "apiVersion: v2\nname: typha\nversion: 0.1.0\n",
		"charts/typha/values.yaml":        "replicaCount: 3\n",
		"charts/typha/templates/svc.yaml": "{{- if .Values.enabled }}\napiVersion: v1\n{{- end }}\n",
		".github/workflows/ci.yml":        "on: [push]\njobs: {}\n",
		"generated/a/svc.yaml":            "apiVersion: v1\nkind: Service\nmetadata: {name: calico-typha, namespace: kube-system}\nspec: {ports: [{name: x, port: 1}]}\n",
	})
}

// manyFiles writes $TMP/many with n ConfigMaps, a file each.
func manyFiles(n int) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		files := map[string]string{}
		for i := range n {
			files[fmt.Sprintf("many/%03d.yaml", i)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d}\n", i)
		}
		writeFiles(t, tmp, files)
	}
}

// renderedFleet renders a fleet of three clusters into $TMP/fleet: two
// regions that lint clean each with its own facts, and a 3-node cluster
// whose 3 replicas stall a rolling update.
func renderedFleet(t *testing.T, tmp string) {
	t.Helper()
	writeFiles(t, tmp, map[string]string{"fleet.yaml": `clusters:
- name: hangzhou
  region: cn-hangzhou
  nodes: 1000
  kubeVersion: v1.30.7-aliyun.1
- name: beijing
  region: cn-beijing
  nodes: 600
  kubeVersion: v1.20.11-aliyun.1
- name: tiny
  region: cn-shanghai
  nodes: 3
  kubeVersion: v1.30.7-aliyun.1
`})
	var out, errOut bytes.Buffer
	if code := run([]string{"render", "--fleet", filepath.Join(tmp, "fleet.yaml"), "--output-dir", filepath.Join(tmp, "fleet"), "--quiet"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("render --fleet: exit %d: %s", code, errOut.String())
	}
	writeFiles(t, tmp, map[string]string{"fleet/stray/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray}\n"})
}

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

		// Terway: an eni-config among the inputs, or --terway, asks for the relay.
		{name: "plain calico", args: []string{"lint", "-v", "--kube-version", "1.30", upstream + "calico-v3.31.7/calico-typha.yaml"}},
		{name: "terway flag", args: []string{"lint", "--terway", "--kube-version", "1.30", upstream + "calico-v3.31.7/calico-typha.yaml"}, code: 1},

		// Real trees: hidden directories, non-objects and excludes.
		{name: "real tree", args: []string{"lint", "-v", "--exclude", "templates", "--exclude", "generated/*", "$TMP/repo"}, setup: realTree},
		{name: "real tree without exclude", args: []string{"lint", "$TMP/repo"}, setup: realTree, code: 2},
		{name: "named values file", args: []string{"lint", "$TMP/repo/charts/typha/values.yaml"}, setup: realTree, code: 2},
		{name: "bad exclude", args: []string{"lint", "--exclude", "[x", fx}, code: 2},
		{name: "concatenated json", args: with("-"), stdin: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"eni-config","namespace":"kube-system"},"data":{"disable_network_policy":"False"}}{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}}`, code: 1},

		// Summary and --quiet.
		{name: "quiet findings", args: with("-q", fx+"eni-False.yaml", fx+"typha.yaml"), code: 1},
		{name: "quiet clean", args: with("--quiet", fx+"typha.yaml", fx+"eni-typha.yaml")},
		{name: "quiet and verbose", args: with("-q", "-v", fx+"typha.yaml"), code: 2},
		{name: "summary of a big run", args: []string{"lint", "$TMP/many"}, setup: manyFiles(fleet.BigRun)},
		{name: "no summary below a big run", args: []string{"lint", "$TMP/many"}, setup: manyFiles(fleet.BigRun - 1)},

		// Fleets: each cluster with its own facts.
		{name: "fleet", args: []string{"lint", "-v", "--fleet", "$TMP/fleet.yaml", "$TMP/fleet"}, setup: renderedFleet, code: 1},
		{name: "fleet quiet", args: []string{"lint", "-q", "-o", "json", "--fleet", "$TMP/fleet.yaml", "$TMP/fleet"}, setup: renderedFleet, code: 1},
		{name: "fleet missing cluster", args: []string{"lint", "--fleet", "$TMP/fleet.yaml", "$TMP/fleet"}, setup: func(t *testing.T, tmp string) {
			renderedFleet(t, tmp)
			if err := os.RemoveAll(filepath.Join(tmp, "fleet", "beijing")); err != nil {
				t.Fatal(err)
			}
		}, code: 2},
		{name: "fleet with facts", args: []string{"lint", "--nodes", "5", "--fleet", "$TMP/fleet.yaml", "$TMP/fleet"}, setup: renderedFleet, code: 2},
		{name: "fleet two dirs", args: []string{"lint", "--fleet", "$TMP/fleet.yaml", "$TMP/fleet", "$TMP"}, setup: renderedFleet, code: 2},
		{name: "fleet no dir", args: []string{"lint", "--fleet", "$TMP/fleet.yaml"}, setup: renderedFleet, code: 2},
		{name: "fleet invalid entry", args: []string{"lint", "--fleet", "-", "$TMP"}, stdin: "clusters:\n- name: a\n  nodes: -1\n", code: 2},
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

// TestRulesReference: the table of lint rules in docs/reference/rules.md
// is exactly what rules.Rules() says, with the facts named by their flags:
// the table is derived from the rules, never written by hand; make docs
// (and make golden) rewrite it.
func TestRulesReference(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("| ID | severity | needs | what it checks | why | how to fix |\n| --- | --- | --- | --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, r := range rules.Rules() {
		needs := "-"
		if r.Needs != 0 {
			var flags []string
			for _, f := range r.Needs.Each() {
				flags = append(flags, factFlag(f))
			}
			needs = "`" + strings.Join(flags, "` and `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.ID, r.Severity, needs, cell(r.Checks), cell(r.Why), cell(r.Fix))
	}
	const begin, end = "<!-- lint rules: begin -->\n", "<!-- lint rules: end -->\n"
	golden.CheckSection(t, filepath.Join("..", "..", "docs", "reference", "rules.md"), begin, end, []byte(b.String()))
}

// TestLintFleetPastMaxFiles: a fleet whose directory holds more files
// than lint.MaxFiles, as render --fleet writes five per cluster, lints
// whole, because files are counted per cluster.
func TestLintFleetPastMaxFiles(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	var fleet strings.Builder
	fleet.WriteString("clusters:\n")
	clusters := lint.MaxFiles/5 + 1
	files := map[string]string{}
	for i := range clusters {
		fmt.Fprintf(&fleet, "- {name: c%05d, region: cn-hangzhou, nodes: 1000, kubeVersion: v1.30.7-aliyun.1}\n", i)
		for j := range 5 {
			files[fmt.Sprintf("fleet/c%05d/%02d.yaml", i, j)] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d}\n", j)
		}
	}
	files["fleet.yaml"] = fleet.String()
	writeFiles(t, tmp, files)
	var out, errOut bytes.Buffer
	if code := run([]string{"lint", "--fleet", filepath.Join(tmp, "fleet.yaml"), filepath.Join(tmp, "fleet")}, nil, &out, &errOut); code != 0 {
		t.Fatalf("lint: exit %d: %s", code, errOut.String())
	}
	want := fmt.Sprintf("Linted %d clusters, %d files, %d objects: 0 errors, 0 warnings, 0 info (", clusters, 5*clusters, 5*clusters)
	if !strings.HasPrefix(errOut.String(), want) || out.Len() != 0 {
		t.Errorf("stderr %q, want a line starting %q; stdout %q", errOut.String(), want, out.String())
	}
}

// TestLintSaysWhatItSkipped: without the facts a rule needs, lint says on
// stderr, once, which rules it skipped and what would run them; it used
// to say so only with --verbose. --quiet keeps it quiet.
func TestLintSaysWhatItSkipped(t *testing.T) {
	t.Parallel()
	typha := filepath.Join("..", "..", "lint", "testdata", "fixtures", "typha.yaml")
	var out, errOut bytes.Buffer
	if code := run([]string{"lint", typha}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	stderr := errOut.String()
	for _, want := range []string{
		"skipped 3 rules that need --kube-version: pdb-api-not-served, pdb-api-deprecated, typha-endpointslice-api",
		"skipped 2 rules that need --nodes: typha-replicas-below-recommended, typha-replicas-not-below-nodes",
		"skipped 2 rules that need --region: image-region-mismatch, image-region-public-endpoint",
		"skipped 3 rules that need --terway: typha-relay-not-configured, typha-tier-crd, typha-felix-refused",
		"(--verbose says why)",
	} {
		if strings.Count(stderr, want) != 1 {
			t.Errorf("stderr says %q %d times, want once:\n%s", want, strings.Count(stderr, want), stderr)
		}
	}
	errOut.Reset()
	run([]string{"lint", "-q", typha}, nil, &out, &errOut)
	if errOut.Len() != 0 {
		t.Errorf("--quiet: stderr %q", errOut.String())
	}
}
