package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
)

// The eni-config rules: how Terway reads disable_network_policy and
// felix_relay_service, and which engine the ConfigMap makes it run.

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

// eniData returns eni-config's data as strings (only scalar values).
func eniData(o *Object) map[string]string {
	out := map[string]string{}
	data := yn.Get(o.root, "data")
	if data == nil || data.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(data.Content); i += 2 {
		if v := data.Content[i+1]; v.Kind == yaml.ScalarNode {
			out[data.Content[i].Value] = v.Value
		}
	}
	return out
}

// relaysTo reports whether a felix_relay_service value names a Service
// Felix would look up: set, not none (in any case), and one word.
func relaysTo(v string) bool {
	return v != "" && !strings.EqualFold(v, "none") && !strings.ContainsAny(v, " \t\r\n")
}

// usesTypha reports whether the inputs relay Felix to Typha: a Typha
// Deployment is linted, or an eni-config sets felix_relay_service to
// something other than none.
func (c *Context) usesTypha() bool {
	if len(c.typha) > 0 {
		return true
	}
	for _, o := range c.eniConfigs {
		if v, _ := relay(o); v != "" && !strings.EqualFold(strings.TrimSpace(v), "none") {
			return true
		}
	}
	return false
}

func checkENIEngineNotFelix(c *Context) {
	if !c.usesTypha() {
		return
	}
	for _, o := range c.eniConfigs {
		r, err := terway.ReadEngine(eniData(o))
		if err != nil || r.Engine == terway.EngineFelix {
			continue // an eni-config Terway cannot read is not this rule's to judge
		}
		data := yn.Get(o.root, "data")
		line := fieldAt(yn.Key(data, r.Key))
		c.report(o, line, "%s %s, so Typha would serve no one: it relays only for Felix; deploy it only where Felix enforces NetworkPolicy (%s %s absent or %q, no %s datapathv2/ipvlan, %s %q)",
			r.Decided(), r.Reason, terway.KeyCNIConf, terway.FieldPolicyProvider, terway.ProviderIPTables, terway.FieldVirtualType, terway.KeyDisableNetworkPolicy, "false")
	}
}

func checkENIRelayValue(c *Context) {
	for _, o := range c.eniConfigs {
		v, line := relay(o)
		switch {
		case v == "":
		case strings.ContainsAny(v, " \t\r\n"):
			c.report(o, line, "data.%s is %q, which is not one Service name on one line: Felix refuses the value and runs without Typha, silently; write data.%s: %s (a YAML | block adds a newline)",
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, terway.TyphaName)
		case strings.EqualFold(v, "none") && len(c.typha) > 0:
			c.report(o, line, "data.%s is %q, which tells Felix to use no Typha, yet Typha is deployed: Felix keeps watching the API server and Typha serves no one; write data.%s: %s, or remove the Typha objects",
				terway.KeyFelixRelayService, v, terway.KeyFelixRelayService, terway.TyphaName)
		}
	}
}
