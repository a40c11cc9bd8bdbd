package rules

import (
	"slices"

	"go.yaml.in/yaml/v3"

	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// The PodDisruptionBudget rules: the API the cluster's version serves, and
// whether the budget selects the Typha pods.

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
