package versioning

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes minor release, the granularity at which the API
// server decides what it serves. The zero value is not a valid version; get
// one from [Parse], [MustParse] or [New].
type Version struct {
	major, minor uint64
	original     string
}

// ErrInvalidVersion is wrapped by every [ParseError].
var ErrInvalidVersion = errors.New("invalid Kubernetes version")

// ErrUnsupportedVersion is wrapped by every [UnsupportedError].
var ErrUnsupportedVersion = errors.New("unsupported Kubernetes version")

// ParseError reports a version string that is not a Kubernetes version.
type ParseError struct {
	Input  string // the string as given
	Reason string // what is wrong with it
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid Kubernetes version %q: %s; want MAJOR.MINOR[.PATCH] with an optional leading v and vendor suffix, such as 1.21, v1.21.3 or v1.30.7-aliyun.1", e.Input, e.Reason)
}

// Unwrap returns [ErrInvalidVersion].
func (e *ParseError) Unwrap() error { return ErrInvalidVersion }

// UnsupportedError reports a version older than typharender can render for.
type UnsupportedError struct {
	Version Version // the version that was refused
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("Kubernetes %s (%q) is not supported: the CustomResourceDefinition needs %s, served from %s; supported versions are %s and later (tested up to %s)",
		e.Version, e.Version.Original(), CRDAPIVersion, MinSupported(), MinSupported(), MaxKnown())
}

// Unwrap returns [ErrUnsupportedVersion].
func (e *UnsupportedError) Unwrap() error { return ErrUnsupportedVersion }

// New returns the version major.minor.
func New(major, minor uint64) Version {
	return Version{major: major, minor: minor}
}

// MustParse is like [Parse] but panics on error. Use it for constants in
// code and tests, never on user input.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// maxInputLen bounds the input so that error messages stay readable.
const maxInputLen = 128

// Parse reads a Kubernetes version as a cluster or a user reports it:
// "1.21", "v1.21.3", "v1.30.7-aliyun.1", "v1.24.7-eks-fb459a0",
// "v1.25.3-gke.100", "v1.28.3+rke2r1". Surrounding white space is trimmed.
// Only major and minor are kept for decisions; [Version.Original] returns
// the input. The major version must be 1.
func Parse(s string) (Version, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Version{}, &ParseError{Input: s, Reason: "it is empty"}
	}
	if len(in) > maxInputLen {
		return Version{}, &ParseError{Input: in[:32] + "...", Reason: fmt.Sprintf("it is longer than %d characters", maxInputLen)}
	}
	core := strings.TrimPrefix(in, "v")
	// Semantic versioning wants all three numbers; accept MAJOR.MINOR too,
	// since that is how people name a Kubernetes release.
	if strings.Count(core, ".") == 1 && !strings.ContainsAny(core, "-+") {
		core += ".0"
	}
	major, minor, ok := parseSemVer(core)
	if !ok {
		return Version{}, &ParseError{Input: s, Reason: reasonFor(core)}
	}
	if major != 1 {
		return Version{}, &ParseError{Input: s, Reason: fmt.Sprintf("major version %d is not 1", major)}
	}
	return Version{major: major, minor: minor, original: in}, nil
}

// parseSemVer reads s as a semantic version 2.0.0,
// MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], and returns its major and minor
// numbers. It accepts what Masterminds/semver's StrictNewVersion accepts
// (a test checks it), without that package: its init compiles regular
// expressions every command would pay for at start-up.
func parseSemVer(s string) (major, minor uint64, ok bool) {
	s, build, hasBuild := strings.Cut(s, "+")
	if hasBuild && !identifiers(build, false) {
		return 0, 0, false
	}
	s, pre, hasPre := strings.Cut(s, "-")
	if hasPre && !identifiers(pre, true) {
		return 0, 0, false
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return 0, 0, false
	}
	var n [3]uint64
	for i, p := range parts {
		if !isDigits(p) || len(p) > 1 && p[0] == '0' {
			return 0, 0, false
		}
		var err error
		if n[i], err = strconv.ParseUint(p, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return n[0], n[1], true
}

// identifiers reports whether s is dot-separated identifiers of ASCII
// letters, digits and '-', none empty; with pre (a pre-release), a numeric
// identifier must not have leading zeros.
func identifiers(s string, pre bool) bool {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" || strings.IndexFunc(id, func(r rune) bool {
			return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '-')
		}) >= 0 {
			return false
		}
		if pre && len(id) > 1 && id[0] == '0' && isDigits(id) {
			return false
		}
	}
	return true
}

// isDigits reports whether s is ASCII digits only (true when empty).
func isDigits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// reasonFor explains why core is not MAJOR.MINOR.PATCH[-pre][+build].
func reasonFor(core string) string {
	nums := core
	i := strings.IndexAny(nums, "-+")
	if i >= 0 {
		nums = nums[:i]
	}
	parts := strings.Split(nums, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return "it does not have two or three dot-separated numbers"
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 64); err != nil || (len(p) > 1 && p[0] == '0') {
			return fmt.Sprintf("%q is not a number without leading zeros", p)
		}
	}
	if i >= 0 && len(parts) == 2 {
		return "a vendor suffix needs MAJOR.MINOR.PATCH before it"
	}
	return "its pre-release or build suffix is malformed"
}

// Major returns the major version (always 1 for a parsed version).
func (v Version) Major() uint64 { return v.major }

// Minor returns the minor version.
func (v Version) Minor() uint64 { return v.minor }

// Original returns the string the version was parsed from, trimmed; for a
// version made by [New], the same as [Version.String].
func (v Version) Original() string {
	if v.original == "" {
		return v.String()
	}
	return v.original
}

// String returns "MAJOR.MINOR", the form decisions are made on.
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

// IsZero reports whether v is the zero Version, which no parse returns.
func (v Version) IsZero() bool { return v.major == 0 && v.minor == 0 }

// Compare returns -1, 0 or +1 as v is older than, the same minor release
// as, or newer than o. Patch levels and vendor suffixes do not count.
func (v Version) Compare(o Version) int {
	switch {
	case v.major != o.major:
		if v.major < o.major {
			return -1
		}
		return 1
	case v.minor < o.minor:
		return -1
	case v.minor > o.minor:
		return 1
	}
	return 0
}

// AtLeast reports whether v is o or newer. Use it for "served from".
func (v Version) AtLeast(o Version) bool { return v.Compare(o) >= 0 }

// LessThan reports whether v is older than o. Use it for "removed in".
func (v Version) LessThan(o Version) bool { return v.Compare(o) < 0 }
