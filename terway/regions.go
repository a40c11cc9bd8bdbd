package terway

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RegionPlaceholder is the guide's placeholder for the region ID, in its
// image reference. [the guide, calico-typha.yaml]
const RegionPlaceholder = "{REGION-ID}"

// knownRegions are the Alibaba Cloud region IDs typharender knows, sorted.
// A well-formed region outside the list renders with a warning, so a new
// region works before it is added here. [Alibaba Cloud, "Regions and
// zones" and ECS DescribeRegions, as carried since typharender's first
// release]
var knownRegions = [...]string{
	"ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1",
	"ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "cn-beijing", "cn-beijing-finance-1", "cn-chengdu",
	"cn-fuzhou", "cn-guangzhou", "cn-hangzhou", "cn-hangzhou-finance",
	"cn-heyuan", "cn-hongkong", "cn-huhehaote", "cn-nanjing",
	"cn-north-2-gov-1", "cn-qingdao", "cn-shanghai", "cn-shanghai-finance-1",
	"cn-shenzhen", "cn-shenzhen-finance-1", "cn-wuhan-lr", "cn-wulanchabu",
	"cn-zhangjiakou", "eu-central-1", "eu-west-1", "me-central-1",
	"me-east-1", "na-south-1", "us-east-1", "us-west-1",
}

// KnownRegion reports whether region is in typharender's list of Alibaba
// Cloud region IDs. It compares exactly: trim and check with [CheckRegion]
// first.
func KnownRegion(region string) bool {
	_, found := slices.BinarySearch(knownRegions[:], region)
	return found
}

// KnownRegions returns the Alibaba Cloud region IDs typharender knows, in
// order, as a fresh slice.
func KnownRegions() []string {
	return slices.Clone(knownRegions[:])
}

// ErrRegion is wrapped by every [RegionError].
var ErrRegion = errors.New("invalid region")

// RegionError reports a region that cannot be an Alibaba Cloud region ID.
type RegionError struct {
	Region     string // the region as given
	Reason     string // what is wrong and what would be accepted, with the suggestion if any
	Suggestion string // the nearest known region ID, or "" when none is close
}

// Error reads `Region "X": reason`, as render reports its Region option.
func (e *RegionError) Error() string {
	return fmt.Sprintf("Region %q: %s", e.Region, e.Reason)
}

// Unwrap returns [ErrRegion].
func (e *RegionError) Unwrap() error { return ErrRegion }

// CheckRegion returns a [RegionError] unless region has the syntax of an
// Alibaba Cloud region ID, and a warning when it is well formed but not
// known. Surrounding white space is ignored, as versioning.Parse ignores
// it: the region ID is strings.TrimSpace(region). For a region that is
// not known, the error or warning suggests the nearest known one, if one
// is close: the same ID in lower case, or one at most two edits away.
func CheckRegion(region string) (warning string, err error) {
	id := strings.TrimSpace(region)
	fail := func(reason string) (string, error) {
		s := suggestRegion(id)
		if s != "" {
			reason += "; did you mean " + s + "?"
		}
		return "", &RegionError{Region: region, Reason: reason, Suggestion: s}
	}
	switch {
	case id == "":
		return "", &RegionError{Region: region, Reason: "is required: want an Alibaba Cloud region ID such as cn-hangzhou"}
	case strings.Contains(id, RegionPlaceholder):
		return "", &RegionError{Region: region, Reason: "is the guide's placeholder: replace it with the cluster's region ID, such as cn-hangzhou"}
	case !isRegionID(id):
		return fail("is not a region ID: want lowercase letters, digits and dashes, such as cn-hangzhou, ap-southeast-1 or cn-shanghai-finance-1 (dots, slashes, colons, upper case and spaces would change the image host)")
	case !KnownRegion(id):
		if near := oneEditFrom(id); len(near) > 0 {
			// A typo, not a new region: the image host it would name does
			// not exist.
			reason := fmt.Sprintf("is not a known Alibaba Cloud region ID, but one edit from %s: a typo names a region, and a registry host (%s), that do not exist; a new region this close to a known one is refused until typharender knows it", orList(near), DefaultRegistry(id))
			return fail(reason)
		}
		w := fmt.Sprintf("region %q is not a known Alibaba Cloud region ID; check the image host %s", id, DefaultRegistry(id))
		if s := suggestRegion(id); s != "" {
			w += "; did you mean " + s + "?"
		}
		return w, nil
	}
	return "", nil
}

// isRegionID reports whether s has the syntax of an Alibaba Cloud region
// ID: two or more lowercase letters, then one to four groups of a dash and
// lowercase letters or digits, 63 bytes at most (^[a-z]{2,}(-[a-z0-9]+){1,4}$).
// Nothing in it can change the host or path of the image reference it
// lands in.
func isRegionID(s string) bool {
	if len(s) > 63 {
		return false
	}
	letters := 0
	for letters < len(s) && 'a' <= s[letters] && s[letters] <= 'z' {
		letters++
	}
	if letters < 2 || letters == len(s) || s[letters] != '-' {
		return false
	}
	groups, run := 0, 0
	for i := letters; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-':
			if run == 0 && i > letters {
				return false
			}
			groups, run = groups+1, 0
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			run++
		default:
			return false
		}
	}
	return groups >= 1 && groups <= 4 && run > 0
}

// maxSuggestDistance is the largest edit distance at which a known region
// is suggested: one typo (a swapped pair is two edits) and no more, so
// that "us-east-2" suggests us-east-1 but "eu-south-1" suggests nothing.
const maxSuggestDistance = 2

// suggestRegion returns the known region s most likely stands for: the
// same ID in lower case, else the only known ID nearest to it within
// maxSuggestDistance edits (Levenshtein, on bytes, case folded). It
// returns "" when none is close or two are equally close.
func suggestRegion(s string) string {
	lower := strings.ToLower(s)
	if KnownRegion(lower) {
		return lower
	}
	if len(lower) > 63 {
		return ""
	}
	best, bestDist, tie := "", maxSuggestDistance+1, false
	for _, r := range knownRegions {
		d := editDistance(lower, r)
		switch {
		case d < bestDist:
			best, bestDist, tie = r, d, false
		case d == bestDist:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// oneEditFrom returns the known regions one edit (Levenshtein, on bytes)
// from s, in order.
func oneEditFrom(s string) []string {
	if len(s) > 64 {
		return nil
	}
	var out []string
	for _, r := range knownRegions {
		if editDistance(s, r) == 1 {
			out = append(out, r)
		}
	}
	return out
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
