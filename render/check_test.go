package render_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
)

// TestCheckSameAsLintOfTheYAML: the findings render returns, from the
// rules run on the typed objects it built (no encoding), are the findings
// the same rules give on the YAML render writes for those objects, read
// back as lint reads a file: the same rules, severities, objects, fields
// and messages, in the same order. It covers every Kubernetes version
// range, registries of every family, tags the version table refuses
// (vouched for), the day-two features, and the cluster's eni-config.
func TestCheckSameAsLintOfTheYAML(t *testing.T) {
	t.Parallel()
	base := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}
	with := func(f func(*render.Options)) render.Options { o := base; f(&o); return o }
	cases := map[string]render.Options{
		"1.30":                 base,
		"1.20 at 3 nodes":      with(func(o *render.Options) { o.KubeVersion, o.Nodes = "1.20", 3 }),
		"1.24 cross-region":    with(func(o *render.Options) { o.KubeVersion, o.Registry = "1.24", "registry-vpc.cn-beijing.aliyuncs.com" }),
		"1.24 public registry": with(func(o *render.Options) { o.KubeVersion, o.Registry = "1.24", "registry.cn-beijing.aliyuncs.com" }),
		"latest":               with(func(o *render.Options) { o.Tag = "latest" }),
		"v3.20.2 vouched":      with(func(o *render.Options) { o.Tag, o.Vouch.EndpointSliceV1 = "v3.20.2", true }),
		"v3.32.1 vouched":      with(func(o *render.Options) { o.Tag, o.Vouch.TierCRD, o.Vouch.FelixModernPolicyKeys = "v3.32.1", true, true }),
		"features":             with(func(o *render.Options) { o.Autoscaler, o.Metrics, o.ZoneSpread, o.Tag = true, true, true, "v3.26.4" }),
		"labels":               with(func(o *render.Options) { o.Labels = map[string]string{"team": "yes", "on": "true"} }),
	}
	var eniConfigs []string
	for _, name := range []string{"terway-eniip.yaml", "policy-disabled.yaml", "already-typha.yaml"} {
		eniConfigs = append(eniConfigs, filepath.Join("..", "testdata", "eniconfig", name))
	}
	eniConfigs = append(eniConfigs, filepath.Join("..", "cmd", "typharender", "testdata", "input", "eni-config-relay-block.yaml"), filepath.Join("..", "cmd", "typharender", "testdata", "input", "eni-config-ebpf.yaml"))
	for name, o := range cases {
		for _, eni := range append([]string{""}, eniConfigs...) {
			t.Run(name+"/"+filepath.Base(eni), func(t *testing.T) {
				t.Parallel()
				o := o
				var eniYAML []byte
				if eni != "" {
					data, err := os.ReadFile(eni)
					require.NoError(t, err)
					o.ENIConfig, err = render.ReadENIConfig(eni, data)
					require.NoError(t, err)
					cm := o.ENIConfig.DeepCopy()
					cm.APIVersion, cm.Kind = "v1", "ConfigMap"
					var buf bytes.Buffer
					require.NoError(t, render.EncodeYAML(&buf, cm))
					eniYAML = append([]byte("---\n"), buf.Bytes()...)
				}
				res, err := render.Render(o)
				require.NoError(t, err)
				var out bytes.Buffer
				require.NoError(t, render.EncodeYAML(&out, res.Objects()...))
				objs, err := lint.Parse("rendered.yaml", append(out.Bytes(), eniYAML...))
				require.NoError(t, err)
				all, _ := rules.Run(objs, rules.Facts{Nodes: o.Nodes, KubeVersion: res.Version, Region: o.Region, Terway: true})
				var want []finding.Finding
				for _, f := range all {
					if f.Severity >= finding.Warning && !render.CoveredBySizing(f.Rule) {
						f.File, f.Line = "", 0 // the typed objects come from no file
						want = append(want, f)
					}
				}
				var got []finding.Finding
				for _, f := range res.Findings {
					if f.Rule != "" {
						got = append(got, f)
					}
				}
				assert.Equal(t, want, got)
			})
		}
	}
}

// TestRendererSameAsRender: a Renderer shared by goroutines, which
// converts each distinct object once, returns what Render returns, for
// clusters that share objects and clusters that do not.
func TestRendererSameAsRender(t *testing.T) {
	t.Parallel()
	var opts []render.Options
	for _, nodes := range []int{3, 300, 1000, 1000, 5000} {
		for _, tag := range []string{"", "latest"} {
			opts = append(opts, render.Options{Region: "cn-hangzhou", Nodes: nodes, KubeVersion: "1.24", Tag: tag, Registry: "registry.cn-beijing.aliyuncs.com"})
		}
	}
	var r render.Renderer
	got := make([]*render.Result, len(opts))
	done := make(chan int)
	for i := range opts {
		go func() {
			var err error
			got[i], err = r.Render(opts[i])
			assert.NoError(t, err)
			done <- i
		}()
	}
	for range opts {
		<-done
	}
	for i, o := range opts {
		want, err := render.Render(o)
		require.NoError(t, err)
		assert.Equal(t, want.Findings, got[i].Findings, "%+v", o)
		assert.NotEmpty(t, got[i].Findings, "%+v: the case shows no finding", o)
	}
}
