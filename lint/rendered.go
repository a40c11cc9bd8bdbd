package lint

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/render"
)

// RenderingName is the file name findings about a rendering carry.
const RenderingName = "<rendered>"

// CheckRendering runs every rule over the objects [render.Render]
// returned for o, with the cluster facts o gives (its node count, version
// and region), and with the cluster's eni-config beside them when
// eniConfig is not nil: the same rules, with the same severities, that
// Lint applies to the same manifests in a file (with the Terway fact set:
// typharender renders for Terway clusters). The CLI's render and plan
// print these findings as warnings, so render and lint never disagree
// about one object. (render cannot call lint itself: lint imports render.)
func CheckRendering(o render.Options, res *render.Result, eniConfig *corev1.ConfigMap) (*Report, error) {
	objs := make([]any, 0, 5)
	for _, obj := range res.Objects() {
		objs = append(objs, obj)
	}
	if eniConfig != nil {
		cm := eniConfig.DeepCopy()
		cm.APIVersion, cm.Kind = "v1", "ConfigMap"
		objs = append(objs, cm)
	}
	parsed, err := FromObjects(RenderingName, objs...)
	if err != nil {
		return nil, err
	}
	// typharender renders for Terway clusters: Felix finds Typha through
	// eni-config's felix_relay_service there.
	return Lint(parsed, Facts{Nodes: o.Nodes, KubeVersion: o.KubeVersion, Region: o.Region, Terway: true})
}
