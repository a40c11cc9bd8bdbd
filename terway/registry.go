package terway

import (
	"fmt"
	"strings"
)

// Family is a family of Alibaba Cloud Container Registry endpoints. Each
// has a VPC endpoint per region, reachable only from that region's VPCs,
// and a public one, reachable from anywhere over the internet.
//
// Sources: the guide (registry-vpc.{region}.aliyuncs.com); ACK's system
// images (registry-{region}-vpc.ack.aliyuncs.com: ACK's documentation
// and components that derive it from the region, e.g. "registry-%s-vpc.ack.aliyuncs.com");
// Container Registry's endpoints for the international site
// (registry-intl-vpc.{region}.aliyuncs.com) and Enterprise Edition
// instances ({instance}-registry-vpc.{region}.cr.aliyuncs.com).
type Family string

// The registry families.
const (
	FamilyGuide      Family = "guide"      // registry-vpc.{region}.aliyuncs.com, public registry.{region}.aliyuncs.com
	FamilyACK        Family = "ack"        // registry-{region}-vpc.ack.aliyuncs.com, public registry-{region}.ack.aliyuncs.com
	FamilyIntl       Family = "intl"       // registry-intl-vpc.{region}.aliyuncs.com, public registry-intl.{region}.aliyuncs.com
	FamilyEnterprise Family = "enterprise" // {instance}-registry-vpc.{region}.cr.aliyuncs.com, public {instance}-registry.{region}.cr.aliyuncs.com
)

// DefaultRegistry returns the guide's registry for region:
// registry-vpc.{region}.aliyuncs.com, the VPC endpoint of the region's
// Container Registry [the guide, calico-typha.yaml]:
// RegistryFor(FamilyGuide, region).
func DefaultRegistry(region string) string { return RegistryFor(FamilyGuide, region) }

// Families returns the families a cluster's default registry can be
// chosen from (Enterprise Edition needs an instance name, so it is not
// among them), the guide's first.
func Families() []Family { return []Family{FamilyGuide, FamilyACK, FamilyIntl} }

// RegistryFor returns the VPC endpoint of family f in region: the host a
// cluster in region pulls from without leaving its VPC. It returns "" for
// FamilyEnterprise (which needs an instance name) and unknown families.
func RegistryFor(f Family, region string) string {
	switch f {
	case FamilyGuide:
		return "registry-vpc." + region + ".aliyuncs.com"
	case FamilyACK:
		return "registry-" + region + "-vpc.ack.aliyuncs.com"
	case FamilyIntl:
		return "registry-intl-vpc." + region + ".aliyuncs.com"
	}
	return ""
}

// SharedNamespaces reports whether the namespaces of f's hosts (the first
// path component of a repository there) may belong to someone other than
// the cluster's owner: Container Registry Personal Edition (the guide's
// and the international hosts), where any account may create a
// namespace, and ACK's system registry, which holds Alibaba's images
// only. An Enterprise Edition instance is its owner's alone. On such a
// host, a repository whose owner is not Alibaba (calico/typha) is
// whoever created that namespace's, not the project's.
func (f Family) SharedNamespaces() bool { return f != FamilyEnterprise }

// Registry is a parsed Alibaba Cloud Container Registry host.
type Registry struct {
	Family   Family
	Region   string
	VPC      bool   // the VPC endpoint, reachable only from Region's VPCs
	Instance string // the Enterprise Edition instance; "" otherwise
}

// ParseRegistry reads host (no port, no path) as an Alibaba Cloud
// Container Registry endpoint. ok is false for any other host (a mirror,
// Docker Hub, a registry with a port).
func ParseRegistry(host string) (r Registry, ok bool) {
	if rest, found := strings.CutSuffix(host, ".ack.aliyuncs.com"); found {
		// registry-{region}[-vpc]
		name, found := strings.CutPrefix(rest, "registry-")
		if !found {
			return Registry{}, false
		}
		region, vpc := strings.CutSuffix(name, "-vpc")
		return registry(FamilyACK, region, vpc, "")
	}
	if rest, found := strings.CutSuffix(host, ".cr.aliyuncs.com"); found {
		// {instance}-registry[-vpc].{region}
		name, region, found := strings.Cut(rest, ".")
		if !found {
			return Registry{}, false
		}
		name, vpc := strings.CutSuffix(name, "-vpc")
		instance, found := strings.CutSuffix(name, "-registry")
		if !found || !isDNSLabel(instance) {
			return Registry{}, false
		}
		return registry(FamilyEnterprise, region, vpc, instance)
	}
	rest, found := strings.CutSuffix(host, ".aliyuncs.com")
	if !found {
		return Registry{}, false
	}
	name, region, found := strings.Cut(rest, ".")
	if !found {
		return Registry{}, false
	}
	switch name {
	case "registry":
		return registry(FamilyGuide, region, false, "")
	case "registry-vpc":
		return registry(FamilyGuide, region, true, "")
	case "registry-intl":
		return registry(FamilyIntl, region, false, "")
	case "registry-intl-vpc":
		return registry(FamilyIntl, region, true, "")
	}
	return Registry{}, false
}

func registry(f Family, region string, vpc bool, instance string) (Registry, bool) {
	if !isRegionID(region) {
		return Registry{}, false
	}
	return Registry{Family: f, Region: region, VPC: vpc, Instance: instance}, true
}

func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Reach is whether a cluster can pull from a registry.
type Reach int

// The answers of [Registry.ReachFrom].
const (
	// Reachable: the registry is in the cluster's region.
	Reachable Reach = iota
	// OverInternet: another region's public endpoint: it pulls, over the
	// internet (slower, billed, and needs the nodes to reach the internet).
	OverInternet
	// Unreachable: another region's VPC endpoint: it does not resolve or
	// route from the cluster's VPC, and the pods stay in ErrImagePull.
	Unreachable
)

// ReachFrom says whether a cluster in region can pull from r, and why.
func (r Registry) ReachFrom(region string) (Reach, string) {
	switch {
	case r.Region == region:
		return Reachable, ""
	case r.VPC:
		return Unreachable, fmt.Sprintf("%s is the VPC endpoint of %s: a cluster in %s cannot reach it, and the pods stay in ErrImagePull", r.Host(), r.Region, region)
	default:
		return OverInternet, fmt.Sprintf("%s is the public endpoint of %s: a cluster in %s pulls from it over the internet (slower, billed, and only where nodes reach the internet)", r.Host(), r.Region, region)
	}
}

// Host returns r as a host name again.
func (r Registry) Host() string {
	vpc := ""
	if r.VPC {
		vpc = "-vpc"
	}
	switch r.Family {
	case FamilyACK:
		return "registry-" + r.Region + vpc + ".ack.aliyuncs.com"
	case FamilyIntl:
		return "registry-intl" + vpc + "." + r.Region + ".aliyuncs.com"
	case FamilyEnterprise:
		return r.Instance + "-registry" + vpc + "." + r.Region + ".cr.aliyuncs.com"
	}
	return "registry" + vpc + "." + r.Region + ".aliyuncs.com"
}

// InRegion returns the endpoint of r's family and kind (VPC or public) in
// region: what to write instead of r for a cluster in region.
func (r Registry) InRegion(region string) string {
	r.Region = region
	return r.Host()
}
