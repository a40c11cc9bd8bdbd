package lint_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
)

// goldenRE matches testdata/golden/<region>/<major.minor>-<nodes>.yaml.
var goldenRE = regexp.MustCompile(`^(\d+\.\d+)-(\d+)\.yaml$`)

// TestGoldenMatrixLintsClean: everything render emits lints as render
// says it should for the facts it was rendered for: clean, with the
// default Typha of each version (the guide's v3.20.2 below 1.25, v3.24.5
// from 1.25); on a cluster known to run Terway, with the info that no
// eni-config relay setting was seen. Where nothing says the cluster runs
// Terway, the rules that only hold there are skipped. With the eni-config
// the guide's Typha edit makes of a cluster where Felix enforces
// NetworkPolicy, the info goes.
func TestGoldenMatrixLintsClean(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "testdata", "golden")
	regions, err := os.ReadDir(root)
	require.NoError(t, err)
	eni := filepath.Join(root, "eniconfig", "terway-eniip-veth-typha.yaml")
	count := 0
	for _, region := range regions {
		if !region.IsDir() || region.Name() == "eniconfig" {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, region.Name()))
		require.NoError(t, err)
		for _, file := range files {
			m := goldenRE.FindStringSubmatch(file.Name())
			require.NotNil(t, m, "unexpected golden file %s", file.Name())
			count++
			nodes, err := strconv.Atoi(m[2])
			require.NoError(t, err)
			facts := lint.Facts{Nodes: nodes, KubeVersion: m[1], Region: region.Name()}
			field := []string{} // what the field-truth rules say of the defaults: nothing
			path := filepath.Join(root, region.Name(), file.Name())
			t.Run(region.Name()+"/"+file.Name(), func(t *testing.T) {
				t.Parallel()
				// Nothing shows a Terway cluster: the rules that hold only
				// there are skipped.
				r := mustLint(t, []string{path}, facts)
				assert.ElementsMatch(t, field, ruleIDs(r))
				assert.Equal(t, []string{rules.RuleTyphaRelayNotConfigured, rules.RuleTyphaTierCRD, rules.RuleTyphaFelixRefused}, skippedIDs(r))
				assert.Equal(t, 4, r.Objects)
				assert.Equal(t, len(field) > 0, r.Fails(finding.Warning))
				assert.False(t, r.Fails(finding.Error))

				terway := facts
				terway.Terway = true
				r = mustLint(t, []string{path}, terway)
				assert.ElementsMatch(t, append([]string{rules.RuleTyphaRelayNotConfigured}, field...), ruleIDs(r))
				assert.Empty(t, r.Skipped)

				r = mustLint(t, []string{path, eni}, facts)
				assert.ElementsMatch(t, field, ruleIDs(r))
				assert.Empty(t, r.Skipped)
			})
		}
	}
	assert.Equal(t, 126, count, "testdata/README.md promises 126 renderings")
}

// TestGoldenENIConfig: the eni-config inputs and every edit render makes.
func TestGoldenENIConfig(t *testing.T) {
	t.Parallel()
	typha := filepath.Join("..", "testdata", "golden", "cn-hangzhou", "1.30-1000.yaml")
	tests := []struct {
		file string
		// alone: findings for the ConfigMap by itself; withTypha: with the
		// rendered Typha manifests (1.30: Typha v3.24.5) beside it.
		alone, withTypha []string
	}{
		// IPVlan: Cilium enforces NetworkPolicy, so Typha serves no one.
		{file: "eniconfig/terway-eniip.yaml", alone: []string{}, withTypha: []string{rules.RuleENIEngineNotFelix, rules.RuleTyphaRelayNotConfigured}},
		{file: "eniconfig/terway-eniip-veth.yaml", alone: []string{}, withTypha: []string{rules.RuleTyphaRelayNotConfigured}},
		{file: "eniconfig/no-policy-key.yaml", alone: []string{}, withTypha: []string{rules.RuleTyphaRelayNotConfigured}},
		{file: "eniconfig/policy-disabled.yaml", alone: []string{}, withTypha: []string{rules.RuleTyphaRelayNotConfigured}},
		{file: "eniconfig/already-typha.yaml", alone: []string{rules.RuleENIRelayServiceMissing}, withTypha: []string{}},
		// The Typha edit points Felix at calico-typha: it needs the Service.
		{file: "golden/eniconfig/terway-eniip-typha.yaml", alone: []string{rules.RuleENIEngineNotFelix, rules.RuleENIRelayServiceMissing}, withTypha: []string{rules.RuleENIEngineNotFelix}},
		{file: "golden/eniconfig/terway-eniip-veth-typha.yaml", alone: []string{rules.RuleENIRelayServiceMissing}, withTypha: []string{}},
		{file: "golden/eniconfig/no-policy-key-typha.yaml", alone: []string{rules.RuleENIRelayServiceMissing}, withTypha: []string{}},
		{file: "golden/eniconfig/policy-disabled-typha.yaml", alone: []string{rules.RuleENIRelayServiceMissing}, withTypha: []string{}},
		{file: "golden/eniconfig/already-typha-typha.yaml", alone: []string{rules.RuleENIRelayServiceMissing}, withTypha: []string{}},
		// Disabling NetworkPolicy is clean, except where a relay stays:
		// render warns that it is unused, and so does lint.
		{file: "golden/eniconfig/terway-eniip-disable-policy.yaml", alone: []string{}, withTypha: []string{rules.RuleENIEngineNotFelix, rules.RuleTyphaRelayNotConfigured}},
		{file: "golden/eniconfig/terway-eniip-veth-disable-policy.yaml", alone: []string{}, withTypha: []string{rules.RuleENIEngineNotFelix, rules.RuleTyphaRelayNotConfigured}},
		{file: "golden/eniconfig/no-policy-key-disable-policy.yaml", alone: []string{}, withTypha: []string{rules.RuleTyphaRelayNotConfigured}},
		{file: "golden/eniconfig/policy-disabled-disable-policy.yaml", alone: []string{}, withTypha: []string{rules.RuleTyphaRelayNotConfigured}},
		{file: "golden/eniconfig/already-typha-disable-policy.yaml", alone: []string{rules.RuleENIRelayServiceMissing, rules.RuleENIRelayUnused}, withTypha: []string{rules.RuleENIRelayUnused}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("..", "testdata", tc.file)
			assert.ElementsMatch(t, tc.alone, ruleIDs(mustLint(t, []string{path}, full)))
			assert.ElementsMatch(t, tc.withTypha, ruleIDs(mustLint(t, []string{path, typha}, full)))
		})
	}
}

// TestRenderAgrees: render's output, with its overrides, lints clean in
// both encodings, and as the typed objects themselves, for the facts it
// was rendered for; where render warns
// about replicas, lint reports the same finding.
func TestRenderAgrees(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	base := render.Options{Region: "cn-shanghai-finance-1", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1"}
	with := func(edit func(*render.Options)) render.Options { o := base; edit(&o); return o }
	tests := []struct {
		name string
		opts render.Options
		want []string // besides typha-relay-not-configured
	}{
		{name: "defaults", opts: base},
		{name: "mirror and digest", opts: with(func(o *render.Options) {
			o.Registry, o.Repository, o.Tag, o.Digest = "registry.example.com:5000/mirror", "calico/typha", "v3.27.0", digest
		})},
		{name: "labels and annotations", opts: with(func(o *render.Options) {
			o.Labels = map[string]string{"team": "net", render.AppLabel: render.Name}
			o.Annotations = map[string]string{"example.com/owner": "net"}
		})},
		{name: "more replicas", opts: with(func(o *render.Options) { o.Replicas = 8 })},
		{name: "old cluster", opts: with(func(o *render.Options) { o.KubeVersion = "v1.16.9-aliyun.1" })},
		{name: "unknown region", opts: with(func(o *render.Options) { o.Region = "xx-nowhere-1" })},
		{name: "too few replicas", opts: with(func(o *render.Options) { o.Replicas = 3 }), want: []string{rules.RuleReplicasBelowRecommended}},
		{name: "replicas not below nodes", opts: with(func(o *render.Options) { o.Nodes = 3 }), want: []string{rules.RuleReplicasNotBelowNodes}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := render.Render(tc.opts)
			require.NoError(t, err)
			facts := lint.Facts{Nodes: tc.opts.Nodes, KubeVersion: tc.opts.KubeVersion, Region: tc.opts.Region, Terway: true}
			want := append(append([]string{}, tc.want...), rules.RuleTyphaRelayNotConfigured)
			var yamlOut, jsonOut bytes.Buffer
			require.NoError(t, render.EncodeYAML(&yamlOut, res.Objects()...))
			require.NoError(t, render.EncodeJSON(&jsonOut, res.Objects()...))
			typed := make([]runtime.Object, 0, len(res.Objects()))
			for _, o := range res.Objects() {
				typed = append(typed, o)
			}
			for name, data := range map[string][]byte{"yaml": yamlOut.Bytes(), "json": jsonOut.Bytes(), "typed": nil} {
				objs, err := lint.Parse("rendered."+name, data)
				if name == "typed" {
					// The objects render built, not their encoding.
					objs, err = rules.FromTyped(typed...)
					require.Len(t, objs, len(typed))
				}
				require.NoError(t, err, name)
				r, err := lint.Lint(objs, facts)
				require.NoError(t, err, name)
				got := ruleIDs(r)
				sort.Strings(got)
				sort.Strings(want)
				assert.Equal(t, want, got, name)
			}
			replicaWarnings := 0
			for _, f := range res.Findings {
				if f.Rule == "" && strings.Contains(f.Message, "replicas") {
					replicaWarnings++
				}
			}
			assert.Equal(t, len(tc.want), replicaWarnings, "render warns where lint finds: %v", res.Findings)
		})
	}
}
