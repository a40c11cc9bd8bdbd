package imageref_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/typharender/typharender/internal/golden" // -update flag
	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/render"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		ref  string
		want imageref.Image
	}{
		{name: "guide", ref: "registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2",
			want: imageref.Image{Registry: "registry-vpc.cn-hangzhou.aliyuncs.com", Repository: "acs/typha", Tag: "v3.20.2"}},
		{name: "digest", ref: "registry.example.com:5000/mirror/acs/typha:v3.20.2@" + digest,
			want: imageref.Image{Registry: "registry.example.com:5000", Repository: "mirror/acs/typha", Tag: "v3.20.2", Digest: digest}},
		{name: "digest only", ref: "registry.example.com/typha@" + digest,
			want: imageref.Image{Registry: "registry.example.com", Repository: "typha", Digest: digest}},
		{name: "short", ref: "typha", want: imageref.Image{Repository: "typha"}},
		{name: "hub path", ref: "calico/typha:v3.20.2", want: imageref.Image{Repository: "calico/typha", Tag: "v3.20.2"}},
		{name: "localhost", ref: "localhost/typha", want: imageref.Image{Registry: "localhost", Repository: "typha"}},
		{name: "port no tag", ref: "host:5000/typha", want: imageref.Image{Registry: "host:5000", Repository: "typha"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := imageref.Parse(tc.ref)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.ref, got.String())
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ref, reason string }{
		{name: "empty", ref: "", reason: "is empty"},
		{name: "placeholder", ref: "registry-vpc.{REGION-ID}.aliyuncs.com/acs/typha:v3.20.2", reason: `has registry host "registry-vpc.{REGION-ID}.aliyuncs.com"`},
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
			_, err := imageref.Parse(tc.ref)
			require.Error(t, err)
			assert.True(t, errors.Is(err, imageref.ErrImage))
			var ie *imageref.ImageError
			require.ErrorAs(t, err, &ie)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

// TestParseRendered: every image render builds parses back to its parts.
func TestParseRendered(t *testing.T) {
	t.Parallel()
	res, err := render.Render(render.Options{Region: "cn-shanghai-finance-1", Nodes: 1000, KubeVersion: "1.30",
		Registry: "registry.example.com:5000/mirror", Tag: "v3.27.0"})
	require.NoError(t, err)
	got, err := imageref.Parse(res.Image)
	require.NoError(t, err)
	assert.Equal(t, imageref.Image{Registry: "registry.example.com:5000", Repository: "mirror/calico/typha", Tag: "v3.27.0"}, got)
}

// TestTagAndDigestBounds: IsTag and IsDigest accept exactly what the
// distribution/reference patterns with counted repetition accept
// (^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ and ^sha256:[a-f0-9]{64}$), at and
// around the length limits.
func TestTagAndDigestBounds(t *testing.T) {
	t.Parallel()
	tagRE := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE := regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	var tags, digests []string
	for _, n := range []int{0, 1, 2, 63, 64, 65, 127, 128, 129, 200} {
		tags = append(tags, strings.Repeat("a", n), "_"+strings.Repeat("v.1-", n), "."+strings.Repeat("a", n), "-"+strings.Repeat("a", n), strings.Repeat("a", n)+"/")
		digests = append(digests, "sha256:"+strings.Repeat("0a", n)[:min(2*n, n)], "sha256:"+strings.Repeat("f", n), "sha256:"+strings.Repeat("F", n), "sha512:"+strings.Repeat("f", n), strings.Repeat("f", n))
	}
	for _, s := range tags {
		if got, want := imageref.IsTag(s), tagRE.MatchString(s); got != want {
			t.Errorf("IsTag(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range digests {
		if got, want := imageref.IsDigest(s), digestRE.MatchString(s); got != want {
			t.Errorf("IsDigest(%q) = %v, want %v", s, got, want)
		}
	}
	assert.True(t, imageref.IsTag(strings.Repeat("a", 128)))
	assert.False(t, imageref.IsTag(strings.Repeat("a", 129)))
	assert.True(t, imageref.IsDigest("sha256:"+strings.Repeat("f", 64)))
}
