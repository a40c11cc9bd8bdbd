package terway

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/typharender/typharender/versioning"
)

func TestParseRelease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Release
		ok   bool
	}{
		{"v3.20.2", Release{3, 20, 2}, true},
		{"3.24", Release{3, 24, 0}, true},
		{"v1.17.5-aliyun.1", Release{1, 17, 5}, true},
		{" v3.26.4+build ", Release{3, 26, 4}, true},
		{"latest", Release{}, false},
		{"v3", Release{}, false},
		{"v3.20.2.1", Release{}, false},
		{"v3.x.1", Release{}, false},
		{"v03.20.2", Release{}, false},
		{"", Release{}, false},
	} {
		got, ok := ParseRelease(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	assert.Equal(t, "v3.20.2", Release{3, 20, 2}.String())
}

// One case per row of felixByTerway, and its edges.
func TestFelixForTerway(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		terway string
		felix  string
		ok     bool
	}{
		{"v1.0.9", "", false},
		{"v1.0.10", "v3.5.2", true},
		{"v1.1.0", "v3.20.2", true},
		{"v1.4.4", "v3.20.2", true},
		{"v1.5.0", "v3.20.2", true},
		{"v1.5.1", "v3.24.5", true},
		{"v1.17.5", "v3.24.5", true},
	} {
		r, _ := ParseRelease(tc.terway)
		felix, ok := FelixForTerway(r)
		assert.Equal(t, tc.ok, ok, tc.terway)
		if ok {
			assert.Equal(t, tc.felix, felix.String(), tc.terway)
		}
	}
	assert.Equal(t, "v3.24.5", CurrentFelix().String())
}

func TestCheckTypha(t *testing.T) {
	t.Parallel()
	felix := CurrentFelix()
	for _, tc := range []struct {
		typha string
		kube  string
		felix Release
		want  []Problem
	}{
		{"v3.20.2", "1.24", felix, nil},
		{"v3.19.4", "1.30", felix, nil}, // lists no EndpointSlices at all
		{"v3.3.1", "1.30", felix, nil},
		{"v3.20.0", "1.25", felix, []Problem{ProblemEndpointSlice}},
		{"v3.20.2", "1.25", felix, []Problem{ProblemEndpointSlice}},
		{"v3.20.2", "v1.30.7-aliyun.1", felix, []Problem{ProblemEndpointSlice}},
		{"v3.22.9", "1.37", felix, []Problem{ProblemEndpointSlice}},
		{"v3.23.0", "1.37", felix, nil},
		{"v3.24.5", "1.35", felix, nil},
		{"v3.28.5", "1.37", felix, nil},
		{"v3.29.0", "1.24", felix, []Problem{ProblemTierCRD}},
		{"v3.29.7", "1.37", felix, []Problem{ProblemTierCRD}},
		{"v3.31.9", "1.37", felix, []Problem{ProblemTierCRD}},
		{"v3.32.0", "1.37", felix, []Problem{ProblemTierCRD, ProblemFelixRefused}},
		{"v3.32.0", "1.37", Release{3, 20, 2}, []Problem{ProblemTierCRD, ProblemFelixRefused}},
		{"v3.33.1", "1.24", Release{3, 32, 0}, []Problem{ProblemTierCRD}},
	} {
		got := CheckTypha(mustRelease(t, tc.typha), versioning.MustParse(tc.kube), tc.felix)
		var problems []Problem
		for _, f := range got {
			problems = append(problems, f.Problem)
			assert.Equal(t, "a Typha tag from v3.23 to v3.28", f.Instead)
		}
		assert.Equal(t, tc.want, problems, "%s at %s with Felix %s", tc.typha, tc.kube, tc.felix)
	}
	f := CheckTypha(Release{3, 20, 2}, versioning.MustParse("1.30"), felix)[0]
	assert.Equal(t, ClaimEndpointSliceV1, f.Claim)
	for _, s := range []string{"discovery.k8s.io/v1beta1", "EndpointSlice", EndpointSliceLogLine, "1.30"} {
		assert.Contains(t, f.Message, s)
	}
	f = CheckTypha(Release{3, 31, 7}, versioning.MustParse("1.30"), felix)[0]
	assert.Equal(t, ClaimTierCRD, f.Claim)
	for _, s := range []string{"Tier", InitFailedLogLine, "v3.31.7"} {
		assert.Contains(t, f.Message, s)
	}
	f = CheckTypha(Release{3, 32, 0}, versioning.MustParse("1.30"), felix)[1]
	assert.Equal(t, ClaimFelixModernPolicyKeys, f.Claim)
	for _, s := range []string{"modern policy keys", "v3.24.5"} {
		assert.Contains(t, f.Message, s)
	}
	from, before := TyphaWindow()
	assert.Equal(t, "v3.23.0", from.String())
	assert.Equal(t, "v3.29.0", before.String())
	assert.Equal(t, []Claim{ClaimEndpointSliceV1, ClaimTierCRD, ClaimFelixModernPolicyKeys}, Claims())
}

// TestDefaultTypha: one case per row of the default-image table and its
// edges; every default passes CheckTypha at every version it covers.
func TestDefaultTypha(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kube, want string }{
		{"1.16", "REGION/acs/typha:v3.20.2"},
		{"v1.24.6-aliyun.1", "REGION/acs/typha:v3.20.2"},
		{"v1.25.0", "quay.io/calico/typha:v3.24.5"},
		{"v1.35.2-aliyun.1", "quay.io/calico/typha:v3.24.5"},
		{"1.37", "quay.io/calico/typha:v3.24.5"},
	} {
		kube := versioning.MustParse(tc.kube)
		row := DefaultTyphaFor(kube)
		assert.Equal(t, tc.want, row.Image.Ref("REGION"), tc.kube)
		rel := mustRelease(t, row.Image.Tag)
		assert.Empty(t, CheckTypha(rel, kube, CurrentFelix()), "the default at %s", tc.kube)
		assert.NotEmpty(t, row.Why)
		assert.NotEmpty(t, row.Source)
	}
	rows := DefaultTyphas()
	rows[0].Image.Tag = "mutated"
	assert.Equal(t, "v3.20.2", DefaultTyphas()[0].Image.Tag, "a fresh slice")
	assert.Equal(t, "v1.6.1", FirstTerwayWithRelay().String())
}

func mustRelease(t *testing.T, s string) Release {
	t.Helper()
	r, ok := ParseRelease(s)
	if !ok {
		t.Fatalf("not a release: %q", s)
	}
	return r
}

func TestClaimSays(t *testing.T) {
	t.Parallel()
	for _, c := range Claims() {
		assert.NotEmpty(t, c.Says(), c)
	}
	assert.Equal(t, "this Typha image lists EndpointSlices through discovery.k8s.io/v1", ClaimEndpointSliceV1.Says())
	assert.Empty(t, Claim("no-such-claim").Says())
	assert.True(t, FamilyGuide.SharedNamespaces())
	assert.True(t, FamilyACK.SharedNamespaces())
	assert.False(t, FamilyEnterprise.SharedNamespaces())
}
