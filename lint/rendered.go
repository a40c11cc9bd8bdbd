package lint

import (
	"bytes"

	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/render"
)

// RenderingName is the file name findings about a rendering carry.
const RenderingName = "<rendered>"

// CheckRendering runs every rule over the objects [render.Render]
// returned, with the facts of the cluster they were rendered for (nodes,
// version and region), and with the cluster's eni-config beside them when
// eniConfig is not nil: the same rules, with the same severities, that
// Lint applies to the same manifests in a file (with the Terway fact set:
// typharender renders for Terway clusters). The CLI's render and plan
// print these findings as warnings, so render and lint never disagree
// about one object. (render cannot call lint itself: lint imports render.)
//
// It reads the objects as [render.EncodeYAML] writes them, so a finding's
// line is a line of that YAML; see [CheckRenderedYAML].
func CheckRendering(o render.Options, res *render.Result, eniConfig *corev1.ConfigMap) (*Report, error) {
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
		return nil, err
	}
	return CheckRenderedYAML(o, buf.Bytes(), eniConfig)
}

// CheckRenderedYAML is [CheckRendering] for a rendering already encoded by
// [render.EncodeYAML]: a caller that writes the YAML anyway, such as the
// CLI's render, checks the bytes it writes without encoding them twice.
// A finding's line is a line of rendered, or of eniConfig's YAML after it.
func CheckRenderedYAML(o render.Options, rendered []byte, eniConfig *corev1.ConfigMap) (*Report, error) {
	if eniConfig != nil {
		cm := eniConfig.DeepCopy()
		cm.APIVersion, cm.Kind = "v1", "ConfigMap"
		var buf bytes.Buffer
		buf.Grow(len(rendered) + 4096)
		buf.Write(rendered)
		buf.WriteString("---\n")
		if err := render.EncodeYAML(&buf, cm); err != nil {
			return nil, err
		}
		rendered = buf.Bytes()
	}
	objs, err := Parse(RenderingName, rendered)
	if err != nil {
		return nil, err
	}
	return Lint(objs, RenderingFacts(o))
}

// RenderingFacts are the facts [CheckRendering] lints a rendering with: the
// cluster's nodes, version and region, on a Terway cluster (typharender
// renders for Terway clusters: Felix finds Typha through eni-config's
// felix_relay_service there). A caller that parses the rendering itself,
// such as the CLI's fleet, which parses each distinct object once, lints
// with them to get the same findings.
func RenderingFacts(o render.Options) Facts {
	return Facts{Nodes: o.Nodes, KubeVersion: o.KubeVersion, Region: o.Region, Terway: true}
}
