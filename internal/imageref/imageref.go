// Package imageref parses and checks container image references with the
// grammar of the distribution/reference package, which render checks its
// image Options against and lint checks the images it reads against.
//
// It is internal because no library caller needs it: render takes the
// registry, repository, tag and digest as separate Options and returns the
// reference as a string, and lint reports a bad reference as a finding.
// Promote it when a caller outside the module needs to split a reference.
package imageref

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Image reference grammar, after the distribution/reference package.
// The patterns are compiled on first use, not at start-up: most commands
// never check an image. Lengths are checked in code, not with counted
// repetition such as {0,127}, which compiles to one instruction per count.
var (
	domainRE = lazyRegexp(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]{1,5})?$`)
	pathRE   = lazyRegexp(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = lazyRegexp(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	digestRE = lazyRegexp(`^sha256:[a-f0-9]+$`)
)

func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// Length limits of a tag and a digest.
const (
	maxTagLen = 128
	digestLen = len("sha256:") + 64
)

// maxNameLen bounds a registry or a repository, as the
// distribution/reference package bounds names.
const maxNameLen = 255

// IsRegistry reports whether s is host[:port] with an optional /path, as
// the registry part of an image reference.
func IsRegistry(s string) bool {
	host, path, hasPath := strings.Cut(s, "/")
	return len(s) <= maxNameLen && domainRE().MatchString(host) && (!hasPath || pathRE().MatchString(path))
}

// IsRepository reports whether s is lowercase path components separated
// by slashes, such as acs/typha.
func IsRepository(s string) bool { return len(s) <= maxNameLen && pathRE().MatchString(s) }

// IsTag reports whether s is up to 128 letters, digits, '_', '.' and '-',
// not starting with '.' or '-'.
func IsTag(s string) bool { return len(s) <= maxTagLen && tagRE().MatchString(s) }

// IsDigest reports whether s is "sha256:" and 64 lowercase hex digits.
func IsDigest(s string) bool { return len(s) == digestLen && digestRE().MatchString(s) }

// ErrImage is wrapped by every [ImageError].
var ErrImage = errors.New("invalid image reference")

// ImageError reports an image reference that does not follow the grammar.
type ImageError struct {
	Ref    string // the reference as given
	Reason string // what is wrong and what would be accepted
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("image %q %s", e.Ref, e.Reason)
}

// Unwrap returns [ErrImage].
func (e *ImageError) Unwrap() error { return ErrImage }

// Image is a parsed image reference: [Registry/]Repository[:Tag][@Digest].
type Image struct {
	Registry   string // host[:port], empty for a Docker Hub short name such as "busybox"
	Repository string // path components, such as "acs/typha"
	Tag        string // empty when absent
	Digest     string // empty when absent; "sha256:<64 hex>"
}

// String returns the reference in its canonical form.
func (i Image) String() string {
	s := i.Repository
	if i.Registry != "" {
		s = i.Registry + "/" + s
	}
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

// maxImageLen bounds an image reference, as the distribution/reference
// package does for names.
const maxImageLen = 512

// Parse parses ref with the grammar render checks Registry, Repository,
// Tag and Digest against (after the distribution/reference package): a
// first component with a dot or a colon, or "localhost", is the registry
// host. It does not fill in defaults: "typha" has no registry and no tag.
// A reference that still holds the guide's {REGION-ID} placeholder is
// invalid: its host is not a host name.
func Parse(ref string) (Image, error) {
	fail := func(reason string) (Image, error) { return Image{}, &ImageError{Ref: ref, Reason: reason} }
	switch {
	case ref == "":
		return fail("is empty: want [registry/]repository[:tag][@sha256:digest], such as registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2")
	case len(ref) > maxImageLen:
		return Image{}, &ImageError{Ref: ref[:32] + "...", Reason: fmt.Sprintf("is longer than %d characters", maxImageLen)}
	}
	var img Image
	rest := ref
	if name, digest, ok := strings.Cut(rest, "@"); ok {
		if !IsDigest(digest) {
			return fail(fmt.Sprintf("has digest %q: want sha256: and 64 lowercase hex digits", digest))
		}
		img.Digest, rest = digest, name
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		tag := rest[i+1:]
		if !IsTag(tag) {
			return fail(fmt.Sprintf("has tag %q: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as v3.20.2", tag))
		}
		img.Tag, rest = tag, rest[:i]
	}
	if first, path, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !domainRE().MatchString(first) {
			return fail(fmt.Sprintf("has registry host %q: want host[:port] such as registry-vpc.cn-hangzhou.aliyuncs.com", first))
		}
		img.Registry, rest = first, path
	}
	if !pathRE().MatchString(rest) {
		return fail(fmt.Sprintf("has repository %q: want lowercase path components separated by slashes, such as acs/typha", rest))
	}
	img.Repository = rest
	return img, nil
}
