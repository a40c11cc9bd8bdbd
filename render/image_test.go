package render_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/render"
)

func TestParseImage(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		ref  string
		want render.Image
	}{
		{name: "guide", ref: "registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2",
			want: render.Image{Registry: "registry-vpc.cn-hangzhou.aliyuncs.com", Repository: "acs/typha", Tag: "v3.20.2"}},
		{name: "digest", ref: "registry.example.com:5000/mirror/acs/typha:v3.20.2@" + digest,
			want: render.Image{Registry: "registry.example.com:5000", Repository: "mirror/acs/typha", Tag: "v3.20.2", Digest: digest}},
		{name: "digest only", ref: "registry.example.com/typha@" + digest,
			want: render.Image{Registry: "registry.example.com", Repository: "typha", Digest: digest}},
		{name: "short", ref: "typha", want: render.Image{Repository: "typha"}},
		{name: "hub path", ref: "calico/typha:v3.20.2", want: render.Image{Repository: "calico/typha", Tag: "v3.20.2"}},
		{name: "localhost", ref: "localhost/typha", want: render.Image{Registry: "localhost", Repository: "typha"}},
		{name: "port no tag", ref: "host:5000/typha", want: render.Image{Registry: "host:5000", Repository: "typha"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := render.ParseImage(tc.ref)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.ref, got.String())
		})
	}
}

func TestParseImageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ref, reason string }{
		{name: "empty", ref: "", reason: "is empty"},
		{name: "placeholder", ref: "registry-vpc.{REGION-ID}.aliyuncs.com/acs/typha:v3.20.2", reason: "placeholder {REGION-ID}"},
		{name: "upper repository", ref: "registry.example.com/ACS/typha:v1", reason: `repository "ACS/typha"`},
		{name: "bad tag", ref: "registry.example.com/acs/typha:-v1", reason: `tag "-v1"`},
		{name: "bad digest", ref: "registry.example.com/acs/typha@sha256:xyz", reason: `digest "sha256:xyz"`},
		{name: "bad host", ref: "registry-.example.com/acs/typha", reason: `registry host "registry-.example.com"`},
		{name: "space", ref: "registry.example.com/acs/typha v1", reason: `repository "acs/typha v1"`},
		{name: "empty path", ref: "registry.example.com/", reason: `repository ""`},
		{name: "long", ref: "a/" + string(make([]byte, 600)), reason: "longer than 512"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.ParseImage(tc.ref)
			require.Error(t, err)
			assert.True(t, errors.Is(err, render.ErrImage))
			var ie *render.ImageError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

// TestParseImageRendered: every image render builds parses back to its parts.
func TestParseImageRendered(t *testing.T) {
	t.Parallel()
	res := mustRender(t, render.Options{Region: "cn-shanghai-finance-1", Nodes: 1000, KubeVersion: "1.30",
		Registry: "registry.example.com:5000/mirror", Tag: "v3.27.0"})
	got, err := render.ParseImage(res.Image)
	require.NoError(t, err)
	assert.Equal(t, render.Image{Registry: "registry.example.com:5000", Repository: "mirror/acs/typha", Tag: "v3.27.0"}, got)
}

func TestRegistryRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host, region string
		ok           bool
	}{
		{host: render.DefaultRegistry("cn-hangzhou"), region: "cn-hangzhou", ok: true},
		{host: "registry.ap-southeast-1.aliyuncs.com", region: "ap-southeast-1", ok: true},
		{host: "registry-intl.eu-central-1.aliyuncs.com", region: "eu-central-1", ok: true},
		{host: "registry-vpc.cn-shanghai-finance-1.aliyuncs.com", region: "cn-shanghai-finance-1", ok: true},
		{host: "registry.example.com", ok: false},
		{host: "registry-vpc.cn-hangzhou.aliyuncs.com.evil.example", ok: false},
		{host: "", ok: false},
	}
	for _, tc := range tests {
		region, ok := render.RegistryRegion(tc.host)
		assert.Equal(t, tc.ok, ok, tc.host)
		assert.Equal(t, tc.region, region, tc.host)
	}
}
