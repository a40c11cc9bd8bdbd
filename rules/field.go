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

// The field-truth rules: what makes a manifest Kubernetes accepts fail in
// an ACK cluster running Terway. Their facts live in package terway, with
// a source for each.

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

// checkTyphaTagNotRelease: a Typha image whose tag is not a release
// (latest, none, a branch) cannot be checked against the version table,
// and latest or no tag may change under a running cluster.
func checkTyphaTagNotRelease(c *Context) {
	c.typhaOwnImages(func(o *Object, name, ref string, line []*yaml.Node) {
		img, err := imageref.Parse(ref)
		if err != nil || hasPlaceholder(ref) {
			return
		}
		if _, ok := terway.ParseRelease(img.Tag); ok {
			return
		}
		what := fmt.Sprintf("tag %q", img.Tag)
		switch {
		case img.Tag == "" && img.Digest != "":
			what = "no tag, only a digest,"
		case img.Tag == "":
			what = "no tag (the registry serves latest)"
		}
		c.report(o, line, "container %q image %s has %s, which names no Typha release: the version table cannot check it against the cluster and Terway's Felix%s; pin a release tag, such as %s",
			name, ref, what, mutable(img), terway.DefaultTyphaFor(c.facts.KubeVersion).Image.Tag)
	})
}

// mutable adds, for a tag that moves, that the image may change.
func mutable(img imageref.Image) string {
	if img.Digest == "" && (img.Tag == "" || img.Tag == "latest") {
		return ", and each node may pull a different image as the tag moves"
	}
	return ""
}

func checkImageRegionPublic(c *Context) {
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		img, err := imageref.Parse(ref)
		if err != nil {
			return
		}
		reg, ok := terway.ParseRegistry(img.Registry)
		if !ok {
			return
		}
		if reach, why := reg.ReachFrom(c.facts.Region); reach == terway.OverInternet {
			fixed := img
			fixed.Registry = reg.InRegion(c.facts.Region)
			c.report(o, line, "container %q: %s; use %s, or the VPC endpoint %s", name, why, fixed,
				terway.Registry{Family: reg.Family, Region: c.facts.Region, VPC: true, Instance: reg.Instance}.Host())
		}
	})
}

// eniData returns eni-config's data as strings (only scalar values).
func eniData(o *Object) map[string]string {
	out := map[string]string{}
	data := yn.Get(o.root, "data")
	if data == nil || data.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(data.Content); i += 2 {
		if v := data.Content[i+1]; v.Kind == yaml.ScalarNode {
			out[data.Content[i].Value] = v.Value
		}
	}
	return out
}

// relaysTo reports whether a felix_relay_service value names a Service
// Felix would look up: set, not none (in any case), and one word.
func relaysTo(v string) bool {
	return v != "" && !strings.EqualFold(v, "none") && !strings.ContainsAny(v, " \t\r\n")
}

// usesTypha reports whether the inputs relay Felix to Typha: a Typha
// Deployment is linted, or an eni-config sets felix_relay_service to
// something other than none.
func (c *Context) usesTypha() bool {
	if len(c.typha) > 0 {
		return true
	}
	for _, o := range c.eniConfigs {
		if v, _ := relay(o); v != "" && !strings.EqualFold(strings.TrimSpace(v), "none") {
			return true
		}
	}
	return false
}

func checkENIEngineNotFelix(c *Context) {
	if !c.usesTypha() {
		return
	}
	for _, o := range c.eniConfigs {
		r, err := terway.ReadEngine(eniData(o))
		if err != nil || r.Engine == terway.EngineFelix {
			continue // an eni-config Terway cannot read is not this rule's to judge
		}
		data := yn.Get(o.root, "data")
		line := fieldAt(yn.Key(data, r.Key))
		c.report(o, line, "%s %s, so Typha would serve no one: it relays only for Felix; deploy it only where Felix enforces NetworkPolicy (%s %s absent or %q, no %s datapathv2/ipvlan, %s %q)",
			r.Decided(), r.Reason, terway.KeyCNIConf, terway.FieldPolicyProvider, terway.ProviderIPTables, terway.FieldVirtualType, terway.KeyDisableNetworkPolicy, "false")
	}
}

func checkENIRelayValue(c *Context) {
	for _, o := range c.eniConfigs {
		v, line := relay(o)
		switch {
		case v == "":
		case strings.ContainsAny(v, " \t\r\n"):
			c.report(o, line, "data.%s is %q, which is not one Service name on one line: Felix refuses the value and runs without Typha, silently; write data.%s: %s (a YAML | block adds a newline)",
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, terway.TyphaName)
		case strings.EqualFold(v, "none") && len(c.typha) > 0:
			c.report(o, line, "data.%s is %q, which tells Felix to use no Typha, yet Typha is deployed: Felix keeps watching the API server and Typha serves no one; write data.%s: %s, or remove the Typha objects",
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, terway.TyphaName)
		}
	}
}
