package versioning_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/versioning"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		minor uint64
	}{
		{name: "major.minor", in: "1.21", minor: 21},
		{name: "with v", in: "v1.21", minor: 21},
		{name: "patch", in: "v1.21.3", minor: 21},
		{name: "no v", in: "1.30.7", minor: 30},
		{name: "aliyun", in: "v1.30.7-aliyun.1", minor: 30},
		{name: "aliyun pre 1.21", in: "v1.20.11-aliyun.1", minor: 20},
		{name: "eks", in: "v1.24.7-eks-fb459a0", minor: 24},
		{name: "gke", in: "v1.25.3-gke.100", minor: 25},
		{name: "rke2", in: "v1.28.3+rke2r1", minor: 28},
		{name: "k3s", in: "v1.29.1+k3s1", minor: 29},
		{name: "whitespace", in: "  v1.16.9-aliyun.1\n", minor: 16},
		{name: "old", in: "1.15", minor: 15},
		{name: "future", in: "v1.40.0", minor: 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := versioning.Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, uint64(1), v.Major())
			assert.Equal(t, tc.minor, v.Minor())
			assert.Equal(t, versioning.New(1, tc.minor).String(), v.String())
			assert.Equal(t, 0, v.Compare(versioning.New(1, tc.minor)), "vendor builds and patches are the same minor release")
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, reason string
	}{
		{name: "empty", in: "", reason: "empty"},
		{name: "blank", in: "   ", reason: "empty"},
		{name: "major only", in: "1", reason: "two or three"},
		{name: "four numbers", in: "1.2.3.4", reason: "two or three"},
		{name: "words", in: "latest", reason: "two or three"},
		{name: "major 2", in: "2.0", reason: "major version 2"},
		{name: "major 0", in: "v0.37.2", reason: "major version 0"},
		{name: "leading zero", in: "1.021", reason: `"021"`},
		{name: "negative", in: "1.-2", reason: "not a number"},
		{name: "capital V", in: "V1.21", reason: `"V1"`},
		{name: "bad suffix", in: "v1.21.3-", reason: "suffix"},
		{name: "minor only with suffix", in: "v1.21-aliyun", reason: "MAJOR.MINOR.PATCH before it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := versioning.Parse(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, versioning.ErrInvalidVersion)
			var pe *versioning.ParseError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tc.in, pe.Input)
			assert.Contains(t, err.Error(), tc.reason)
			assert.Contains(t, err.Error(), "v1.30.7-aliyun.1", "the message says what is accepted")
		})
	}
}

func TestParseLongInput(t *testing.T) {
	t.Parallel()
	long := "v1.21." + string(make([]byte, 500))
	_, err := versioning.Parse(long)
	require.ErrorIs(t, err, versioning.ErrInvalidVersion)
	assert.Less(t, len(err.Error()), 400, "the message stays readable")
}

func TestCompare(t *testing.T) {
	t.Parallel()
	v120 := versioning.MustParse("v1.20.11-aliyun.1")
	v121 := versioning.MustParse("1.21")
	v121b := versioning.MustParse("v1.21.14+rke2r1")
	assert.True(t, v120.LessThan(v121))
	assert.False(t, v121.LessThan(v120))
	assert.True(t, v121.AtLeast(v121b))
	assert.True(t, v121b.AtLeast(v121))
	assert.False(t, v120.AtLeast(v121))
	assert.Equal(t, -1, v120.Compare(v121))
	assert.Equal(t, 1, v121.Compare(v120))
	assert.Equal(t, "v1.21.14+rke2r1", v121b.Original())
	assert.True(t, versioning.Version{}.IsZero())
	assert.False(t, v121.IsZero())
}

func TestMustParsePanics(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { versioning.MustParse("nope") })
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		wantErr      bool
		wantWarnings int
	}{
		{name: "1.15 refused", in: "v1.15.12", wantErr: true},
		{name: "1.16 oldest", in: "v1.16.9-aliyun.1"},
		{name: "1.30", in: "v1.30.7-aliyun.1"},
		{name: "newest known", in: versioning.MaxKnown().String()},
		{name: "newer than known", in: "v1.38.0-aliyun.1", wantWarnings: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			warnings, err := versioning.Check(versioning.MustParse(tc.in))
			if tc.wantErr {
				require.ErrorIs(t, err, versioning.ErrUnsupportedVersion)
				var ue *versioning.UnsupportedError
				require.ErrorAs(t, err, &ue)
				assert.Contains(t, err.Error(), "1.16 and later", "the message states the supported range")
				assert.Contains(t, err.Error(), tc.in, "the message names the input")
				return
			}
			require.NoError(t, err)
			assert.Len(t, warnings, tc.wantWarnings)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"1.21", "v1.21.3", "v1.30.7-aliyun.1", "v1.24.7-eks-fb459a0", "v1.25.3-gke.100",
		"v1.28.3+rke2r1", "v1.29.1+k3s1", " 1.16 ", "", "v", "1.", "1.2.3.4", "v1.21-", "v1.21.3+",
		"99999999999999999999.1", "1.99999999999999999999", "v1.21.3-aliyun.1+build.7",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := versioning.Parse(s)
		if err != nil {
			if !errors.Is(err, versioning.ErrInvalidVersion) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidVersion", s, err)
			}
			return
		}
		if v.Major() != 1 {
			t.Fatalf("Parse(%q) major = %d", s, v.Major())
		}
		// The canonical form parses back to the same release.
		again, err := versioning.Parse(v.String())
		if err != nil || again.Compare(v) != 0 {
			t.Fatalf("Parse(%q).String() = %q does not round-trip: %v", s, v.String(), err)
		}
		_, _ = versioning.Check(v)
	})
}
