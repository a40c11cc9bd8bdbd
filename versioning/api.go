package versioning

import "fmt"

// API group/versions of the kinds typharender renders.
const (
	PDBAPIVersionV1      = "policy/v1"
	PDBAPIVersionV1beta1 = "policy/v1beta1"
	CRDAPIVersion        = "apiextensions.k8s.io/v1"
	CRDAPIVersionV1beta1 = "apiextensions.k8s.io/v1beta1"
)

// Kinds whose API version depends on the cluster's version.
const (
	KindPodDisruptionBudget      = "PodDisruptionBudget"
	KindCustomResourceDefinition = "CustomResourceDefinition"
)

// knownMinor is the newest minor release the pinned k8s.io/api module
// (v0.37) describes. A test reads go.mod to keep the two in step.
const knownMinor = 37

// supportedMinor is the oldest supported release: the CRD is rendered as
// apiextensions.k8s.io/v1, served from 1.16.
const supportedMinor = 16

// MinSupported returns the oldest Kubernetes version typharender renders
// for: 1.16, where apiextensions.k8s.io/v1 is first served.
func MinSupported() Version { return New(1, supportedMinor) }

// MaxKnown returns the newest Kubernetes version the pinned k8s.io/api
// module describes. Newer versions still render, with a warning.
func MaxKnown() Version { return New(1, knownMinor) }

// Status says whether an API version serves a kind at a Kubernetes version.
type Status int

const (
	// NotServed: the API server of that version rejects the object.
	NotServed Status = iota
	// Deprecated: served, but a newer API version is served too and the
	// old one is scheduled for removal.
	Deprecated
	// Current: served, and not deprecated.
	Current
	// Unknown: typharender keeps no table for this apiVersion and kind.
	Unknown
)

func (s Status) String() string {
	switch s {
	case NotServed:
		return "not served"
	case Deprecated:
		return "deprecated"
	case Current:
		return "served"
	}
	return "unknown"
}

// span is the half-open range [from, until) of minor releases of 1.x that
// serve an API version; until 0 means "still served".
type span struct {
	apiVersion, kind string
	from, until      uint64
	deprecatedFrom   uint64 // 0: never deprecated within the table
}

// table is the one source of truth for API availability. Sources: the
// APILifecycle* methods of k8s.io/api (checked in api_test.go). It is
// never written to.
var table = [...]span{
	{apiVersion: PDBAPIVersionV1beta1, kind: KindPodDisruptionBudget, from: 5, until: 25, deprecatedFrom: 21},
	{apiVersion: PDBAPIVersionV1, kind: KindPodDisruptionBudget, from: 21},
	{apiVersion: CRDAPIVersionV1beta1, kind: KindCustomResourceDefinition, from: 7, until: 22, deprecatedFrom: 16},
	{apiVersion: CRDAPIVersion, kind: KindCustomResourceDefinition, from: 16},
}

// Served reports whether apiVersion serves kind at v. It returns Unknown
// for pairs outside the table (every kind typharender renders is in it;
// core, apps/v1 and the like are served across the supported range).
func Served(apiVersion, kind string, v Version) Status {
	for _, s := range table {
		if s.apiVersion != apiVersion || s.kind != kind {
			continue
		}
		switch {
		case v.Major() != 1, v.Minor() < s.from, s.until != 0 && v.Minor() >= s.until:
			return NotServed
		case s.deprecatedFrom != 0 && v.Minor() >= s.deprecatedFrom:
			return Deprecated
		}
		return Current
	}
	return Unknown
}

// ServedRange describes the releases that serve apiVersion for kind, such
// as "1.21 and later" or "1.5 to 1.24", for messages. It returns "" for
// pairs outside the table.
func ServedRange(apiVersion, kind string) string {
	for _, s := range table {
		if s.apiVersion == apiVersion && s.kind == kind {
			if s.until == 0 {
				return fmt.Sprintf("1.%d and later", s.from)
			}
			return fmt.Sprintf("1.%d to 1.%d", s.from, s.until-1)
		}
	}
	return ""
}

// APIVersionFor returns the API group/version typharender renders kind in
// at v: the newest one served there. It returns "" for a kind outside the
// table or a version at which none is served.
func APIVersionFor(kind string, v Version) string {
	best := ""
	for _, s := range table {
		if s.kind != kind {
			continue
		}
		if st := Served(s.apiVersion, kind, v); st == Current {
			return s.apiVersion
		} else if st == Deprecated && best == "" {
			best = s.apiVersion
		}
	}
	return best
}

// Check says whether typharender renders for v. It returns an
// [UnsupportedError] for versions older than [MinSupported], and a warning
// for versions newer than [MaxKnown].
func Check(v Version) (warnings []string, err error) {
	if v.LessThan(MinSupported()) {
		return nil, &UnsupportedError{Version: v}
	}
	if MaxKnown().LessThan(v) {
		warnings = append(warnings, fmt.Sprintf("Kubernetes %s (%q) is newer than %s, the newest release the pinned k8s.io/api describes; rendering with the API versions served at %s", v, v.Original(), MaxKnown(), MaxKnown()))
	}
	return warnings, nil
}
