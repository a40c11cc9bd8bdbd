package lint

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// Lint checks objs against every rule for the cluster f describes. A rule
// that needs a fact f does not give ([Rule.Needs]) is skipped and listed
// in [Report.Skipped]. It returns an error only for an invalid fact.
func Lint(objs []*Object, f Facts) (*Report, error) {
	facts, err := f.resolve()
	if err != nil {
		return nil, err
	}
	c := newContext(objs, facts)
	for i := range rules {
		r := &rules[i]
		if missing := r.Needs &^ facts.known; missing != 0 {
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
	rep := &Report{Findings: c.findings, Skipped: c.skipped, Objects: len(objs)}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if rep.Skipped == nil {
		rep.Skipped = []Skip{}
	}
	sortFindings(rep.Findings)
	return rep, nil
}

// Context is what a rule's Check works on: every object linted, sorted
// into the kinds the rules look at, the cluster facts, and the findings
// so far. [Lint] makes one per run and hands it to each rule in turn.
type Context struct {
	facts      facts
	objs       []*Object
	typha      []*Object // Typha Deployments
	services   []*Object // Typha Services: calico-typha, or named by felix_relay_service
	allSvcs    []*Object
	eniConfigs []*Object
	relayNames map[string]bool      // the Services eni-configs' felix_relay_service names
	typhaByNS  map[string][]*Object // typhaFor's answers, by namespace

	autoscalerTargets []cpaTarget // what cluster-proportional-autoscalers among the inputs scale

	rule     *Rule // the rule running
	findings []Finding
	skipped  []Skip
}

func newContext(objs []*Object, f facts) *Context {
	c := &Context{facts: f, objs: objs, relayNames: map[string]bool{}}
	for _, o := range objs {
		if isENIConfig(o) {
			c.eniConfigs = append(c.eniConfigs, o)
			if relay := scalar(path(o.root, "data", terway.KeyFelixRelayService)); relay != "" {
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
			if o.Name == render.Name || c.relayNames[o.Name] {
				c.services = append(c.services, o)
			}
		}
	}
	return c
}

// report records a finding of the running rule about o, at line.
func (c *Context) report(o *Object, line int, format string, args ...any) {
	c.findings = append(c.findings, Finding{
		Rule: c.rule.ID, Severity: c.rule.Severity, File: o.File, Line: line, Object: o.String(),
		Message: o.String() + ": " + fmt.Sprintf(format, args...),
	})
}

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
	if o.Name == render.Name || podLabels(o)[render.AppLabel] == render.Name {
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

// podLabels returns the labels of a workload's pod template.
func podLabels(o *Object) map[string]string {
	return stringMap(path(o.root, "spec", "template", "metadata", "labels"))
}
