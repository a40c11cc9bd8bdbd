package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/finding"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
)

// Skip is a rule that did not run, and why.
type Skip struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"` // "needs Facts.Nodes: " or "needs <the inputs it missed>: ", then Why

	// Needs is the facts the rule needed and was not given; 0 when what
	// was missing was among the objects, such as the Typha Deployment a
	// Service's selector is compared with. A caller that names the facts
	// otherwise (a CLI by its flags) words the reason from Needs and Why.
	Needs Fact `json:"-"`
	// Why is what the rule needed it for: the end of Reason.
	Why string `json:"-"`
}

// Run checks objs against every rule for the cluster f describes, and
// returns the findings, sorted by file, line (for objects in memory, the
// order of the objects and of their fields), rule and message, and the
// rules it skipped, in rule order: a rule that needs a fact f does not
// give ([Rule.Needs]) is skipped, and so is one that needs an object that
// is not among objs. It validates nothing: f is checked already
// (lint.Facts.Resolve checks what a person gives; render gives the facts
// it rendered for).
func Run(objs []*Object, f Facts) ([]finding.Finding, []Skip) {
	c := newContext(objs, f)
	for i := range rules {
		r := &rules[i]
		if missing := r.Needs &^ c.known; missing != 0 {
			names := make([]string, 0, 3)
			for _, b := range missing.Each() {
				names = append(names, "Facts."+b.String())
			}
			c.skipped = append(c.skipped, Skip{Rule: r.ID, Needs: missing, Why: r.NeedsWhy,
				Reason: "needs " + strings.Join(names, " and ") + ": " + r.NeedsWhy})
			continue
		}
		c.rule = r
		r.Check(c)
	}
	slices.SortStableFunc(c.found, func(a, b found) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.pos, b.pos), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
	})
	findings := make([]finding.Finding, len(c.found))
	for i, f := range c.found {
		findings[i] = f.Finding
	}
	return findings, c.skipped
}

// found is a finding and where it sorts: its line, or, for an object in
// memory, the object's place among the objects and the field's in the
// object, in document order.
type found struct {
	finding.Finding
	pos int
}

// Context is what a rule's Check works on: every object, sorted into the
// kinds the rules look at, the cluster facts, and the findings so far.
// [Run] makes one per run and hands it to each rule in turn.
type Context struct {
	facts      Facts
	known      Fact // the facts given
	objs       []*Object
	index      map[*Object]int // each object's place in objs, for the order of findings about objects in memory
	typha      []*Object       // Typha Deployments
	services   []*Object       // Typha Services: calico-typha, or named by felix_relay_service
	allSvcs    []*Object
	eniConfigs []*Object
	relayNames map[string]bool      // the Services eni-configs' felix_relay_service names
	typhaByNS  map[string][]*Object // typhaFor's answers, by namespace

	autoscalerTargets []cpaTarget // what cluster-proportional-autoscalers among the inputs scale

	rule    *Rule // the rule running
	found   []found
	skipped []Skip
}

func newContext(objs []*Object, f Facts) *Context {
	c := &Context{facts: f, known: f.Known(), objs: objs, relayNames: map[string]bool{}, index: make(map[*Object]int, len(objs))}
	for i, o := range objs {
		if _, ok := c.index[o]; !ok {
			c.index[o] = i
		}
	}
	for _, o := range objs {
		if isENIConfig(o) {
			c.eniConfigs = append(c.eniConfigs, o)
			if relay := yn.Scalar(yn.Path(o.root, "data", terway.KeyFelixRelayService)); relay != "" {
				c.relayNames[relay] = true
			}
		}
	}
	c.autoscalerTargets = c.autoscalers()
	for _, o := range objs {
		switch {
		case isTypha(o):
			c.typha = append(c.typha, o)
		case o.Kind == "Service":
			c.allSvcs = append(c.allSvcs, o)
			if o.Name == terway.TyphaName || c.relayNames[o.Name] {
				c.services = append(c.services, o)
			}
		}
	}
	return c
}

// report records a finding of the running rule about o, at the first of
// at that is not nil (the field at fault, then fallbacks), or about the
// object as a whole.
func (c *Context) report(o *Object, at []*yaml.Node, format string, args ...any) {
	var n *yaml.Node
	for _, a := range at {
		if a != nil && a.Line > 0 {
			n = a
			break
		}
	}
	pos := o.Line
	if n != nil {
		pos = n.Line
	} else if o.inMemory {
		pos = o.root.Line
	}
	if o.inMemory { // positions count within each object: order by object first
		pos += (c.index[o] + 1) << 24
	}
	f := finding.Finding{
		Rule: c.rule.ID, Severity: c.rule.Severity, Object: o.Ref(), Field: o.fieldPath(n), File: o.File,
		Message: o.String() + ": " + fmt.Sprintf(format, args...), Fix: c.rule.Fix,
	}
	if !o.inMemory {
		f.Line = pos
	}
	c.found = append(c.found, found{Finding: f, pos: pos})
}

// at is the nodes a finding may point at, the field at fault first and
// then fallbacks, for [Context.report].
func fieldAt(nodes ...*yaml.Node) []*yaml.Node { return nodes }

// skip records that the running rule could not run, once: needs says what
// was missing among the inputs, why what it was needed for.
func (c *Context) skip(needs, why string) {
	for _, s := range c.skipped {
		if s.Rule == c.rule.ID {
			return
		}
	}
	c.skipped = append(c.skipped, Skip{Rule: c.rule.ID, Why: why, Reason: "needs " + needs + ": " + why})
}

// skipFact records that the running rule could not run for want of facts
// that the inputs could also have shown; Reason names them as Facts
// fields, and a CLI words it from Needs and Why.
func (c *Context) skipFact(needs Fact, why string) {
	for _, s := range c.skipped {
		if s.Rule == c.rule.ID {
			return
		}
	}
	c.skipped = append(c.skipped, Skip{Rule: c.rule.ID, Needs: needs, Why: why, Reason: "needs Facts." + needs.String() + ": " + why})
}

// terwayShown reports whether the inputs or the facts show a Terway
// cluster: an eni-config among the inputs, or Facts.Terway.
func (c *Context) terwayShown() bool {
	return len(c.eniConfigs) > 0 || c.known&FactTerway != 0
}

// isENIConfig: Terway's ConfigMap, in kube-system or with no namespace
// (applied with -n kube-system).
func isENIConfig(o *Object) bool {
	return o.Kind == "ConfigMap" && o.Name == terway.ENIConfigName && (o.Namespace == "" || o.Namespace == terway.ENIConfigNamespace)
}

// isTypha: a Deployment that terway.IsTyphaWorkload says is Typha's.
func isTypha(o *Object) bool {
	if o.Kind != "Deployment" {
		return false
	}
	var names []string
	for _, c := range containers(o) {
		names = append(names, yn.Scalar(yn.Get(c, "name")))
	}
	return terway.IsTyphaWorkload(o.Name, podLabels(o), names)
}

// containers returns a workload's init containers and containers.
func containers(o *Object) []*yaml.Node {
	spec := podSpec(o)
	return append(yn.Items(yn.Get(spec, "initContainers")), yn.Items(yn.Get(spec, "containers"))...)
}

// podSpec returns a workload's pod template spec, or nil.
func podSpec(o *Object) *yaml.Node { return yn.Path(o.root, "spec", "template", "spec") }

// podLabels returns the labels of a workload's pod template.
func podLabels(o *Object) map[string]string {
	return yn.StringMap(yn.Path(o.root, "spec", "template", "metadata", "labels"))
}
