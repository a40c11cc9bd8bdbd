package lint_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

func TestCheckRendering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    render.Options
		eni  map[string]string
		want []string
	}{
		{"guide defaults at 1.24", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured}},
		{"defaults at 1.30: Typha v3.24.5", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured}},
		{"the guide's tag at 1.30, vouched for", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Tag: "v3.20.2", Vouch: render.Vouch{EndpointSliceV1: true}}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured, lint.RuleTyphaVouched}},
		{"a tag in the window", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Tag: "v3.26.4"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured}},
		{"a tag Felix 3.24.5 cannot use, vouched for", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Tag: "v3.32.1", Vouch: render.Vouch{TierCRD: true, FelixModernPolicyKeys: true}}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured, lint.RuleTyphaVouched}},
		{"a tag that is no release", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Tag: "latest"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured, lint.RuleTyphaTagNotRelease}},
		{"another region's VPC registry", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1", Registry: "registry-vpc.cn-beijing.aliyuncs.com"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured, lint.RuleImageRegionMismatch}},
		{"another region's public registry", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1", Registry: "registry.cn-beijing.aliyuncs.com"}, nil,
			[]string{lint.RuleTyphaRelayNotConfigured, lint.RuleImageRegionPublic}},
		{"an eni-config with Cilium", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1"},
			map[string]string{terway.KeyCNIConf: `{"type": "terway", "network_policy_provider": "ebpf"}`, terway.KeyFelixRelayService: "calico-typha"},
			[]string{lint.RuleENIEngineNotFelix}},
		{"an eni-config relaying to Typha with Felix", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1"},
			map[string]string{terway.KeyCNIConf: `{"type": "terway"}`, terway.KeyFelixRelayService: "calico-typha"},
			[]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := render.Render(tc.o)
			require.NoError(t, err)
			var cm *corev1.ConfigMap
			if tc.eni != nil {
				cm = &corev1.ConfigMap{Data: tc.eni}
				cm.Name, cm.Namespace = terway.ENIConfigName, terway.ENIConfigNamespace
			}
			r, err := lint.CheckRendering(tc.o, res, cm)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, ruleIDs(r))
			assert.Empty(t, r.Skipped)
		})
	}
}

// TestCheckRenderedYAMLLines: findings about a rendering name lines of the
// YAML EncodeYAML writes (the bytes typharender render prints), and
// CheckRendering, which encodes that YAML itself, gives the same findings.
func TestCheckRenderedYAMLLines(t *testing.T) {
	t.Parallel()
	o := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Tag: "latest"}
	res, err := render.Render(o)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, render.EncodeYAML(&buf, res.Objects()...))
	r, err := lint.CheckRenderedYAML(o, buf.Bytes(), nil)
	require.NoError(t, err)
	lines := strings.Split(buf.String(), "\n")
	var found bool
	for _, f := range r.Findings {
		if f.Rule != lint.RuleTyphaTagNotRelease {
			continue
		}
		found = true
		assert.Equal(t, lint.RenderingName, f.File)
		require.Greater(t, f.Line, 0)
		require.LessOrEqual(t, f.Line, len(lines))
		assert.Contains(t, lines[f.Line-1], "image: quay.io/calico/typha:latest")
	}
	assert.True(t, found, "no %s finding", lint.RuleTyphaTagNotRelease)
	again, err := lint.CheckRendering(o, res, nil)
	require.NoError(t, err)
	assert.Equal(t, r, again)
}
