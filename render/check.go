package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/rules"
)

// check runs lint's rules (package rules) over the objects of res, and
// the cluster's eni-config beside them when Options.ENIConfig is set, for
// the cluster r describes: its node count, version and region, on a
// Terway cluster (typharender renders for Terway: Felix finds Typha
// through eni-config's felix_relay_service there). It returns the
// findings a person should read: warnings and errors, less the replica
// rules', whose findings render's own warnings state from the same sizing
// functions.
// A memo, when given, converts the objects (rules.Memo).
func (r *resolved) check(res *Result, memo *rules.Memo) ([]finding.Finding, error) {
	objs := make([]runtime.Object, 0, 12)
	for _, o := range res.Objects() {
		objs = append(objs, o)
	}
	if r.ENIConfig != nil {
		cm := r.ENIConfig.DeepCopy()
		cm.APIVersion, cm.Kind = "v1", "ConfigMap" // a typed client's Get leaves them empty
		objs = append(objs, cm)
	}
	fromTyped := rules.FromTyped
	if memo != nil {
		fromTyped = memo.FromTyped
	}
	model, err := fromTyped(objs...)
	if err != nil {
		return nil, fmt.Errorf("checking the rendering: %w", err) // a bug: render builds every object it checks
	}
	all, _ := rules.Run(model, rules.Facts{Nodes: r.Nodes, KubeVersion: r.version, Region: r.Region, Terway: true})
	var out []finding.Finding
	for _, f := range all {
		if f.Severity >= finding.Warning && !CoveredBySizing(f.Rule) {
			out = append(out, f)
		}
	}
	return out, nil
}

// CoveredBySizing reports whether the finding of rule is one render
// states as a warning of its own, from the same sizing functions: the
// replica rules. [Result.Findings] holds it once, in render's words.
func CoveredBySizing(rule string) bool {
	return rule == rules.RuleReplicasBelowRecommended || rule == rules.RuleReplicasNotBelowNodes
}
