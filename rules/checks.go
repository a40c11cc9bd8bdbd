package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/imageref"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// The check functions of the rules in rules.go, one per rule, in the same
// order. Each runs over every object of the kinds it looks at.

// pdbs calls fn for every PodDisruptionBudget with how the cluster's
// version serves its apiVersion, the line of that field, and how to name
// the version in a message.
func (c *Context) pdbs(fn func(o *Object, served versioning.Status, line []*yaml.Node, at string)) {
	v := c.facts.KubeVersion
	at := "Kubernetes " + v.String()
	if v.Original() != v.String() {
		at += " (" + v.Original() + ")"
	}
	for _, o := range c.objs {
		if o.Kind == versioning.KindPodDisruptionBudget {
			fn(o, versioning.Served(o.APIVersion, versioning.KindPodDisruptionBudget, v), fieldAt(yn.Key(o.root, "apiVersion")), at)
		}
	}
}

func checkPDBNotServed(c *Context) {
	want := versioning.APIVersionFor(versioning.KindPodDisruptionBudget, c.facts.KubeVersion)
	c.pdbs(func(o *Object, served versioning.Status, line []*yaml.Node, at string) {
		switch served {
		case versioning.NotServed:
			c.report(o, line, "apiVersion %s is not served by %s, only by %s: kubectl apply fails with no matches for kind PodDisruptionBudget; set apiVersion: %s",
				o.APIVersion, at, versioning.ServedRange(o.APIVersion, versioning.KindPodDisruptionBudget), want)
		case versioning.Unknown:
			c.report(o, line, "apiVersion %s is not a PodDisruptionBudget API (policy/v1 from 1.21, policy/v1beta1 up to 1.24); set apiVersion: %s for %s",
				o.APIVersion, want, at)
		}
	})
}

func checkPDBDeprecated(c *Context) {
	c.pdbs(func(o *Object, served versioning.Status, line []*yaml.Node, at string) {
		if served == versioning.Deprecated {
			c.report(o, line, "apiVersion %s is deprecated at %s and served only %s: the manifest breaks on upgrade; set apiVersion: %s, which this cluster serves",
				o.APIVersion, at, versioning.ServedRange(o.APIVersion, versioning.KindPodDisruptionBudget), versioning.PDBAPIVersionV1)
		}
	})
}

// typhaReplicas calls fn for every Typha Deployment whose replica count is
// known: spec.replicas, or 1 when unset. what describes the count for a
// message; line is the line of spec.replicas, or of spec.
func (c *Context) typhaReplicas(fn func(o *Object, replicas int, what string, line []*yaml.Node)) {
	for _, o := range c.typha {
		if c.autoscaledBy(o) != nil {
			continue // a cluster-proportional-autoscaler owns the count
		}
		n := yn.Path(o.root, "spec", "replicas")
		if n == nil {
			fn(o, 1, "1 replica (spec.replicas is unset, and defaults to 1)", fieldAt(yn.Key(o.root, "spec")))
			continue
		}
		v, err := strconv.Atoi(yn.Scalar(n))
		if err != nil || n.Tag != "!!int" {
			continue // not a number: the API server rejects it
		}
		fn(o, v, english.Count(v, "replica"), fieldAt(n))
	}
}

func checkReplicasBelowRecommended(c *Context) {
	nodes := c.facts.Nodes
	rec := sizing.Recommend(nodes)
	c.typhaReplicas(func(o *Object, replicas int, what string, line []*yaml.Node) {
		// replicas < rec < nodes: never at once with replicas >= nodes.
		if replicas < rec && rec < nodes {
			c.report(o, line, "%s, below the %d recommended for %d nodes (one per %d nodes, at least %d): set spec.replicas to %d",
				what, rec, nodes, sizing.NodesPerReplica, sizing.MinReplicas, rec)
		}
	})
}

// typhaImages calls fn for every container of every Typha Deployment with
// its name, image reference and the line of the image.
func (c *Context) typhaImages(fn func(o *Object, name, ref string, line []*yaml.Node)) {
	for _, o := range c.typha {
		for _, ctr := range containers(o) {
			img := yn.Get(ctr, "image")
			fn(o, yn.Scalar(yn.Get(ctr, "name")), yn.Scalar(img), fieldAt(img, ctr))
		}
	}
}

// typhaOwnImages is typhaImages for the containers that are Typha itself
// (isTyphaContainer), not a sidecar.
func (c *Context) typhaOwnImages(fn func(o *Object, name, ref string, line []*yaml.Node)) {
	for _, o := range c.typha {
		for _, ctr := range containers(o) {
			if isTyphaContainer(ctr) {
				img := yn.Get(ctr, "image")
				fn(o, yn.Scalar(yn.Get(ctr, "name")), yn.Scalar(img), fieldAt(img, ctr))
			}
		}
	}
}

// isTyphaContainer: a container terway.IsTyphaContainer says is Typha.
func isTyphaContainer(ctr *yaml.Node) bool {
	var ports []string
	for _, p := range yn.Items(yn.Get(ctr, "ports")) {
		ports = append(ports, yn.Scalar(yn.Get(p, "name")))
	}
	img, _ := imageref.Parse(yn.Scalar(yn.Get(ctr, "image")))
	return terway.IsTyphaContainer(yn.Scalar(yn.Get(ctr, "name")), ports, img.Repository)
}

func hasPlaceholder(ref string) bool { return strings.Contains(ref, terway.RegionPlaceholder) }

func checkImagePlaceholder(c *Context) {
	example := "cn-hangzhou"
	if c.known&FactRegion != 0 {
		example = c.facts.Region
	}
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			c.report(o, line, "container %q image %s still holds the guide's %s placeholder, so it cannot be pulled: replace it with the cluster's region ID, as in %s",
				name, ref, terway.RegionPlaceholder, strings.ReplaceAll(ref, terway.RegionPlaceholder, example))
		}
	})
}

func checkImageInvalid(c *Context) {
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			return // image-region-placeholder says what to do
		}
		if _, err := imageref.Parse(ref); err != nil {
			c.report(o, line, "container %q: %v", name, err)
		}
	})
}

func checkImageRegion(c *Context) {
	region := c.facts.Region
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			return
		}
		img, err := imageref.Parse(ref)
		if err != nil {
			return // image-invalid reports it
		}
		reg, ok := terway.ParseRegistry(img.Registry)
		if !ok {
			return // a mirror or another registry: not checked
		}
		if reach, why := reg.ReachFrom(region); reach == terway.Unreachable {
			fixed := img
			fixed.Registry = reg.InRegion(region)
			c.report(o, line, "container %q: %s; use %s", name, why, fixed)
		}
	})
}

// typhaPort returns the Service's port named calico-typha, or nil.
func typhaPort(o *Object) *yaml.Node {
	for _, p := range yn.Items(yn.Path(o.root, "spec", "ports")) {
		if yn.Scalar(yn.Get(p, "name")) == terway.TyphaName {
			return p
		}
	}
	return nil
}

// portsLine is where a Service's spec.ports is, or spec.
func portsLine(o *Object) []*yaml.Node {
	return fieldAt(yn.Key(yn.Get(o.root, "spec"), "ports"), yn.Key(o.root, "spec"))
}

func checkServicePortName(c *Context) {
	for _, o := range c.services {
		if typhaPort(o) == nil {
			c.report(o, portsLine(o), "has no port named %s: Felix's Typha discovery looks the port up by that name and finds no Typha; add name: %s to the port for %d",
				terway.TyphaName, terway.TyphaName, terway.TyphaPort)
		}
	}
}

func checkServicePortNumber(c *Context) {
	for _, o := range c.services {
		port := typhaPort(o)
		if port == nil {
			continue // service-port-name reports it
		}
		if pn := yn.Get(port, "port"); yn.Scalar(pn) != terway.TyphaPortText {
			c.report(o, append(fieldAt(pn, port), portsLine(o)...), "port %s is %s, not %d: Typha listens on %d; set port: %d",
				terway.TyphaName, valueOrUnset(pn), terway.TyphaPort, terway.TyphaPort, terway.TyphaPort)
		}
		if tp := yn.Get(port, "targetPort"); tp != nil && tp.Tag == "!!int" && tp.Value != terway.TyphaPortText {
			c.report(o, fieldAt(tp), "port %s has targetPort %s, but Typha listens on host port %d: set targetPort: %s (the container port's name) or %d",
				terway.TyphaName, tp.Value, terway.TyphaPort, terway.TyphaName, terway.TyphaPort)
		}
	}
}

func valueOrUnset(n *yaml.Node) string {
	if v := yn.Scalar(n); v != "" {
		return v
	}
	return "unset"
}

func checkServiceSelector(c *Context) {
	for _, o := range c.services {
		spec := yn.Get(o.root, "spec")
		sel := metav1.LabelSelector{MatchLabels: yn.StringMap(yn.Get(spec, "selector"))}
		selLine := fieldAt(yn.Key(spec, "selector"), yn.Key(o.root, "spec"))
		if len(sel.MatchLabels) == 0 {
			c.report(o, selLine, "has no selector: it selects no Typha pods, so it has no endpoints for Felix; set spec.selector to %s: %s", terway.TyphaAppLabel, terway.TyphaName)
			continue
		}
		deps := c.typhaFor(o.Namespace)
		if len(deps) == 0 {
			c.skip("the Typha Deployment among the inputs", "the Service's selector is compared with its pod labels")
			continue
		}
		if slices.ContainsFunc(deps, func(d *Object) bool { ok, _ := selects(&sel, podLabels(d)); return ok }) {
			continue
		}
		d := deps[0]
		c.report(o, selLine, "selector (%s) does not select the pods of %s (labels %s): the Service has no endpoints and Felix finds no Typha; set spec.selector to %s: %s and give the pods that label",
			selectorString(&sel), d, labelString(podLabels(d)), terway.TyphaAppLabel, terway.TyphaName)
	}
}

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

// policyValue returns eni-config's disable_network_policy: its key node
// (nil when the key is absent) and its value node.
func policyValue(o *Object) (key, value *yaml.Node) {
	data := yn.Get(o.root, "data")
	return yn.Key(data, terway.KeyDisableNetworkPolicy), yn.Get(data, terway.KeyDisableNetworkPolicy)
}

func checkENIPolicyValue(c *Context) {
	for _, o := range c.eniConfigs {
		key, dnp := policyValue(o)
		if dnp == nil {
			continue
		}
		line, value := fieldAt(key), yn.Scalar(dnp)
		switch {
		case dnp.Kind != yaml.ScalarNode:
			c.report(o, line, "data.%s is a %s, not a string: the API server rejects it; write %q or %q",
				terway.KeyDisableNetworkPolicy, yn.KindName(dnp), "false", "true")
		case yaml11Bool(dnp):
			c.report(o, line, "data.%s is the unquoted %s, which kubectl's YAML reader makes the boolean %t, not a string: the API server rejects the ConfigMap (ConfigMap data must be strings); quote it: %q",
				terway.KeyDisableNetworkPolicy, dnp.Value, yaml11BoolValue(dnp), strconv.FormatBool(yaml11BoolValue(dnp)))
		case dnp.Tag == "!!int" || dnp.Tag == "!!float":
			c.report(o, line, "data.%s is the unquoted YAML %s %s, not a string: the API server rejects non-string ConfigMap data; quote it: %q",
				terway.KeyDisableNetworkPolicy, strings.TrimPrefix(dnp.Tag, "!!"), dnp.Value, strings.ToLower(dnp.Value))
		case value == "true" || value == "false", value == "0" || value == "":
			// Standard, or eni-policy-value-nonstandard's concern.
		default:
			hint := ""
			if t := strings.TrimSpace(value); t != value {
				hint = " (the surrounding whitespace or newline comes from a YAML block scalar such as |: use a quoted string)"
			}
			c.report(o, line, "data.%s is %q, which Terway reads as true, so NetworkPolicy is disabled: it compares the value with \"false\", \"0\" and \"\" exactly%s; write \"false\" to keep NetworkPolicy and use Typha, or \"true\" to disable it",
				terway.KeyDisableNetworkPolicy, value, hint)
		}
	}
}

func checkENIPolicyValueLoose(c *Context) {
	for _, o := range c.eniConfigs {
		key, dnp := policyValue(o)
		if dnp == nil || dnp.Kind != yaml.ScalarNode || yaml11Bool(dnp) || dnp.Tag == "!!int" || dnp.Tag == "!!float" {
			continue
		}
		if value := yn.Scalar(dnp); value == "0" || value == "" {
			c.report(o, fieldAt(key), "data.%s is %q: Terway reads it as NetworkPolicy enabled, but people and other tools may not; write %q",
				terway.KeyDisableNetworkPolicy, value, "false")
		}
	}
}

// relay returns eni-config's felix_relay_service and the line of its key;
// "" when it is not set.
func relay(o *Object) (string, []*yaml.Node) {
	data := yn.Get(o.root, "data")
	return yn.Scalar(yn.Get(data, terway.KeyFelixRelayService)), fieldAt(yn.Key(data, terway.KeyFelixRelayService))
}

func checkENIRelayService(c *Context) {
	for _, o := range c.eniConfigs {
		name, line := relay(o)
		if !relaysTo(name) {
			continue // eni-relay-service-value judges a value that names no Service
		}
		var elsewhere []string
		found := false
		for _, s := range c.allSvcs {
			if s.Name != name {
				continue
			}
			if s.Namespace == "" || s.Namespace == terway.TyphaNamespace {
				found = true
			} else {
				elsewhere = append(elsewhere, s.Namespace)
			}
		}
		switch {
		case found:
		case len(elsewhere) > 0:
			c.report(o, line, "data.%s names Service %q, found only in namespace %s, but Felix looks it up in %s: move the Service to %s",
				terway.KeyFelixRelayService, name, strings.Join(elsewhere, ", "), terway.TyphaNamespace, terway.TyphaNamespace)
		default:
			c.report(o, line, "data.%s names Service %q, which is not among the linted objects: Felix looks it up in %s and cannot reach Typha without it; lint eni-config together with the Typha manifests, or correct the name (%s)",
				terway.KeyFelixRelayService, name, terway.TyphaNamespace, terway.TyphaName)
		}
	}
}

func checkENIRelayUnused(c *Context) {
	for _, o := range c.eniConfigs {
		name, line := relay(o)
		_, dnp := policyValue(o)
		if name == "" || dnp == nil || dnp.Kind != yaml.ScalarNode || terway.NetworkPolicyEnabled(yn.Scalar(dnp)) {
			continue
		}
		c.report(o, line, "data.%s is %q but data.%s is %q, which disables NetworkPolicy: Terway runs no Felix, so Typha is unused; remove %s and the Typha objects, or set %s to %q",
			terway.KeyFelixRelayService, name, terway.KeyDisableNetworkPolicy, yn.Scalar(dnp), terway.KeyFelixRelayService, terway.KeyDisableNetworkPolicy, "false")
	}
}
