package versioning

import (
	"testing"

	"github.com/Masterminds/semver/v3"
)

// FuzzParseSemVer checks parseSemVer against Masterminds/semver's
// StrictNewVersion, which Parse used before: the same inputs are accepted,
// with the same major and minor numbers.
func FuzzParseSemVer(f *testing.F) {
	for _, s := range []string{
		"1.21.3", "1.30.7-aliyun.1", "1.24.7-eks-fb459a0", "1.25.3-gke.100", "1.28.3+rke2r1",
		"1.2.3-rc.1+build.5", "1.2.3+b-c", "1.2.3-a-b", "1.2.3+a+b", "1.2.3-", "1.2.3+", "1.2.3-01",
		"1.2.3-0", "1.2.3-0a", "1.2.3+01", "01.2.3", "1.02.3", "1.2.03", "1.2", "1.2.3.4", "1..3", ".1.2",
		"1-a.2.3", "1.2-x.3", "1+a.2.3", "1.2.3-a..b", "1.2.3-é", "18446744073709551616.0.0", "0.0.0", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxInputLen {
			t.Skip("Parse refuses longer input first")
		}
		major, minor, ok := parseSemVer(s)
		v, err := semver.StrictNewVersion(s)
		if ok != (err == nil) {
			t.Fatalf("parseSemVer(%q) ok = %v; StrictNewVersion error %v", s, ok, err)
		}
		if ok && (major != v.Major() || minor != v.Minor()) {
			t.Fatalf("parseSemVer(%q) = %d.%d; StrictNewVersion %d.%d", s, major, minor, v.Major(), v.Minor())
		}
	})
}
