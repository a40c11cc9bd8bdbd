package terway

import (
	"regexp"
	"strings"
	"testing"
)

// TestIsRegionID holds the hand-written check to the regular expression it
// stands for, on hand-picked cases and on every short string over a small
// alphabet.
func TestIsRegionID(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+){1,4}$`)
	cases := []string{
		"cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "cn-north-2-gov-1", "cn-wuhan-lr",
		"", "cn", "c-hangzhou", "cn-", "-cn", "cn--x", "cn-x-", "cn-a-b-c-d-e", "cn-a-b-c-d",
		"cn-hangzhou.evil.example/x", "CN-HANGZHOU", "cn hangzhou", "cn-hangzhou\n", "{REGION-ID}", "1n-x", "cn-ä",
		strings.Repeat("a", 61) + "-b", strings.Repeat("a", 62) + "-b",
	}
	for _, s := range cases {
		want := len(s) <= 63 && re.MatchString(s)
		if got := isRegionID(s); got != want {
			t.Errorf("isRegionID(%q) = %v, want %v", s, got, want)
		}
	}
	// Every string of up to 6 bytes over an alphabet that covers each branch.
	alphabet := []byte("a1-.Z")
	var walk func(prefix []byte)
	walk = func(prefix []byte) {
		s := string(prefix)
		if got, want := isRegionID(s), re.MatchString(s); got != want {
			t.Fatalf("isRegionID(%q) = %v, want %v", s, got, want)
		}
		if len(prefix) == 6 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c))
		}
	}
	walk(nil)
}
