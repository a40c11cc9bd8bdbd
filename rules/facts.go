package rules

import (
	"strings"

	"github.com/typharender/typharender/versioning"
)

// Fact is a set of cluster facts, one bit per field of [Facts]: what a
// rule needs ([Rule.Needs]) and what a skipped rule missed ([Skip.Needs]).
type Fact uint8

// The cluster facts. Each names the field of [Facts] that gives it.
const (
	FactNodes       Fact = 1 << iota // Facts.Nodes
	FactKubeVersion                  // Facts.KubeVersion
	FactRegion                       // Facts.Region
	FactTerway                       // Facts.Terway

	factEnd // one past the last fact
)

// Each returns the single facts in f, in declaration order.
func (f Fact) Each() []Fact {
	var out []Fact
	for b := Fact(1); b < factEnd; b <<= 1 {
		if f&b != 0 {
			out = append(out, b)
		}
	}
	return out
}

// String names the facts in f by their [Facts] field, joined with " and ":
// "KubeVersion", "Nodes and Region"; "" for none.
func (f Fact) String() string {
	names := make([]string, 0, 3)
	for _, b := range f.Each() {
		switch b {
		case FactNodes:
			names = append(names, "Nodes")
		case FactKubeVersion:
			names = append(names, "KubeVersion")
		case FactRegion:
			names = append(names, "Region")
		case FactTerway:
			names = append(names, "Terway")
		}
	}
	return strings.Join(names, " and ")
}

// Facts are what the rules know about the cluster, checked: the zero
// value of each field means unknown, and the rules that need it are
// skipped. lint.Facts reads and checks them from what a person gives;
// render gives the facts of the cluster it rendered for, which it checked
// already.
type Facts struct {
	Nodes       int                // the cluster's node count, 1 to sizing.MaxNodes; 0: unknown
	KubeVersion versioning.Version // the cluster's Kubernetes version; zero: unknown
	Region      string             // the cluster's region ID, as terway.CheckRegion accepts it, trimmed; "": unknown
	// Terway says the cluster runs Terway, so Felix finds Typha through
	// eni-config's felix_relay_service; false: unknown, unless an
	// eni-config among the objects shows it.
	Terway bool
}

// Known returns the facts f gives.
func (f Facts) Known() Fact {
	var k Fact
	if f.Nodes != 0 {
		k |= FactNodes
	}
	if !f.KubeVersion.IsZero() {
		k |= FactKubeVersion
	}
	if f.Region != "" {
		k |= FactRegion
	}
	if f.Terway {
		k |= FactTerway
	}
	return k
}
