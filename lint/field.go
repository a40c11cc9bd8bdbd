package lint

import (
	pathpkg "path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// The field-truth rules: what makes a manifest Kubernetes accepts fail in
// an ACK cluster running Terway. Their facts live in package terway, with
// a source for each.

// typhaReleases calls fn for every Typha container of every Typha
// Deployment whose image tag is a release (v3.20.2): the container named
// calico-typha, or one whose image repository ends in typha.
func (c *Context) typhaReleases(fn func(o *Object, name string, img imageref.Image, rel terway.Release, line int)) {
	c.typhaImages(func(o *Object, name, ref string, line int) {
		img, err := imageref.Parse(ref)
		if err != nil || (name != render.Name && pathpkg.Base(img.Repository) != "typha") {
			return
		}
		if rel, ok := terway.ParseRelease(img.Tag); ok {
			fn(o, name, img, rel, line)
		}
	})
}

// typhaFinding reports the message of terway.CheckTypha's problem p.
func (c *Context) typhaFinding(p terway.Problem, kube versioning.Version) {
	c.typhaReleases(func(o *Object, name string, img imageref.Image, rel terway.Release, line int) {
		for _, f := range terway.CheckTypha(rel, kube, terway.CurrentFelix()) {
			if f.Problem == p {
				c.report(o, line, "container %q image %s: %s", name, img, f.Message)
			}
		}
	})
}

func checkTyphaEndpointSlice(c *Context) {
	c.typhaFinding(terway.ProblemEndpointSlice, c.facts.version)
}

func checkTyphaFelixRefused(c *Context) {
	// The Kubernetes version plays no part in this problem.
	c.typhaFinding(terway.ProblemFelixRefused, versioning.MinSupported())
}

func checkImageRegionPublic(c *Context) {
	c.typhaImages(func(o *Object, name, ref string, line int) {
		img, err := imageref.Parse(ref)
		if err != nil {
			return
		}
		reg, ok := terway.ParseRegistry(img.Registry)
		if !ok {
			return
		}
		if reach, why := reg.ReachFrom(c.facts.region); reach == terway.OverInternet {
			fixed := img
			fixed.Registry = reg.InRegion(c.facts.region)
			c.report(o, line, "container %q: %s; use %s, or the VPC endpoint %s", name, why, fixed,
				terway.Registry{Family: reg.Family, Region: c.facts.region, VPC: true, Instance: reg.Instance}.Host())
		}
	})
}

// eniData returns eni-config's data as strings (only scalar values).
func eniData(o *Object) map[string]string {
	out := map[string]string{}
	data := get(o.root, "data")
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
		data := get(o.root, "data")
		line := lineOf(keyNode(data, r.Key), o.Line)
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
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, render.Name)
		case strings.EqualFold(v, "none") && len(c.typha) > 0:
			c.report(o, line, "data.%s is %q, which tells Felix to use no Typha, yet Typha is deployed: Felix keeps watching the API server and Typha serves no one; write data.%s: %s, or remove the Typha objects",
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, render.Name)
		}
	}
}
