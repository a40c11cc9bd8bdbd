package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	yn "github.com/typharender/typharender/internal/yamlnode"
)

// Label selectors, as the API server reads them, and the rule that a
// Deployment selects its own pods.

func checkDeploymentSelector(c *Context) {
	for _, o := range c.objs {
		if o.Kind != "Deployment" {
			continue
		}
		spec := yn.Get(o.root, "spec")
		sel := labelSelector(yn.Get(spec, "selector"))
		pods := podLabels(o)
		line := fieldAt(yn.Key(spec, "selector"), yn.Key(o.root, "spec"))
		empty := len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0
		switch ok, err := selects(&sel, pods); {
		case empty && (o.APIVersion == "extensions/v1beta1" || o.APIVersion == "apps/v1beta1"):
			// These old APIs default the selector to the template's labels.
		case empty:
			c.report(o, line, "spec.selector is missing or empty: apps/v1 requires one and the API server rejects the Deployment; set spec.selector.matchLabels to the pod template's labels (%s)", labelString(pods))
		case err != nil:
			c.report(o, line, "spec.selector (%s) is not a valid label selector (%v): the API server rejects the Deployment; correct it, matching the pod template labels (%s)",
				selectorString(&sel), err, labelString(pods))
		case !ok:
			c.report(o, line, "spec.selector (%s) does not match its own pod template labels (%s): the API server rejects the Deployment; make spec.template.metadata.labels include every selector entry",
				selectorString(&sel), labelString(pods))
		}
	}
}

// labelSelector reads a metav1.LabelSelector from its YAML node:
// matchLabels and matchExpressions.
func labelSelector(n *yaml.Node) metav1.LabelSelector {
	sel := metav1.LabelSelector{MatchLabels: yn.StringMap(yn.Get(n, "matchLabels"))}
	for _, e := range yn.Items(yn.Get(n, "matchExpressions")) {
		req := metav1.LabelSelectorRequirement{
			Key:      yn.Scalar(yn.Get(e, "key")),
			Operator: metav1.LabelSelectorOperator(yn.Scalar(yn.Get(e, "operator"))),
		}
		for _, v := range yn.Items(yn.Get(e, "values")) {
			req.Values = append(req.Values, yn.Scalar(v))
		}
		sel.MatchExpressions = append(sel.MatchExpressions, req)
	}
	return sel
}

// selects reports whether sel selects a pod with the given labels, as the
// API server decides it; an error says why sel is not a valid selector.
func selects(sel *metav1.LabelSelector, pod map[string]string) (bool, error) {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(pod)), nil
}

// selectorString writes sel for a message: key=value for each label, in
// key order, then "key Operator" for each expression, comma-separated.
func selectorString(sel *metav1.LabelSelector) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sel.MatchLabels)) {
		parts = append(parts, k+"="+sel.MatchLabels[k])
	}
	for _, e := range sel.MatchExpressions {
		parts = append(parts, fmt.Sprintf("%s %s", e.Key, e.Operator))
	}
	return strings.Join(parts, ",")
}

func labelString(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	return selectorString(&metav1.LabelSelector{MatchLabels: m})
}
