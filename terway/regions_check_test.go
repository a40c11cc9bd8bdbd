package terway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/terway"
)

func TestCheckRegionKnown(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "us-west-1"} {
		assert.True(t, terway.KnownRegion(r), r)
		w, err := terway.CheckRegion(r)
		assert.NoError(t, err)
		assert.Empty(t, w)
	}
	assert.False(t, terway.KnownRegion("cn-atlantis-1"))
}

// TestCheckRegionTrims: surrounding white space is ignored, as
// versioning.Parse ignores it; white space inside is not.
func TestCheckRegionTrims(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"cn-hangzhou ", " cn-hangzhou", "\tcn-hangzhou\n", "cn-hangzhou\r\n"} {
		w, err := terway.CheckRegion(r)
		assert.NoError(t, err, "%q", r)
		assert.Empty(t, w, "%q", r)
	}
	_, err := terway.CheckRegion("cn- hangzhou")
	assert.ErrorIs(t, err, terway.ErrRegion)
	_, err = terway.CheckRegion("   ")
	require.ErrorIs(t, err, terway.ErrRegion)
	assert.Contains(t, err.Error(), "is required")
}

func TestCheckRegionSuggests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, region string
		wantErr      bool   // refused, not warned about
		suggest      string // "" for no suggestion
		candidates   string // in the error: the known regions one edit away
	}{
		{name: "upper case", region: "CN-HANGZHOU", wantErr: true, suggest: "cn-hangzhou"},
		{name: "mixed case", region: "Cn-Hangzhou", wantErr: true, suggest: "cn-hangzhou"},
		{name: "upper case trimmed", region: " AP-SOUTHEAST-1 ", wantErr: true, suggest: "ap-southeast-1"},
		{name: "swapped letters", region: "cn-hangzhuo", suggest: "cn-hangzhou"},
		// One edit from a known region is a typo, not a new region: refused
		// with the suggestion (it used to render with a warning, with an
		// image host that does not exist).
		{name: "one letter off", region: "cn-shangai", wantErr: true, suggest: "cn-shanghai"},
		{name: "wrong digit", region: "us-east-2", wantErr: true, suggest: "us-east-1"},
		{name: "one letter too many", region: "cn-hangzhoua", wantErr: true, suggest: "cn-hangzhou"},
		{name: "typo and upper case", region: "CN-BEIJNG", wantErr: true, suggest: "cn-beijing"},
		{name: "dot typo", region: "cn.hangzhou", wantErr: true, suggest: "cn-hangzhou"},
		{name: "nothing close", region: "cn-atlantis-1"},
		{name: "three edits", region: "cn-hzngzhuo"},
		{name: "one edit from several", region: "ap-southeast-4", wantErr: true, candidates: "one edit from ap-southeast-1, ap-southeast-2, ap-southeast-3, ap-southeast-5, ap-southeast-6 or ap-southeast-7"},
		{name: "two edits from several", region: "ap-southeast-44"},
		{name: "not a region", region: "cn-hangzhou.evil.example/x", wantErr: true},
		{name: "placeholder", region: "{REGION-ID}", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, err := terway.CheckRegion(tc.region)
			hint := "did you mean " + tc.suggest + "?"
			if tc.wantErr {
				var re *terway.RegionError
				require.ErrorAs(t, err, &re)
				assert.True(t, errors.Is(err, terway.ErrRegion))
				assert.Equal(t, tc.region, re.Region)
				assert.Equal(t, tc.suggest, re.Suggestion)
				if tc.suggest != "" {
					assert.True(t, strings.HasSuffix(err.Error(), "; "+hint), err.Error())
				} else {
					assert.NotContains(t, err.Error(), "did you mean")
				}
				if tc.candidates != "" {
					assert.Contains(t, err.Error(), tc.candidates)
				}
				return
			}
			require.NoError(t, err)
			assert.Contains(t, w, "is not a known Alibaba Cloud region ID")
			if tc.suggest != "" {
				assert.True(t, strings.HasSuffix(w, "; "+hint), w)
			} else {
				assert.NotContains(t, w, "did you mean")
			}
		})
	}
}
