package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
)

// The Service and port rules: Felix finds Typha through the Service's port
// named calico-typha, which must lead to the port Typha listens on.

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
