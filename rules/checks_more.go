package rules

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/english"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
)

// cpaTarget is what a cluster-proportional-autoscaler scales: the
// Deployment named name in namespace ("" when the autoscaler's namespace
// is not known), and the autoscaler that does it.
type cpaTarget struct {
	name, namespace string
	by              *Object
}

// autoscalers returns the Deployments a cluster-proportional-autoscaler
// among the inputs scales. The autoscaler is a workload with a container
// whose image or command is cluster-proportional-autoscaler; it reads
// --target=KIND/NAME (case-insensitive; KIND deployment or deployments,
// optionally with .apps or .v1.apps) and --namespace, which defaults to
// its own pod's namespace [kubernetes-sigs/cluster-proportional-autoscaler,
// cmd/cluster-proportional-autoscaler/options/options.go and
// pkg/autoscaler/k8sclient/k8sclient.go].
func (c *Context) autoscalers() []cpaTarget {
	var out []cpaTarget
	for _, o := range c.objs {
		if podSpec(o) == nil {
			continue
		}
		for _, ctr := range containers(o) {
			args := append(stringList(yn.Get(ctr, "command")), stringList(yn.Get(ctr, "args"))...)
			isCPA := strings.Contains(yn.Scalar(yn.Get(ctr, "image")), "cluster-proportional-autoscaler")
			if len(args) > 0 && strings.HasSuffix(args[0], "cluster-proportional-autoscaler") {
				isCPA = true
			}
			if !isCPA {
				continue
			}
			target, ns := flagValue(args, "target"), flagValue(args, "namespace")
			if ns == "" {
				ns = o.Namespace // MY_POD_NAMESPACE, the autoscaler's own
			}
			kind, name, ok := strings.Cut(strings.ToLower(target), "/")
			if !ok || strings.Contains(name, "/") {
				continue
			}
			switch kind {
			case "deployment", "deployments", "deployment.apps", "deployments.apps", "deployment.v1.apps", "deployments.v1.apps":
				out = append(out, cpaTarget{name: name, namespace: ns, by: o})
			}
		}
	}
	return out
}

// stringList returns the scalars of a sequence node.
func stringList(n *yaml.Node) []string {
	var out []string
	for _, it := range yn.Items(n) {
		out = append(out, yn.Scalar(it))
	}
	return out
}

// flagValue returns the value of --name=V or "--name V" (or -name) in
// args, as pflag reads it; the last one wins.
func flagValue(args []string, name string) string {
	v := ""
	for i, a := range args {
		for _, p := range []string{"--" + name, "-" + name} {
			if rest, ok := strings.CutPrefix(a, p+"="); ok {
				v = rest
			} else if a == p && i+1 < len(args) {
				v = args[i+1]
			}
		}
	}
	return v
}

// autoscaledBy returns the autoscaler that owns the replica count of the
// Typha Deployment d, or nil.
func (c *Context) autoscaledBy(d *Object) *Object {
	for _, t := range c.autoscalerTargets {
		if t.name == d.Name && (t.namespace == "" || d.Namespace == "" || t.namespace == d.Namespace) {
			return t.by
		}
	}
	return nil
}

// bindsHostPort reports whether a workload's pods bind a port on their
// node: hostNetwork: true, or a container port with a hostPort.
func bindsHostPort(o *Object) (bool, string) {
	if hn := yn.Get(podSpec(o), "hostNetwork"); hn != nil && hn.Tag == "!!bool" && hn.Value == "true" {
		return true, "hostNetwork"
	}
	for _, ctr := range containers(o) {
		for _, p := range yn.Items(yn.Get(ctr, "ports")) {
			if hp := yn.Scalar(yn.Get(p, "hostPort")); hp != "" && hp != "0" {
				return true, "hostPort " + hp
			}
		}
	}
	return false, ""
}

// rollout is how the Deployment controller rolls a Deployment out.
type rollout struct {
	recreate   bool // type: Recreate stops every old pod before it starts a new one
	maxUnavail int  // resolved for the replica count
	unavailWhy string
	invalid    bool // a value the API server rejects: nothing is said about it
}

// rolloutOf resolves a Deployment's strategy for replicas as the
// Deployment controller does (k8s.io/kubernetes pkg/controller/deployment/
// util.ResolveFenceposts): maxSurge and maxUnavailable default to 25%; a
// percentage is of the replica count, rounded up for maxSurge and down
// for maxUnavailable; when both come to 0, maxUnavailable is 1.
func rolloutOf(o *Object, replicas int) rollout {
	strategy := yn.Path(o.root, "spec", "strategy")
	if yn.Scalar(yn.Get(strategy, "type")) == "Recreate" {
		return rollout{recreate: true}
	}
	ru := yn.Get(strategy, "rollingUpdate")
	resolve := func(key string, roundUp bool) (v int, why string, ok bool) {
		n := yn.Get(ru, key)
		if n != nil && n.Tag == "!!null" {
			n = nil // null is the default
		}
		raw := yn.Scalar(n)
		if n == nil {
			raw = "25%"
		}
		if pct, isPct := strings.CutSuffix(raw, "%"); isPct && (n == nil || n.Tag == "!!str") {
			p, err := strconv.Atoi(pct)
			if err != nil || p < 0 {
				return 0, "", false
			}
			f := float64(p) * float64(replicas) / 100
			v, dir := int(math.Floor(f)), "down"
			if roundUp {
				v, dir = int(math.Ceil(f)), "up"
			}
			why = fmt.Sprintf("%s of %d, rounded %s", raw, replicas, dir)
			if n == nil {
				why = "the default " + why
			}
			return v, why, true
		}
		v, err := strconv.Atoi(raw)
		if err != nil || v < 0 || n.Tag != "!!int" {
			return 0, "", false
		}
		return v, "", true
	}
	surge, _, okS := resolve("maxSurge", true)
	unavail, why, okU := resolve("maxUnavailable", false)
	if !okS || !okU {
		return rollout{invalid: true}
	}
	r := rollout{maxUnavail: unavail, unavailWhy: why}
	if surge == 0 && r.maxUnavail == 0 {
		r.maxUnavail, r.unavailWhy = 1, "1: when maxSurge and maxUnavailable both come to 0, the controller uses 1"
	}
	return r
}

func checkReplicasNotBelowNodes(c *Context) {
	nodes := c.facts.Nodes
	hint := ""
	if nodes <= sizing.RecommendAbove {
		hint = fmt.Sprintf(" (at %d nodes or fewer Typha is not needed: each Felix can watch the API server directly)", sizing.RecommendAbove)
	}
	c.typhaReplicas(func(o *Object, replicas int, what string, line []*yaml.Node) {
		if !sizing.TooManyReplicas(nodes, replicas) {
			return
		}
		bound, how := bindsHostPort(o)
		if !bound {
			return // without a host port, any number of replicas fit on a node
		}
		if replicas > nodes {
			c.report(o, line, "%s for %s: with %s each node runs one replica at most, so %s Pending for good and a rolling update has no free node to start on; set spec.replicas below %d%s",
				what, english.Count(nodes, "node"), how, english.Count(replicas-nodes, "pod")+map[bool]string{true: " stays", false: " stay"}[replicas-nodes == 1], nodes, hint)
			return
		}
		ro := rolloutOf(o, replicas)
		if ro.recreate || ro.invalid || ro.maxUnavail > 0 {
			// Recreate stops every old pod first; with maxUnavailable
			// of 1 or more the controller stops old pods to make room.
			return
		}
		unavail := "0"
		if ro.unavailWhy != "" {
			unavail += " (" + ro.unavailWhy + ")"
		}
		c.report(o, line, "%s for %s with maxUnavailable %s: with %s each node runs one replica at most, so a rolling update must start a surge pod before stopping an old one and has no free node to start it on: it stalls; set spec.replicas below %d, or spec.strategy.rollingUpdate.maxUnavailable: 1%s",
			what, english.Count(nodes, "node"), unavail, how, nodes, hint)
	})
}

// typhaListenPort returns the port the Typha container ctr listens on:
// TYPHA_SERVERPORT when set to a number other than 0, else
// terway.TyphaPort (terway.TyphaServerPortEnv has the source).
func typhaListenPort(ctr *yaml.Node) (int, string) {
	for _, e := range yn.Items(yn.Get(ctr, "env")) {
		if yn.Scalar(yn.Get(e, "name")) != terway.TyphaServerPortEnv {
			continue
		}
		if v, err := strconv.Atoi(yn.Scalar(yn.Get(e, "value"))); err == nil && v > 0 {
			return v, terway.TyphaServerPortEnv + " " + strconv.Itoa(v)
		}
	}
	return terway.TyphaPort, ""
}

// typhaContainers calls fn for every container of every Typha Deployment
// that is Typha itself (isTyphaContainer).
func (c *Context) typhaContainers(fn func(o, ctr *yaml.Node, d *Object)) {
	for _, d := range c.typha {
		for _, ctr := range yn.Items(yn.Get(podSpec(d), "containers")) {
			if isTyphaContainer(ctr) {
				fn(d.root, ctr, d)
			}
		}
	}
}

func checkTyphaContainerPort(c *Context) {
	c.typhaContainers(func(_, ctr *yaml.Node, d *Object) {
		listen, why := typhaListenPort(ctr)
		for _, p := range yn.Items(yn.Get(ctr, "ports")) {
			if yn.Scalar(yn.Get(p, "name")) != terway.TyphaName {
				continue
			}
			cp := yn.Get(p, "containerPort")
			if yn.Scalar(cp) == strconv.Itoa(listen) {
				continue
			}
			by := fmt.Sprintf("Typha listens on %d", listen)
			if why != "" {
				by += " (" + why + ")"
			}
			c.report(d, fieldAt(cp, p), "container %q port %s has containerPort %s, but %s: the Service's targetPort %s resolves to %s and Felix connects to nothing; set containerPort: %d",
				yn.Scalar(yn.Get(ctr, "name")), terway.TyphaName, valueOrUnset(cp), by, terway.TyphaName, valueOrUnset(cp), listen)
		}
	})
}

// namespaceMatch reports whether objects in namespaces a and b can refer
// to each other: the same, or one not given (applied with -n).
func namespaceMatch(a, b string) bool { return a == b || a == "" || b == "" }

// typhaFor returns the Typha Deployments an object in namespace ns goes
// with (namespaceMatch), worked out once per namespace: the cross-object
// rules ask for every Service and PodDisruptionBudget, and a tree with
// thousands of each would otherwise pair them all anew.
func (c *Context) typhaFor(ns string) []*Object {
	if deps, ok := c.typhaByNS[ns]; ok {
		return deps
	}
	var deps []*Object
	for _, d := range c.typha {
		if namespaceMatch(d.Namespace, ns) {
			deps = append(deps, d)
		}
	}
	if c.typhaByNS == nil {
		c.typhaByNS = map[string][]*Object{}
	}
	c.typhaByNS[ns] = deps
	return deps
}

// portNames returns the names of a workload's container ports, in order.
func portNames(d *Object) []string {
	var names []string
	for _, ctr := range containers(d) {
		for _, p := range yn.Items(yn.Get(ctr, "ports")) {
			if n := yn.Scalar(yn.Get(p, "name")); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

func checkServiceTargetPortName(c *Context) {
	for _, o := range c.services {
		port := typhaPort(o)
		tp := yn.Get(port, "targetPort")
		if tp == nil || tp.Tag != "!!str" || tp.Value == "" {
			continue // a number, or unset (the port): service-port-number's concern
		}
		deps := c.typhaFor(o.Namespace)
		if len(deps) == 0 {
			c.skip("the Typha Deployment among the inputs", "a named targetPort is looked up among its container ports")
			continue
		}
		if slices.ContainsFunc(deps, func(d *Object) bool { return slices.Contains(portNames(d), tp.Value) }) {
			continue
		}
		var names []string
		for _, d := range deps {
			for _, n := range portNames(d) {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		have := "none is named"
		if len(names) > 0 {
			have = "the named ones are " + strings.Join(names, ", ")
		}
		c.report(o, fieldAt(tp), "port %s has targetPort %q, but no container port of %s carries that name (%s): the Service gets no endpoints and Felix finds no Typha; set targetPort: %s and name the container port %s",
			terway.TyphaName, tp.Value, deps[0], have, terway.TyphaName, terway.TyphaName)
	}
}

// isTyphaPDB: a PodDisruptionBudget terway.IsTyphaPDB says is Typha's.
func isTyphaPDB(o *Object) bool {
	if o.Kind != "PodDisruptionBudget" {
		return false
	}
	return terway.IsTyphaPDB(o.Name, yn.StringMap(yn.Path(o.root, "spec", "selector", "matchLabels")))
}

func checkPDBSelector(c *Context) {
	for _, o := range c.objs {
		if !isTyphaPDB(o) {
			continue
		}
		spec := yn.Get(o.root, "spec")
		line := fieldAt(yn.Key(spec, "selector"), yn.Key(o.root, "spec"))
		deps := c.typhaFor(o.Namespace)
		if len(deps) == 0 {
			c.skip("the Typha Deployment among the inputs", "the PodDisruptionBudget's selector is compared with its pod labels")
			continue
		}
		sel := labelSelector(yn.Get(spec, "selector"))
		if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
			if yn.Get(spec, "selector") == nil {
				c.report(o, line, "has no spec.selector: it protects no pod, so node drains may evict every Typha replica at once; set spec.selector.matchLabels to %s: %s", terway.TyphaAppLabel, terway.TyphaName)
			}
			// An empty selector {} selects every pod in the namespace, Typha's included.
			continue
		}
		if slices.ContainsFunc(deps, func(d *Object) bool { ok, _ := selects(&sel, podLabels(d)); return ok }) {
			continue
		}
		d := deps[0]
		c.report(o, line, "selector (%s) matches no pod of %s (labels %s): the budget protects no Typha replica, so a node drain may evict them all at once and Felix loses Typha; set spec.selector.matchLabels to %s: %s",
			selectorString(&sel), d, labelString(podLabels(d)), terway.TyphaAppLabel, terway.TyphaName)
	}
}

func checkENIConfigConflict(c *Context) {
	if len(c.eniConfigs) < 2 {
		return
	}
	first := c.eniConfigs[0]
	want := yn.StringMap(yn.Get(first.root, "data"))
	for _, o := range c.eniConfigs[1:] {
		got := yn.StringMap(yn.Get(o.root, "data"))
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(unionKeys(want, got))) {
			a, inA := want[k]
			b, inB := got[k]
			switch {
			case inA && inB && a != b:
				diffs = append(diffs, fmt.Sprintf("data.%s is %q here and %q there", k, abbreviate(b), abbreviate(a)))
			case inA && !inB:
				diffs = append(diffs, fmt.Sprintf("data.%s is missing here and %q there", k, abbreviate(a)))
			case !inA && inB:
				diffs = append(diffs, fmt.Sprintf("data.%s is %q here and missing there", k, abbreviate(b)))
			}
		}
		if len(diffs) == 0 {
			continue // the same ConfigMap twice, such as a file and its live export
		}
		c.report(o, nil, "is a second kube-system/eni-config, and it differs from the one at %s:%d: %s; the one applied last wins and Terway reads only that one, so the rules judged a ConfigMap that may never exist; keep one eni-config among the inputs",
			first.File, first.Line, strings.Join(diffs, "; "))
	}
}

func unionKeys(a, b map[string]string) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// abbreviate shortens a long value for a message.
func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// yaml11Bool reports whether n is a plain (unquoted) scalar that a YAML
// 1.1 reader, such as the one kubectl uses (sigs.k8s.io/yaml, go-yaml v2),
// reads as a boolean: y, yes, on, true, n, no, off, false in lower, title
// or upper case [go-yaml v2 resolve.go]. go-yaml v3, which lint reads
// with, follows YAML 1.2 and reads yes/no/on/off as strings.
func yaml11Bool(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode || n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false
	}
	if n.Tag == "!!bool" {
		return true
	}
	if n.Tag != "!!str" || n.Style&yaml.TaggedStyle != 0 {
		return false
	}
	switch n.Value {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

// yaml11BoolValue is the boolean a YAML 1.1 reader makes of n.
func yaml11BoolValue(n *yaml.Node) bool {
	switch strings.ToLower(n.Value) {
	case "y", "yes", "on", "true":
		return true
	}
	return false
}

// checkTyphaRelayConfigured: only where the inputs or the facts show a
// Terway cluster. Elsewhere (a plain Calico or operator install) Felix
// finds Typha through Calico's own configuration, not eni-config.
func checkTyphaRelayConfigured(c *Context) {
	if len(c.relayNames) > 0 || len(c.typha) == 0 {
		return
	}
	if !c.terwayShown() {
		c.skipFact(FactTerway, "Felix finds Typha through eni-config's felix_relay_service only on a Terway cluster (an eni-config among the inputs also shows it)")
		return
	}
	for _, d := range c.typha {
		c.report(d, nil, "deploys Typha, but no linted eni-config sets %s: until kube-system/eni-config has data.%s: %s (a top-level key, not part of eni_conf) and Terway restarts, Felix keeps watching the API server; lint eni-config with the manifests to check it",
			terway.KeyFelixRelayService, terway.KeyFelixRelayService, terway.TyphaName)
	}
}
