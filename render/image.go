package render

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrImage is wrapped by every [ImageError].
var ErrImage = errors.New("invalid image reference")

// ImageError reports an image reference that does not follow the grammar
// render uses for the Typha image.
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

// ParseImage parses ref with the grammar render checks Registry,
// Repository, Tag and Digest against (after the distribution/reference
// package): a first component with a dot or a colon, or "localhost", is the
// registry host. It does not fill in defaults: "typha" has no registry and
// no tag. A reference holding [RegionPlaceholder] is invalid.
func ParseImage(ref string) (Image, error) {
	fail := func(reason string) (Image, error) { return Image{}, &ImageError{Ref: ref, Reason: reason} }
	switch {
	case ref == "":
		return fail("is empty: want [registry/]repository[:tag][@sha256:digest], such as registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2")
	case len(ref) > maxImageLen:
		return Image{}, &ImageError{Ref: ref[:32] + "...", Reason: fmt.Sprintf("is longer than %d characters", maxImageLen)}
	case strings.Contains(ref, RegionPlaceholder):
		return fail(fmt.Sprintf("still holds the guide's placeholder %s: replace it with the cluster's region ID", RegionPlaceholder))
	}
	var img Image
	rest := ref
	if name, digest, ok := strings.Cut(rest, "@"); ok {
		if !digestRE.MatchString(digest) {
			return fail(fmt.Sprintf("has digest %q: want sha256: and 64 lowercase hex digits", digest))
		}
		img.Digest, rest = digest, name
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		tag := rest[i+1:]
		if !tagRE.MatchString(tag) {
			return fail(fmt.Sprintf("has tag %q: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as v3.20.2", tag))
		}
		img.Tag, rest = tag, rest[:i]
	}
	if first, path, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !domainRE.MatchString(first) {
			return fail(fmt.Sprintf("has registry host %q: want host[:port] such as registry-vpc.cn-hangzhou.aliyuncs.com", first))
		}
		img.Registry, rest = first, path
	}
	if !pathRE.MatchString(rest) {
		return fail(fmt.Sprintf("has repository %q: want lowercase path components separated by slashes, such as acs/typha", rest))
	}
	img.Repository = rest
	return img, nil
}

// aliyunRegistryRE matches the Container Registry hosts of a region:
// registry.REGION.aliyuncs.com and its -vpc, -intl and -vpc-intl variants.
var aliyunRegistryRE = regexp.MustCompile(`^registry(?:-vpc)?(?:-intl)?\.([a-z0-9-]+)\.aliyuncs\.com$`)

// RegistryRegion returns the region ID in an Alibaba Cloud Container
// Registry host, such as "cn-hangzhou" for registry-vpc.cn-hangzhou.aliyuncs.com
// ([DefaultRegistry]), and false for any other host.
func RegistryRegion(host string) (string, bool) {
	m := aliyunRegistryRE.FindStringSubmatch(host)
	if m == nil {
		return "", false
	}
	return m[1], true
}
