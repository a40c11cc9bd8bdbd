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
		{"v3.31.9", "1.37", felix, nil},
		{"v3.32.0", "1.37", felix, []Problem{ProblemFelixRefused}},
		{"v3.32.0", "1.37", Release{3, 20, 2}, []Problem{ProblemFelixRefused}},
		{"v3.33.1", "1.24", Release{3, 32, 0}, nil},
	} {
		got := CheckTypha(mustRelease(t, tc.typha), versioning.MustParse(tc.kube), tc.felix)
		var problems []Problem
		for _, f := range got {
			problems = append(problems, f.Problem)
		}
		assert.Equal(t, tc.want, problems, "%s at %s with Felix %s", tc.typha, tc.kube, tc.felix)
	}
	msg := CheckTypha(Release{3, 20, 2}, versioning.MustParse("1.30"), felix)[0].Message
	for _, s := range []string{"discovery.k8s.io/v1beta1", "EndpointSlice", EndpointSliceLogLine, "v3.23.0 to v3.31", "1.30"} {
		assert.Contains(t, msg, s)
	}
	msg = CheckTypha(Release{3, 32, 0}, versioning.MustParse("1.30"), felix)[0].Message
	for _, s := range []string{"modern policy keys", "v3.24.5", "v3.23.0 to v3.31"} {
		assert.Contains(t, msg, s)
	}
	from, before := TyphaWindow()
	assert.Equal(t, "v3.23.0", from.String())
	assert.Equal(t, "v3.32.0", before.String())
}

func mustRelease(t *testing.T, s string) Release {
	t.Helper()
	r, ok := ParseRelease(s)
	if !ok {
		t.Fatalf("not a release: %q", s)
	}
	return r
}
