package lint_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// full are the facts of the cluster most fixtures describe.
var full = lint.Facts{Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou"}

func fixtures(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join("testdata", "fixtures", n)
	}
	return out
}

func mustLint(t *testing.T, paths []string, f lint.Facts) *lint.Report {
	t.Helper()
	objs, err := lint.ReadPaths(paths, nil)
	require.NoError(t, err)
	r, err := lint.Lint(objs, f)
	require.NoError(t, err)
	return r
}

func ruleIDs(r *lint.Report) []string {
	ids := []string{}
	for _, f := range r.Findings {
		ids = append(ids, f.Rule)
	}
	return ids
}

func skippedIDs(r *lint.Report) []string {
	ids := []string{}
	for _, s := range r.Skipped {
		ids = append(ids, s.Rule)
	}
	return ids
}

func withFacts(f lint.Facts, edit func(*lint.Facts)) lint.Facts {
	edit(&f)
	return f
}

// TestRules runs every rule on a fixture that triggers it and on one that
// does not. want is the rule of every finding, in output order; the text
// output is checked against testdata/golden/<name>.txt.
func TestRules(t *testing.T) {
	t.Parallel()
	v := func(version string) lint.Facts { return lint.Facts{KubeVersion: version} }
	nodes := func(n int) lint.Facts { return withFacts(full, func(f *lint.Facts) { f.Nodes = n }) }
	region := func(r string) lint.Facts { return withFacts(full, func(f *lint.Facts) { f.Region = r }) }
	guide := filepath.Join("..", "testdata", "guide", "calico-typha.yaml")
	tests := []struct {
		name  string
		files []string
		facts lint.Facts
		want  []string
	}{
		{name: "clean", files: fixtures("typha.yaml", "eni-typha.yaml"), facts: full, want: []string{}},

		{name: "pdb-v1-at-1.20", files: fixtures("pdb-v1.yaml"), facts: v("v1.20.11-aliyun.1"), want: []string{rules.RulePDBAPINotServed}},
		{name: "pdb-v1beta1-at-1.25", files: fixtures("pdb-v1beta1.yaml"), facts: v("v1.25.3-aliyun.1"), want: []string{rules.RulePDBAPINotServed}},
		{name: "pdb-v2", files: fixtures("pdb-v2.yaml"), facts: v("1.30"), want: []string{rules.RulePDBAPINotServed}},
		{name: "pdb-v1beta1-at-1.24", files: fixtures("pdb-v1beta1.yaml"), facts: v("v1.24.6-aliyun.1"), want: []string{rules.RulePDBAPIDeprecated}},
		{name: "pdb-v1beta1-at-1.20", files: fixtures("pdb-v1beta1.yaml"), facts: v("v1.20.11-aliyun.1"), want: []string{}},
		{name: "pdb-v1-at-1.21", files: fixtures("pdb-v1.yaml"), facts: v("v1.21.3-aliyun.1"), want: []string{}},

		{name: "replicas-5-at-1001", files: fixtures("typha.yaml", "eni-typha.yaml"), facts: nodes(1001), want: []string{rules.RuleReplicasBelowRecommended}},
		{name: "replicas-unset", files: fixtures("service.yaml", "deployment-unset.yaml", "eni-typha.yaml"), facts: full, want: []string{rules.RuleReplicasBelowRecommended}},
		{name: "replicas-3-at-600", files: fixtures("service.yaml", "deployment-3.yaml", "eni-typha.yaml"), facts: nodes(600), want: []string{}},
		{name: "replicas-3-at-3", files: fixtures("service.yaml", "deployment-3.yaml", "eni-typha.yaml"), facts: nodes(3), want: []string{rules.RuleReplicasNotBelowNodes}},
		{name: "replicas-3-at-4", files: fixtures("service.yaml", "deployment-3.yaml", "eni-typha.yaml"), facts: nodes(4), want: []string{}},

		{name: "image-placeholder", files: append([]string{guide}, fixtures("eni-typha.yaml")...), facts: nodes(600), want: []string{rules.RuleImageRegionPlaceholder}},
		{name: "image-region-mismatch", files: fixtures("typha.yaml", "eni-typha.yaml"), facts: region("cn-beijing"), want: []string{rules.RuleImageRegionMismatch}},
		{name: "image-mirror", files: fixtures("service.yaml", "deployment-mirror.yaml", "eni-typha.yaml"), facts: region("cn-beijing"), want: []string{}},
		{name: "image-invalid", files: fixtures("service.yaml", "deployment-image-invalid.yaml", "eni-typha.yaml"), facts: full,
			want: []string{rules.RuleImageInvalid, rules.RuleImageInvalid}},

		{name: "service-bad", files: fixtures("service-bad.yaml", "deployment.yaml", "eni-typha.yaml"), facts: full,
			want: []string{rules.RuleServicePortName, rules.RuleServicePortNumber, rules.RuleServicePortNumber, rules.RuleServiceSelector}},
		{name: "service-no-selector", files: fixtures("service-no-selector.yaml", "deployment.yaml", "eni-typha.yaml"), facts: full,
			want: []string{rules.RuleServiceSelector}},
		{name: "deployment-selector", files: fixtures("service.yaml", "deployment-selector.yaml", "eni-typha.yaml"), facts: full,
			want: []string{rules.RuleDeploymentSelector, rules.RuleDeploymentSelector, rules.RuleServiceSelector}},
		{name: "deployment-expressions", files: fixtures("service.yaml", "deployment-expressions.yaml", "eni-typha.yaml"), facts: full, want: []string{}},

		{name: "eni-False", files: fixtures("eni-False.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIPolicyValue, rules.RuleENIRelayUnused}},
		{name: "eni-block", files: fixtures("eni-block.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIPolicyValue, rules.RuleENIRelayUnused}},
		{name: "eni-bool", files: fixtures("eni-bool.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIPolicyValue}},
		{name: "eni-zero", files: fixtures("eni-zero.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIPolicyValueLoose}},
		{name: "eni-relay-typo", files: fixtures("eni-relay-typo.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIRelayServiceMissing}},
		{name: "eni-alone", files: fixtures("eni-typha.yaml"), facts: full, want: []string{rules.RuleENIRelayServiceMissing}},
		{name: "eni-service-default-ns", files: fixtures("eni-typha.yaml", "service-default-ns.yaml"), facts: full, want: []string{rules.RuleENIRelayServiceMissing}},
		{name: "eni-relay-disabled", files: fixtures("eni-relay-disabled.yaml", "typha.yaml"), facts: full, want: []string{rules.RuleENIRelayUnused}},
		{name: "eni-disabled", files: fixtures("eni-disabled.yaml"), facts: full, want: []string{}},

		{name: "typha-alone", files: fixtures("typha.yaml"), facts: withFacts(full, func(f *lint.Facts) { f.Terway = true }), want: []string{rules.RuleTyphaRelayNotConfigured}},
		// A plain Calico install: nothing says Terway, so the relay is not asked for.
		{name: "typha-alone-not-terway", files: fixtures("typha.yaml"), facts: full, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mustLint(t, tc.files, tc.facts)
			assert.Equal(t, tc.want, ruleIDs(r))
			for _, f := range r.Findings {
				assert.Positive(t, f.Line)
				assert.Contains(t, f.Message, f.Object.String())
			}
			var buf bytes.Buffer
			require.NoError(t, lint.Write(&buf, lint.FormatText, r))
			golden.Check(t, filepath.Join("testdata", "golden", tc.name+".txt"), buf.Bytes())
		})
	}
}

// TestRuleTable: every rule is documented, once.
func TestRuleTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range rules.Rules() {
		assert.False(t, seen[r.ID], "duplicate rule %s", r.ID)
		seen[r.ID] = true
		assert.Regexp(t, `^[a-z]+(-[a-z0-9]+)+$`, r.ID)
		assert.NotEmpty(t, r.Checks, r.ID)
		assert.NotEmpty(t, r.Why, r.ID)
		assert.NotEmpty(t, r.Fix, r.ID)
		assert.NotNil(t, r.Check, r.ID)
		assert.Equal(t, r.Needs != 0, r.NeedsWhy != "", "%s: NeedsWhy says why it needs its facts, and only then", r.ID)
	}
}

// TestEveryRuleTested: every rule has a directory testdata/rules/<ID> with
// fires.yaml, on which it runs and reports (and no other rule does), and
// passes.yaml, a near miss on which it runs and reports nothing. The
// first line of each gives the facts ("# facts: nodes=3 region=..."); the
// findings on fires.yaml are checked against fires.txt.
func TestEveryRuleTested(t *testing.T) {
	t.Parallel()
	root := filepath.Join("testdata", "rules")
	ids := map[string]bool{}
	for _, r := range rules.Rules() {
		ids[r.ID] = true
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			for _, fires := range []bool{true, false} {
				name := filepath.Join(root, r.ID, map[bool]string{true: "fires.yaml", false: "passes.yaml"}[fires])
				data, err := os.ReadFile(name)
				require.NoError(t, err, "rule %s needs a fixture that fires it and one that does not", r.ID)
				facts := fixtureFacts(t, name, data)
				objs, err := lint.Parse(name, data)
				require.NoError(t, err)
				rep, err := lint.Lint(objs, facts)
				require.NoError(t, err)
				for _, s := range rep.Skipped {
					assert.NotEqual(t, r.ID, s.Rule, "%s: the rule must run, not be skipped (%s)", name, s.Reason)
				}
				got := ruleIDs(rep)
				if fires {
					assert.NotEmpty(t, got, "%s must fire %s", name, r.ID)
					also := fixtureAlso(data)
					for _, id := range got {
						if !also[id] {
							assert.Equal(t, r.ID, id, "%s fires only %s (and the rules its # also: line names)", name, r.ID)
						}
					}
					assert.Contains(t, got, r.ID)
					var buf bytes.Buffer
					require.NoError(t, lint.Write(&buf, lint.FormatText, rep))
					golden.Check(t, filepath.Join(root, r.ID, "fires.txt"), buf.Bytes())
				} else {
					also := fixtureAlso(data)
					for _, id := range got {
						assert.True(t, also[id] && id != r.ID, "%s must lint clean (but for the rules its # also: line names), and fires %s", name, id)
					}
				}
			}
		})
	}
	dirs, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, d := range dirs {
		assert.True(t, ids[d.Name()], "testdata/rules/%s names no rule", d.Name())
	}
}

// fixtureAlso reads the rules a fires.yaml fixture may fire besides its
// own, from a line "# also: ID ..." among its leading comments: where the
// rule cannot fire alone (Typha v3.32 is also a v3.29, so a fixture that
// refuses Felix vouches for the Tier CRD, and typha-vouched lists that).
func fixtureAlso(data []byte) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if ids, ok := strings.CutPrefix(line, "# also:"); ok {
			for _, id := range strings.Fields(ids) {
				out[id] = true
			}
		}
	}
	return out
}

// fixtureFacts reads the facts of a rule fixture from its first line:
// "# facts: nodes=N kubeVersion=V region=R terway=true", each optional.
func fixtureFacts(t *testing.T, name string, data []byte) lint.Facts {
	t.Helper()
	first, _, _ := strings.Cut(string(data), "\n")
	list, ok := strings.CutPrefix(first, "# facts:")
	require.True(t, ok, "%s: the first line must be # facts: ...", name)
	var f lint.Facts
	for _, kv := range strings.Fields(list) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "nodes":
			n, err := strconv.Atoi(v)
			require.NoError(t, err, name)
			f.Nodes = n
		case "kubeVersion":
			f.KubeVersion = v
		case "region":
			f.Region = v
		case "terway":
			b, err := strconv.ParseBool(v)
			require.NoError(t, err, name)
			f.Terway = b
		default:
			t.Fatalf("%s: unknown fact %q: want nodes, kubeVersion, region or terway", name, k)
		}
	}
	return f
}

func TestSkipped(t *testing.T) {
	t.Parallel()
	r := mustLint(t, fixtures("typha.yaml", "eni-typha.yaml"), lint.Facts{})
	assert.Empty(t, r.Findings)
	var skipped []string
	var needs []rules.Fact
	for _, s := range r.Skipped {
		skipped = append(skipped, s.Rule)
		needs = append(needs, s.Needs)
		// In library terms: the Facts field, then what the rule needs it for.
		assert.Equal(t, "needs Facts."+s.Needs.String()+": "+s.Why, s.Reason)
		assert.NotEmpty(t, s.Why)
	}
	assert.Equal(t, []string{rules.RulePDBAPINotServed, rules.RulePDBAPIDeprecated, rules.RuleReplicasBelowRecommended,
		rules.RuleReplicasNotBelowNodes, rules.RuleImageRegionMismatch, rules.RuleTyphaEndpointSlice, rules.RuleImageRegionPublic}, skipped)
	assert.Equal(t, []rules.Fact{rules.FactKubeVersion, rules.FactKubeVersion, rules.FactNodes, rules.FactNodes, rules.FactRegion, rules.FactKubeVersion, rules.FactRegion}, needs)

	// Each fact given runs exactly the rules that need it.
	r = mustLint(t, fixtures("typha.yaml", "eni-typha.yaml"), lint.Facts{Nodes: 1000})
	skipped = skipped[:0]
	for _, s := range r.Skipped {
		skipped = append(skipped, s.Rule)
	}
	assert.Equal(t, []string{rules.RulePDBAPINotServed, rules.RulePDBAPIDeprecated, rules.RuleImageRegionMismatch,
		rules.RuleTyphaEndpointSlice, rules.RuleImageRegionPublic}, skipped)

	r = mustLint(t, fixtures("typha.yaml", "eni-typha.yaml"), full)
	assert.Empty(t, r.Skipped)

	r = mustLint(t, fixtures("service.yaml", "eni-typha.yaml"), full)
	require.Len(t, r.Skipped, 2)
	assert.Equal(t, rules.Skip{Rule: rules.RuleServiceSelector, Why: "the Service's selector is compared with its pod labels",
		Reason: "needs the Typha Deployment among the inputs: the Service's selector is compared with its pod labels"}, r.Skipped[0])
	assert.Equal(t, rules.RuleServiceTargetPortName, r.Skipped[1].Rule)

	// Typha without an eni-config or the Terway fact: the relay rule needs
	// one of them, and says so in terms of the fact.
	r = mustLint(t, fixtures("typha.yaml"), full)
	assert.Equal(t, []string{rules.RuleTyphaRelayNotConfigured, rules.RuleTyphaTierCRD, rules.RuleTyphaFelixRefused}, skippedIDs(r),
		"the relay rule and the rules about Terway's CRDs and Felix need an eni-config or the Terway fact")
	for _, s := range r.Skipped {
		assert.Equal(t, rules.FactTerway, s.Needs, s.Rule)
	}
	assert.Equal(t, rules.Skip{Rule: rules.RuleTyphaRelayNotConfigured, Needs: rules.FactTerway,
		Why:    "Felix finds Typha through eni-config's felix_relay_service only on a Terway cluster (an eni-config among the inputs also shows it)",
		Reason: "needs Facts.Terway: Felix finds Typha through eni-config's felix_relay_service only on a Terway cluster (an eni-config among the inputs also shows it)"}, r.Skipped[0])
}

func TestFactsValidate(t *testing.T) {
	t.Parallel()
	assert.NoError(t, lint.Facts{}.Validate())
	assert.NoError(t, full.Validate())
	err := lint.Facts{Nodes: -1, KubeVersion: "latest", Region: "cn-hangzhou.evil.example/x"}.Validate()
	require.Error(t, err)
	assert.ErrorIs(t, err, lint.ErrFacts)
	for _, want := range []string{"node count -1", `"latest"`, "not a region ID"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = lint.Lint(nil, lint.Facts{Nodes: 200_000})
	assert.ErrorIs(t, err, lint.ErrFacts)
}

func TestSeverity(t *testing.T) {
	t.Parallel()
	for _, s := range []finding.Severity{finding.Info, finding.Warning, finding.Error} {
		got, err := finding.ParseSeverity(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := finding.ParseSeverity("fatal")
	assert.ErrorIs(t, err, finding.ErrSeverity)

	r := mustLint(t, fixtures("eni-zero.yaml", "typha.yaml"), full)
	assert.True(t, r.Fails(finding.Warning))
	assert.False(t, r.Fails(finding.Error))
	assert.Equal(t, "0 errors, 1 warning, 0 info in 5 objects", r.Summary())
}

func TestFact(t *testing.T) {
	t.Parallel()
	all := rules.FactNodes | rules.FactKubeVersion | rules.FactRegion
	assert.Equal(t, []rules.Fact{rules.FactNodes, rules.FactKubeVersion, rules.FactRegion}, all.Each())
	assert.Equal(t, "Nodes and KubeVersion and Region", all.String())
	assert.Equal(t, "KubeVersion", rules.FactKubeVersion.String())
	assert.Equal(t, "Nodes and Region", (rules.FactRegion | rules.FactNodes).String())
	assert.Empty(t, rules.Fact(0).Each())
	assert.Empty(t, rules.Fact(0).String())
}

// TestSelectors: selectors are matched as the API server matches them, and
// a selector it would refuse is reported as invalid, not as a mismatch.
func TestSelectors(t *testing.T) {
	t.Parallel()
	deployment := func(selector string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other, namespace: kube-system}\nspec:\n  selector:\n" + selector +
			"  template:\n    metadata:\n      labels: {app: other, tier: network}\n"
	}
	for _, tc := range []struct {
		name, selector string
		want           string // "" for no finding
	}{
		{"labels", "    matchLabels: {app: other}\n", ""},
		{"labels mismatch", "    matchLabels: {app: typha}\n", "spec.selector (app=typha) does not match its own pod template labels (app=other,tier=network)"},
		{"in", "    matchExpressions: [{key: tier, operator: In, values: [network, edge]}]\n", ""},
		{"not in", "    matchExpressions: [{key: tier, operator: NotIn, values: [network]}]\n", "does not match"},
		{"exists", "    matchExpressions: [{key: tier, operator: Exists}]\n", ""},
		{"does not exist", "    matchExpressions: [{key: tier, operator: DoesNotExist}]\n", "spec.selector (tier DoesNotExist) does not match"},
		{"unknown operator", "    matchExpressions: [{key: tier, operator: in, values: [network]}]\n", `spec.selector (tier in) is not a valid label selector ("in" is not a valid label selector operator): the API server rejects the Deployment`},
		{"in without values", "    matchExpressions: [{key: tier, operator: In}]\n", "is not a valid label selector (values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := lint.Parse("d.yaml", []byte(deployment(tc.selector)))
			require.NoError(t, err)
			r, err := lint.Lint(objs, full)
			require.NoError(t, err)
			if tc.want == "" {
				assert.Empty(t, r.Findings)
				return
			}
			require.Len(t, r.Findings, 1)
			assert.Equal(t, rules.RuleDeploymentSelector, r.Findings[0].Rule)
			assert.Contains(t, r.Findings[0].Message, tc.want)
		})
	}
}

// TestTyphaTagNotRelease: latest, no tag and a branch name cannot be
// checked against the version table; a release, with or without a
// digest, can.
func TestTyphaTagNotRelease(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]string{
		"quay.io/calico/typha:latest":                                      `tag "latest", which names no Typha release`,
		"quay.io/calico/typha":                                             "no tag (the registry serves latest)",
		"quay.io/calico/typha:master":                                      `tag "master"`,
		"quay.io/calico/typha@sha256:" + strings.Repeat("ab", 32):          "no tag, only a digest,",
		"quay.io/calico/typha:v3.24.5":                                     "",
		"registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2-aliyun.1": "",
	} {
		doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: calico-typha, namespace: kube-system}\nspec:\n  selector: {matchLabels: {k8s-app: calico-typha}}\n  template:\n    metadata: {labels: {k8s-app: calico-typha}}\n    spec:\n      containers:\n      - name: calico-typha\n        image: " + image + "\n"
		objs, err := lint.Parse("d.yaml", []byte(doc))
		require.NoError(t, err)
		r, err := lint.Lint(objs, lint.Facts{KubeVersion: "1.24"})
		require.NoError(t, err)
		var got []string
		for _, f := range r.Findings {
			if f.Rule == rules.RuleTyphaTagNotRelease {
				got = append(got, f.Message)
			}
		}
		if want == "" {
			assert.Empty(t, got, image)
			continue
		}
		require.Len(t, got, 1, image)
		assert.Contains(t, got[0], want, image)
	}
}
