package terway

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Engine is the agent that enforces NetworkPolicy on a Terway node.
type Engine string

// The engines Terway can run. Only [EngineFelix] talks to Typha.
const (
	// EngineFelix is Calico's Felix with the iptables dataplane: the one
	// engine Typha relays for.
	EngineFelix Engine = "felix"
	// EngineCilium is Cilium chained behind Terway (eBPF). It watches the
	// API server itself; Typha serves it nothing.
	EngineCilium Engine = "cilium"
	// EngineNone means NetworkPolicy is off: no agent enforces it, and
	// no Felix runs.
	EngineNone Engine = "none"
)

// eni-config's CNI configuration: the data keys Terway reads it from
// (the .conflist wins when both are present), the plugin type that
// carries Terway's own settings, and the two settings that choose the
// engine. Source: AliyunContainerService/terway at 89aadf8b,
// cmd/terway-cli/common.go (getAllConfig), cmd/terway-cli/cni.go
// (processInput, mergeConfigList, storeRuntimeConfig).
const (
	KeyCNIConf     = "10-terway.conf"
	KeyCNIConfList = "10-terway.conflist"

	FieldPolicyProvider = "network_policy_provider"
	FieldVirtualType    = "eniip_virtual_type"

	// ProviderIPTables is Terway's default policy provider (Felix).
	ProviderIPTables = "iptables"
	// ProviderEBPF selects Cilium; Terway compares it exactly.
	ProviderEBPF = "ebpf"
)

// Reading is which engine an eni-config selects, and what decided it.
type Reading struct {
	Engine Engine
	Key    string // the eni-config data key that decided: KeyDisableNetworkPolicy, KeyCNIConf or KeyCNIConfList
	Field  string // inside the CNI configuration: FieldPolicyProvider or FieldVirtualType; "" for a top-level key
	Value  string // the value that decided; "" when the setting is absent and Terway's default applies
	Reason string // what it means, to follow Decided(): "makes Terway run Cilium (DataPath V2), not Felix"
}

// Decided names the setting that decided r, as a person would look it
// up: `disable_network_policy: "true"` or
// `10-terway.conf network_policy_provider: "ebpf"`.
func (r Reading) Decided() string {
	if r.Field == "" {
		return fmt.Sprintf("%s: %q", r.Key, r.Value)
	}
	if r.Value == "" {
		return fmt.Sprintf("%s %s (absent)", r.Key, r.Field)
	}
	return fmt.Sprintf("%s %s: %q", r.Key, r.Field, r.Value)
}

// ReadEngine returns which engine Terway runs on a shared-ENI node under
// the eni-config ConfigMap whose data is given, following Terway's own
// reading (cmd/terway-cli/policy.go, initPolicy):
//
//   - eniip_virtual_type datapathv2 or ipvlan (any case) in the CNI
//     configuration: Cilium, whatever else is set;
//   - network_policy_provider exactly "ebpf": Cilium (or nothing where
//     Terway installed no Cilium chainer), never Felix;
//   - otherwise disable_network_policy other than "false", "0" or empty:
//     no engine (Terway cleans Felix up);
//   - otherwise Felix (provider "iptables", Terway's default when absent).
//
// Exclusive-ENI nodes (label k8s.aliyun.com/exclusive-mode-eni-type=eniOnly)
// run no engine whatever the ConfigMap says: that is a property of the node,
// not of eni-config. An error means the CNI configuration is missing or is
// not the JSON Terway reads; Terway fails to start on it too.
func ReadEngine(data map[string]string) (Reading, error) {
	key := KeyCNIConfList
	raw, ok := data[key]
	if !ok {
		key = KeyCNIConf
		raw, ok = data[key]
	}
	if !ok {
		return Reading{}, fmt.Errorf("eni-config has neither %s nor %s: want Terway's CNI configuration, which says which NetworkPolicy engine runs", KeyCNIConf, KeyCNIConfList)
	}
	plugin, err := terwayPlugin(raw)
	if err != nil {
		return Reading{}, fmt.Errorf("eni-config %s: %w", key, err)
	}
	provider, hasProvider := plugin[FieldPolicyProvider]
	virtual := plugin[FieldVirtualType]

	switch strings.ToLower(virtual) {
	case "datapathv2", "ipvlan":
		return Reading{Engine: EngineCilium, Key: key, Field: FieldVirtualType, Value: virtual,
			Reason: "makes Terway run Cilium (DataPath V2), not Felix"}, nil
	}
	if provider == ProviderEBPF {
		return Reading{Engine: EngineCilium, Key: key, Field: FieldPolicyProvider, Value: provider,
			Reason: "makes Terway enforce NetworkPolicy with Cilium, not Felix"}, nil
	}
	if v := data[KeyDisableNetworkPolicy]; !NetworkPolicyEnabled(v) {
		return Reading{Engine: EngineNone, Key: KeyDisableNetworkPolicy, Value: v,
			Reason: "disables NetworkPolicy: Terway runs no Felix"}, nil
	}
	r := Reading{Engine: EngineFelix, Key: key, Field: FieldPolicyProvider, Value: provider}
	if hasProvider {
		r.Reason = "makes Terway run Felix"
	} else {
		r.Reason = fmt.Sprintf("means Terway's default, %s: Terway runs Felix", ProviderIPTables)
	}
	return r, nil
}

// terwayPlugin returns the string settings of the plugin of type terway:
// the configuration itself, or the terway entry of its plugins list.
func terwayPlugin(raw string) (map[string]string, error) {
	var conf struct {
		Plugins []json.RawMessage `json:"plugins"`
	}
	if err := json.Unmarshal([]byte(raw), &conf); err != nil {
		return nil, fmt.Errorf("is not JSON: %v", err)
	}
	candidates := conf.Plugins
	if candidates == nil {
		candidates = []json.RawMessage{json.RawMessage(raw)}
	}
	for _, c := range candidates {
		var fields map[string]any
		if err := json.Unmarshal(c, &fields); err != nil {
			return nil, fmt.Errorf("has a plugin that is not a JSON object: %v", err)
		}
		if fields["type"] != "terway" {
			continue
		}
		out := map[string]string{}
		for _, k := range []string{FieldPolicyProvider, FieldVirtualType} {
			v, ok := fields[k]
			if !ok {
				continue
			}
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s is %v, not a string: Terway refuses it", k, v)
			}
			out[k] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf(`has no plugin of "type": "terway"`)
}
