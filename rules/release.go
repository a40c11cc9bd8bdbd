package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/imageref"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// The release rules: what the version table (terway.CheckTypha) says of a
// Typha release in this cluster, and the claims that lift a refusal.

// typhaReleases calls fn for every Typha container (isTyphaContainer) of
// every Typha Deployment whose image tag is a release (v3.20.2).
func (c *Context) typhaReleases(fn func(o *Object, name string, img imageref.Image, rel terway.Release, line []*yaml.Node)) {
	c.typhaOwnImages(func(o *Object, name, ref string, line []*yaml.Node) {
		img, err := imageref.Parse(ref)
		if err != nil {
			return
		}
		if rel, ok := terway.ParseRelease(img.Tag); ok {
			fn(o, name, img, rel, line)
		}
	})
}

// typhaFinding reports the message of terway.CheckTypha's problem p,
// unless the Deployment vouches for the claim that lifts it
// (terway.VouchAnnotation).
func (c *Context) typhaFinding(p terway.Problem, kube versioning.Version, how string) {
	c.typhaReleases(func(o *Object, name string, img imageref.Image, rel terway.Release, line []*yaml.Node) {
		for _, f := range terway.CheckTypha(rel, kube, terway.CurrentFelix()) {
			if f.Problem != p || vouchedClaims(o)[f.Claim] {
				continue
			}
			c.report(o, line, "container %q image %s: %s; use %s%s, or, if %s, vouch for it with the annotation %s: %s (typharender render --set %s=true writes it)",
				name, img, f.Message, f.Instead, how, f.Claim.Says(), terway.VouchAnnotation, f.Claim, f.Claim.ValuesKey())
		}
	})
}

// vouchedClaims returns the claims a Deployment's VouchAnnotation lists.
func vouchedClaims(o *Object) map[terway.Claim]bool {
	out := map[terway.Claim]bool{}
	v, ok := yn.StringMap(yn.Path(o.root, "metadata", "annotations"))[terway.VouchAnnotation]
	if !ok {
		return out
	}
	for _, c := range strings.Split(v, ",") {
		out[terway.Claim(strings.TrimSpace(c))] = true
	}
	return out
}

func checkTyphaEndpointSlice(c *Context) {
	c.typhaFinding(terway.ProblemEndpointSlice, c.facts.KubeVersion, " (Calico moved to discovery.k8s.io/v1 in v3.23.0)")
}

func checkTyphaTierCRD(c *Context) {
	if len(c.typha) > 0 && !c.terwayShown() {
		c.skipFact(FactTerway, "only Terway leaves out Calico's Tier CRD, which Typha v3.29 and later need (an eni-config among the inputs also shows Terway)")
		return
	}
	// The Kubernetes version plays no part in this problem.
	c.typhaFinding(terway.ProblemTierCRD, versioning.MinSupported(), "")
}

func checkTyphaFelixRefused(c *Context) {
	if len(c.typha) > 0 && !c.terwayShown() {
		c.skipFact(FactTerway, "only Terway's Felix (v3.24.5) lacks the policy keys Typha v3.32 and later demand (an eni-config among the inputs also shows Terway)")
		return
	}
	// The Kubernetes version plays no part in this problem.
	c.typhaFinding(terway.ProblemFelixRefused, versioning.MinSupported(), "")
}

// checkTyphaVouched reports the claims a Typha Deployment vouches for, so
// that they stay in sight: each must be proved in the cluster.
func checkTyphaVouched(c *Context) {
	for _, d := range c.typha {
		v, ok := yn.StringMap(yn.Path(d.root, "metadata", "annotations"))[terway.VouchAnnotation]
		if !ok {
			continue
		}
		var known, unknown []string
		for _, cl := range strings.Split(v, ",") {
			cl = strings.TrimSpace(cl)
			if says := terway.Claim(cl).Says(); says != "" {
				known = append(known, fmt.Sprintf("%s (%s)", cl, says))
			} else {
				unknown = append(unknown, fmt.Sprintf("%q", cl))
			}
		}
		line := fieldAt(yn.Get(yn.Path(d.root, "metadata", "annotations"), terway.VouchAnnotation))
		msg := "vouches, with " + terway.VouchAnnotation + ", for " + strings.Join(known, " and ")
		if len(known) == 0 {
			msg = "has " + terway.VouchAnnotation + " with no claim typharender knows"
		}
		if len(unknown) > 0 {
			msg += fmt.Sprintf("; %s: not a claim typharender knows (it knows %s), so it lifts nothing", strings.Join(unknown, ", "), claimList())
		}
		c.report(d, line, "%s: the typha plan's in-sync gate proves it in the cluster before eni-config changes", msg)
	}
}

// claimList names every claim: "endpointslice-v1, tier-crd or felix-modern-policy-keys".
func claimList() string {
	var s []string
	for _, c := range terway.Claims() {
		s = append(s, string(c))
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
