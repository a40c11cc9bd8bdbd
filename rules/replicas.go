package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/english"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/sizing"
)

// The replica rules: how many Typha replicas for the node count, who owns
// the count (a cluster-proportional-autoscaler), and how a rolling update
// proceeds when each node holds one replica at most.

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
