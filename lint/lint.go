package lint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Lint checks objs against every rule for the cluster f describes. Rules
// that need a fact f does not give are skipped and listed in
// [Report.Skipped]. It returns an error only for an invalid fact.
func Lint(objs []*Object, f Facts) (*Report, error) {
	facts, err := f.resolve()
	if err != nil {
		return nil, err
	}
	l := &linter{facts: facts, skipped: map[string]string{}, severity: map[string]Severity{}}
	for _, r := range Rules() {
		l.severity[r.ID] = r.Severity
	}
	if !facts.hasVer {
		l.skip(RulePDBAPINotServed, "needs --kube-version: which PodDisruptionBudget API is served depends on the cluster's version")
		l.skip(RulePDBAPIDeprecated, "needs --kube-version: which PodDisruptionBudget API is deprecated depends on the cluster's version")
	}
	if facts.nodes == 0 {
		l.skip(RuleReplicasBelowRecommended, "needs --nodes: the recommended replica count depends on the cluster's node count")
		l.skip(RuleReplicasNotBelowNodes, "needs --nodes: whether replicas fit one per node depends on the cluster's node count")
	}
	if facts.region == "" {
		l.skip(RuleImageRegionMismatch, "needs --region: the image's registry region is compared with the cluster's")
	}
	l.classify(objs)
	for _, o := range objs {
		switch o.Kind {
		case versioning.KindPodDisruptionBudget:
			l.pdb(o)
		case "Deployment":
			l.deploymentSelector(o)
		}
	}
	for _, d := range l.typha {
		l.replicas(d)
		l.images(d)
	}
	for _, s := range l.services {
		l.service(s)
	}
	for _, cm := range l.eniConfigs {
		l.eniConfig(cm)
	}
	l.relayConfigured()

	r := &Report{Findings: l.findings, Objects: len(objs)}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	sortFindings(r.Findings)
	r.Skipped = []Skip{}
	for _, rule := range Rules() {
		if why, ok := l.skipped[rule.ID]; ok {
			r.Skipped = append(r.Skipped, Skip{Rule: rule.ID, Reason: why})
		}
	}
	return r, nil
}

type linter struct {
	facts      facts
	typha      []*Object // Typha Deployments
	services   []*Object // Typha Services: calico-typha, or named by felix_relay_service
	allSvcs    []*Object
	eniConfigs []*Object
	relayNames map[string]bool
	findings   []Finding
	skipped    map[string]string   // rule ID -> why it did not run
	severity   map[string]Severity // rule ID -> its severity, from Rules
}

func (l *linter) report(rule string, o *Object, line int, format string, args ...any) {
	l.findings = append(l.findings, Finding{
		Rule: rule, Severity: l.severity[rule], File: o.File, Line: line, Object: o.String(),
		Message: o.String() + ": " + fmt.Sprintf(format, args...),
	})
}

func (l *linter) skip(rule, why string) {
	if _, ok := l.skipped[rule]; !ok {
		l.skipped[rule] = why
	}
}

// isENIConfig: Terway's ConfigMap, in kube-system or with no namespace
// (applied with -n kube-system).
func isENIConfig(o *Object) bool {
	return o.Kind == "ConfigMap" && o.Name == terway.ENIConfigName && (o.Namespace == "" || o.Namespace == terway.ENIConfigNamespace)
}

// isTypha: a Deployment named calico-typha, or whose pods carry
// k8s-app: calico-typha, or with a container named calico-typha.
func isTypha(o *Object) bool {
	if o.Kind != "Deployment" {
		return false
	}
	if o.Name == render.Name || stringMap(path(o.root, "spec", "template", "metadata", "labels"))[render.AppLabel] == render.Name {
		return true
	}
	for _, c := range containers(o) {
		if scalar(get(c, "name")) == render.Name {
			return true
		}
	}
	return false
}

func containers(o *Object) []*yaml.Node {
	spec := path(o.root, "spec", "template", "spec")
	return append(items(get(spec, "initContainers")), items(get(spec, "containers"))...)
}

func (l *linter) classify(objs []*Object) {
	l.relayNames = map[string]bool{}
	for _, o := range objs {
		if isENIConfig(o) {
			l.eniConfigs = append(l.eniConfigs, o)
			if relay := scalar(path(o.root, "data", terway.KeyFelixRelayService)); relay != "" {
				l.relayNames[relay] = true
			}
		}
	}
	for _, o := range objs {
		switch {
		case isTypha(o):
			l.typha = append(l.typha, o)
		case o.Kind == "Service":
			l.allSvcs = append(l.allSvcs, o)
			if o.Name == render.Name || l.relayNames[o.Name] {
				l.services = append(l.services, o)
			}
		}
	}
}

func (l *linter) pdb(o *Object) {
	if !l.facts.hasVer {
		return
	}
	v := l.facts.version
	line := lineOf(keyNode(o.root, "apiVersion"), o.Line)
	want := versioning.APIVersionFor(versioning.KindPodDisruptionBudget, v)
	at := "Kubernetes " + v.String()
	if v.Original() != v.String() {
		at += " (" + v.Original() + ")"
	}
	switch versioning.Served(o.APIVersion, versioning.KindPodDisruptionBudget, v) {
	case versioning.NotServed:
		l.report(RulePDBAPINotServed, o, line, "apiVersion %s is not served by %s, only by %s: kubectl apply fails with no matches for kind PodDisruptionBudget; set apiVersion: %s",
			o.APIVersion, at, versioning.ServedRange(o.APIVersion, versioning.KindPodDisruptionBudget), want)
	case versioning.Unknown:
		l.report(RulePDBAPINotServed, o, line, "apiVersion %s is not a PodDisruptionBudget API (policy/v1 from 1.21, policy/v1beta1 up to 1.24); set apiVersion: %s for %s",
			o.APIVersion, want, at)
	case versioning.Deprecated:
		l.report(RulePDBAPIDeprecated, o, line, "apiVersion %s is deprecated at %s and served only %s: the manifest breaks on upgrade; set apiVersion: %s, which this cluster serves",
			o.APIVersion, at, versioning.ServedRange(o.APIVersion, versioning.KindPodDisruptionBudget), versioning.PDBAPIVersionV1)
	}
}

func (l *linter) replicas(o *Object) {
	if l.facts.nodes == 0 {
		return
	}
	nodes := l.facts.nodes
	spec := get(o.root, "spec")
	n := get(spec, "replicas")
	replicas, what, line := 1, "1 replica (spec.replicas is unset, and defaults to 1)", lineOf(keyNode(o.root, "spec"), o.Line)
	if n != nil {
		v, err := strconv.Atoi(scalar(n))
		if err != nil || n.Tag != "!!int" {
			return // not a number: the API server rejects it
		}
		replicas, what, line = v, fmt.Sprintf("%d %s", v, plural(v, "replica")), n.Line
	}
	rec := sizing.Recommend(nodes)
	switch {
	case sizing.TooManyReplicas(nodes, replicas):
		hint := ""
		if nodes <= sizing.RecommendAbove {
			hint = fmt.Sprintf(" (at %d nodes or fewer Typha is not needed: each Felix can watch the API server directly)", sizing.RecommendAbove)
		}
		l.report(RuleReplicasNotBelowNodes, o, line, "%s for %d %s: Typha binds host port %d, so each node runs one replica at most and a rolling update has no free node to start on; set spec.replicas below %d%s",
			what, nodes, plural(nodes, "node"), sizing.TyphaPort, nodes, hint)
	case replicas < rec && rec < nodes:
		l.report(RuleReplicasBelowRecommended, o, line, "%s, below the %d recommended for %d nodes (one per %d nodes, at least %d): set spec.replicas to %d",
			what, rec, nodes, sizing.NodesPerReplica, sizing.MinReplicas, rec)
	}
}

func (l *linter) images(o *Object) {
	for _, c := range containers(o) {
		name := scalar(get(c, "name"))
		imgNode := get(c, "image")
		ref := scalar(imgNode)
		line := lineOf(imgNode, lineOf(c, o.Line))
		if strings.Contains(ref, terway.RegionPlaceholder) {
			example := "cn-hangzhou"
			if l.facts.region != "" {
				example = l.facts.region
			}
			l.report(RuleImageRegionPlaceholder, o, line, "container %q image %s still holds the guide's %s placeholder, so it cannot be pulled: replace it with the cluster's region ID, as in %s",
				name, ref, terway.RegionPlaceholder, strings.ReplaceAll(ref, terway.RegionPlaceholder, example))
			continue
		}
		img, err := imageref.Parse(ref)
		if err != nil {
			l.report(RuleImageInvalid, o, line, "container %q: %v", name, err)
			continue
		}
		if l.facts.region == "" {
			continue
		}
		if region, ok := terway.RegistryRegion(img.Registry); ok && region != l.facts.region {
			fixed := img
			fixed.Registry = strings.Replace(img.Registry, "."+region+".", "."+l.facts.region+".", 1)
			l.report(RuleImageRegionMismatch, o, line, "container %q pulls from %s, the registry of region %s, but the cluster is in %s: the VPC endpoint of another region is unreachable; use %s",
				name, img.Registry, region, l.facts.region, fixed)
		}
	}
}

// selector is a parsed label selector: matchLabels, or a Service's map.
type selector struct {
	labels map[string]string
	exprs  []*yaml.Node
}

func (s selector) empty() bool { return len(s.labels) == 0 && len(s.exprs) == 0 }

// matches reports whether s selects a pod with labels, as
// metav1.LabelSelector does.
func (s selector) matches(labels map[string]string) bool {
	for k, v := range s.labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for _, e := range s.exprs {
		key := scalar(get(e, "key"))
		got, has := labels[key]
		var values []string
		for _, v := range items(get(e, "values")) {
			values = append(values, scalar(v))
		}
		in := false
		for _, v := range values {
			in = in || (has && got == v)
		}
		switch scalar(get(e, "operator")) {
		case "In":
			if !in {
				return false
			}
		case "NotIn":
			if in {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			return false // the API server rejects an unknown operator
		}
	}
	return true
}

func (s selector) String() string {
	var parts []string
	for _, k := range sortedKeys(s.labels) {
		parts = append(parts, k+"="+s.labels[k])
	}
	for _, e := range s.exprs {
		parts = append(parts, fmt.Sprintf("%s %s", scalar(get(e, "key")), scalar(get(e, "operator"))))
	}
	return strings.Join(parts, ",")
}

func labelString(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	return selector{labels: m}.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (l *linter) deploymentSelector(o *Object) {
	spec := get(o.root, "spec")
	selNode := get(spec, "selector")
	labels := stringMap(path(spec, "template", "metadata", "labels"))
	line := lineOf(keyNode(spec, "selector"), lineOf(keyNode(o.root, "spec"), o.Line))
	sel := selector{labels: stringMap(get(selNode, "matchLabels")), exprs: items(get(selNode, "matchExpressions"))}
	switch {
	case sel.empty() && (o.APIVersion == "extensions/v1beta1" || o.APIVersion == "apps/v1beta1"):
		// These old APIs default the selector to the template's labels.
	case sel.empty():
		l.report(RuleDeploymentSelector, o, line, "spec.selector is missing or empty: apps/v1 requires one and the API server rejects the Deployment; set spec.selector.matchLabels to the pod template's labels (%s)", labelString(labels))
	case !sel.matches(labels):
		l.report(RuleDeploymentSelector, o, line, "spec.selector (%s) does not match its own pod template labels (%s): the API server rejects the Deployment; make spec.template.metadata.labels include every selector entry",
			sel, labelString(labels))
	}
}

func (l *linter) service(o *Object) {
	spec := get(o.root, "spec")
	specLine := lineOf(keyNode(o.root, "spec"), o.Line)
	portsLine := lineOf(keyNode(spec, "ports"), specLine)
	var port *yaml.Node
	for _, p := range items(get(spec, "ports")) {
		if scalar(get(p, "name")) == render.PortName {
			port = p
			break
		}
	}
	if port == nil {
		l.report(RuleServicePortName, o, portsLine, "has no port named %s: Felix's Typha discovery looks the port up by that name and finds no Typha; add name: %s to the port for %d",
			render.PortName, render.PortName, render.Port)
	} else {
		if pn := get(port, "port"); scalar(pn) != strconv.Itoa(render.Port) {
			l.report(RuleServicePortNumber, o, lineOf(pn, lineOf(port, portsLine)), "port %s is %s, not %d: Typha listens on %d; set port: %d",
				render.PortName, valueOrUnset(pn), render.Port, render.Port, render.Port)
		}
		if tp := get(port, "targetPort"); tp != nil && tp.Tag == "!!int" && tp.Value != strconv.Itoa(render.Port) {
			l.report(RuleServicePortNumber, o, tp.Line, "port %s has targetPort %s, but Typha listens on host port %d: set targetPort: %s (the container port's name) or %d",
				render.PortName, tp.Value, render.Port, render.PortName, render.Port)
		}
	}

	sel := selector{labels: stringMap(get(spec, "selector"))}
	selLine := lineOf(keyNode(spec, "selector"), specLine)
	if sel.empty() {
		l.report(RuleServiceSelector, o, selLine, "has no selector: it selects no Typha pods, so it has no endpoints for Felix; set spec.selector to %s: %s", render.AppLabel, render.Name)
		return
	}
	var deps []*Object
	for _, d := range l.typha {
		if d.Namespace == o.Namespace || d.Namespace == "" || o.Namespace == "" {
			deps = append(deps, d)
		}
	}
	if len(deps) == 0 {
		l.skip(RuleServiceSelector, "needs the Typha Deployment among the inputs: the Service's selector is compared with its pod labels")
		return
	}
	for _, d := range deps {
		if sel.matches(stringMap(path(d.root, "spec", "template", "metadata", "labels"))) {
			return
		}
	}
	d := deps[0]
	labels := stringMap(path(d.root, "spec", "template", "metadata", "labels"))
	l.report(RuleServiceSelector, o, selLine, "selector (%s) does not select the pods of %s (labels %s): the Service has no endpoints and Felix finds no Typha; set spec.selector to %s: %s and give the pods that label",
		sel, d, labelString(labels), render.AppLabel, render.Name)
}

func valueOrUnset(n *yaml.Node) string {
	if v := scalar(n); v != "" {
		return v
	}
	return "unset"
}

func (l *linter) eniConfig(o *Object) {
	data := get(o.root, "data")
	dnpKey, dnp := keyNode(data, terway.KeyDisableNetworkPolicy), get(data, terway.KeyDisableNetworkPolicy)
	dnpValue := scalar(dnp)
	if dnp != nil {
		line := lineOf(dnpKey, o.Line)
		switch {
		case dnp.Kind != yaml.ScalarNode:
			l.report(RuleENIPolicyValue, o, line, "data.%s is a %s, not a string: the API server rejects it; write %q or %q",
				terway.KeyDisableNetworkPolicy, kindName(dnp), "false", "true")
		case dnp.Tag == "!!bool" || dnp.Tag == "!!int" || dnp.Tag == "!!float":
			l.report(RuleENIPolicyValue, o, line, "data.%s is the unquoted YAML %s %s, not a string: the API server rejects non-string ConfigMap data; quote it: %q",
				terway.KeyDisableNetworkPolicy, strings.TrimPrefix(dnp.Tag, "!!"), dnp.Value, strings.ToLower(dnp.Value))
		case dnpValue == "true" || dnpValue == "false":
		case dnpValue == "0" || dnpValue == "":
			l.report(RuleENIPolicyValueLoose, o, line, "data.%s is %q: Terway reads it as NetworkPolicy enabled, but people and other tools may not; write %q",
				terway.KeyDisableNetworkPolicy, dnpValue, "false")
		default:
			hint := ""
			if t := strings.TrimSpace(dnpValue); t != dnpValue {
				hint = " (the surrounding whitespace or newline comes from a YAML block scalar such as |: use a quoted string)"
			}
			l.report(RuleENIPolicyValue, o, line, "data.%s is %q, which Terway reads as true, so NetworkPolicy is disabled: it compares the value with \"false\", \"0\" and \"\" exactly%s; write \"false\" to keep NetworkPolicy and use Typha, or \"true\" to disable it",
				terway.KeyDisableNetworkPolicy, dnpValue, hint)
		}
	}

	relay := scalar(get(data, terway.KeyFelixRelayService))
	if relay == "" {
		return
	}
	relayLine := lineOf(keyNode(data, terway.KeyFelixRelayService), o.Line)
	var elsewhere []string
	found := false
	for _, s := range l.allSvcs {
		if s.Name != relay {
			continue
		}
		if s.Namespace == "" || s.Namespace == render.Namespace {
			found = true
		} else {
			elsewhere = append(elsewhere, s.Namespace)
		}
	}
	switch {
	case found:
	case len(elsewhere) > 0:
		l.report(RuleENIRelayServiceMissing, o, relayLine, "data.%s names Service %q, found only in namespace %s, but Felix looks it up in %s: move the Service to %s",
			terway.KeyFelixRelayService, relay, strings.Join(elsewhere, ", "), render.Namespace, render.Namespace)
	default:
		l.report(RuleENIRelayServiceMissing, o, relayLine, "data.%s names Service %q, which is not among the linted objects: Felix looks it up in %s and cannot reach Typha without it; lint eni-config together with the Typha manifests, or correct the name (%s)",
			terway.KeyFelixRelayService, relay, render.Namespace, render.Name)
	}
	if dnp != nil && dnp.Kind == yaml.ScalarNode && !terway.NetworkPolicyEnabled(dnpValue) {
		l.report(RuleENIRelayUnused, o, relayLine, "data.%s is %q but data.%s is %q, which disables NetworkPolicy: Terway runs no Felix, so Typha is unused; remove %s and the Typha objects, or set %s to %q",
			terway.KeyFelixRelayService, relay, terway.KeyDisableNetworkPolicy, dnpValue, terway.KeyFelixRelayService, terway.KeyDisableNetworkPolicy, "false")
	}
}

func (l *linter) relayConfigured() {
	if len(l.typha) == 0 || len(l.relayNames) > 0 {
		return
	}
	for _, d := range l.typha {
		l.report(RuleTyphaRelayNotConfigured, d, d.Line, "deploys Typha, but no linted eni-config sets %s: until kube-system/eni-config has data.%s: %s (a top-level key, not part of eni_conf) and Terway restarts, Felix keeps watching the API server; lint eni-config with the manifests to check it",
			terway.KeyFelixRelayService, terway.KeyFelixRelayService, render.Name)
	}
}
