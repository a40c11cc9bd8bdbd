package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/typharender/typharender/finding"

	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/terway"
)

// resolveImage fills in and checks the Typha image: the default row of
// terway.DefaultTyphas for the cluster's version, each part the options
// replace, and the version table's verdict on the release
// (terway.CheckTypha), which Vouch may lift. r.Region and r.version are
// resolved (r.version is zero when it could not be parsed, and its error
// is reported already).
//
// How the parts combine, so that nothing given is ignored and no image is
// guessed:
//   - Registry replaces the row's registry. From 1.25 the default
//     repository, calico/typha, is Calico's: on an Alibaba Cloud host whose
//     namespaces belong to other accounts (Personal Edition, ACK's own
//     registry) it would be someone else's, so there Repository is needed.
//   - RegistryStyle picks an Alibaba Cloud host in the region. Below 1.25
//     it chooses the guide's default registry; from 1.25 the default image
//     is not on those hosts, so it needs Repository.
//   - Repository alone, from 1.25, is refused unless it is the default
//     one: the default registry (quay.io) goes with calico/typha.
//   - Tag replaces the row's tag, and the release it names is checked.
func (r *resolved) resolveImage() []error {
	var errs []error
	fail := func(field string, value any, reason string) {
		errs = append(errs, &OptionError{Field: field, Value: value, Reason: reason})
	}
	o := r.Options
	row := terway.DefaultTyphaFor(r.version)
	kube := "this version"
	if !r.version.IsZero() {
		kube = r.version.String()
	}

	style := terway.Family(o.RegistryStyle)
	switch {
	case style == "":
		style = terway.FamilyGuide
	case !slices.Contains(terway.Families(), style):
		fail("RegistryStyle", o.RegistryStyle, fmt.Sprintf("is not a registry style: want %s (registry-vpc.REGION.aliyuncs.com), %s (registry-REGION-vpc.ack.aliyuncs.com) or %s (registry-intl-vpc.REGION.aliyuncs.com)", terway.FamilyGuide, terway.FamilyACK, terway.FamilyIntl))
		style = terway.FamilyGuide
	case o.Registry != "":
		fail("RegistryStyle", o.RegistryStyle, fmt.Sprintf("is given with the registry %q as well: the style only chooses an Alibaba Cloud registry host in the region; give one of them", o.Registry))
	}
	r.regional = terway.RegistryFor(style, r.Region)
	r.autoscalerRegistry = cmp.Or(o.Registry, r.regional)
	defaultRef := row.Image.Ref(r.regional)
	fixed := row.Image.Registry != "" // the row names its registry: quay.io from 1.25

	switch {
	case o.Registry != "":
		if err := checkRegistry(o.Registry); err != nil {
			errs = append(errs, err)
		} else if fixed && o.Repository == "" {
			if reg, ok := terway.ParseRegistry(o.Registry); ok && reg.Family.SharedNamespaces() {
				fail("Registry", o.Registry, fmt.Sprintf("is an Alibaba Cloud Container Registry host whose namespaces belong to other accounts, or to Alibaba: %s/%s there is whoever owns the %s namespace's, not Calico's (the default image on Kubernetes %s is %s); give the repository of your copy on that host as well, or use an Enterprise Edition instance or a registry of your own",
					o.Registry, row.Image.Repository, strings.SplitN(row.Image.Repository, "/", 2)[0], kube, defaultRef))
			}
		}
	case !fixed:
		r.Registry = r.regional
	case o.RegistryStyle != "":
		if o.Repository == "" {
			fail("RegistryStyle", o.RegistryStyle, fmt.Sprintf("chooses an Alibaba Cloud registry host in the region, for ACK's acs/ images; on Kubernetes %s the default image is %s, which is not on that host (ACK documents no acs/typha tag after v3.20.2): give the repository of your copy of it there as well, or leave the style unset for the default", kube, defaultRef))
		}
		r.Registry = r.regional
	default:
		if o.Repository != "" && o.Repository != row.Image.Repository {
			fail("Repository", o.Repository, fmt.Sprintf("is given without a registry, and on Kubernetes %s the default registry, %s, goes with the default repository, %s: give a registry (or a registry style) with it, the registry %s if you mean that host", kube, row.Image.Registry, row.Image.Repository, row.Image.Registry))
		}
		r.Registry = row.Image.Registry
	}

	if r.Repository == "" {
		r.Repository = row.Image.Repository
	} else if !imageref.IsRepository(o.Repository) {
		fail("Repository", o.Repository, "is not an image repository: want lowercase path components separated by slashes, such as "+row.Image.Repository)
	}
	tagOK := true
	if r.Tag == "" {
		r.Tag = row.Image.Tag
	} else if !imageref.IsTag(o.Tag) {
		tagOK = false
		fail("Tag", o.Tag, "is not an image tag: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as "+row.Image.Tag)
	}
	if o.Digest != "" && !imageref.IsDigest(o.Digest) {
		fail("Digest", o.Digest, "is not an image digest: want sha256: and 64 lowercase hex digits")
	}
	r.image = r.Registry + "/" + r.Repository + ":" + r.Tag
	if o.Digest != "" {
		r.image += "@" + o.Digest
	}

	// The release: refused where the version table says it cannot serve
	// Terway's Felix here, unless vouched for.
	lifted := map[terway.Claim]bool{}
	rel, isRelease := terway.ParseRelease(r.Tag)
	if isRelease && tagOK && !r.version.IsZero() {
		for _, f := range terway.CheckTypha(rel, r.version, terway.CurrentFelix()) {
			if vouched(o.Vouch, f.Claim) {
				lifted[f.Claim] = true
				continue
			}
			errs = append(errs, &OptionError{Field: "Tag", Value: r.Tag, Vouch: f.Claim,
				Reason: fmt.Sprintf("%s; leave the tag unset for the default, %s (%s on Kubernetes %s), or use %s", f.Message, row.Image.Tag, defaultRef, kube, f.Instead)})
		}
	}
	for _, vf := range vouchFields {
		switch {
		case !vf.get(o.Vouch):
		case lifted[vf.claim]:
			r.vouched = append(r.vouched, vf.claim)
		case !isRelease:
			r.warn(finding.Ref{}, "", fmt.Sprintf("a claim lifts nothing: the Typha tag %q is not a release the version table can check, so vouching that %s is not recorded", r.Tag, vf.claim.Says()))
		default:
			r.warn(finding.Ref{}, "", fmt.Sprintf("a claim lifts nothing: Typha %s on Kubernetes %s needs no vouching that %s, so it is not recorded", r.Tag, kube, vf.claim.Says()))
		}
	}
	return errs
}

// vouched reports whether v holds claim c.
func vouched(v Vouch, c terway.Claim) bool {
	for _, f := range vouchFields {
		if f.claim == c {
			return f.get(v)
		}
	}
	return false
}

// vouchValue is VouchAnnotation's value: the claims, comma-separated.
func vouchValue(claims []terway.Claim) string {
	s := make([]string, len(claims))
	for i, c := range claims {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}
