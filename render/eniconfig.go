package render

import (
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/terway"
)

// Mode is one of the guide's two approaches.
type Mode string

const (
	// ModeTypha points Felix at the Typha Service: felix_relay_service is
	// set to Name, and disable_network_policy to "false" where it exists.
	ModeTypha Mode = "typha"
	// ModeDisablePolicy turns NetworkPolicy off: disable_network_policy
	// is set to "true".
	ModeDisablePolicy Mode = "disable-policy"
)

// ErrMode is wrapped by the error [ParseMode] returns.
var ErrMode = errors.New("unknown mode")

// ParseMode returns the Mode named s: "typha" or "disable-policy".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeTypha, ModeDisablePolicy:
		return m, nil
	}
	return "", fmt.Errorf("%w %q: want %q (deploy Typha and relay Felix through it) or %q (turn NetworkPolicy off)", ErrMode, s, ModeTypha, ModeDisablePolicy)
}

// ErrNotENIConfig is returned for a ConfigMap other than
// kube-system/eni-config.
var ErrNotENIConfig = errors.New("not Terway's eni-config ConfigMap")

// ErrENIConfigTooLarge is wrapped by the error of [EditENIConfig] for a
// ConfigMap the API server would not store: data and binaryData values of
// more than corev1.MaxSecretSize (1 MiB) in all, before or after the edit.
var ErrENIConfigTooLarge = errors.New("eni-config is larger than the API server stores")

// ErrNoFelix is wrapped by the error of [ENIConfigEdit.CheckFelix] when,
// after a Typha edit, eni-config makes another engine than Felix enforce
// NetworkPolicy, where Typha serves no one.
var ErrNoFelix = errors.New("felix is not the NetworkPolicy engine")

// Change is one data key an edit sets.
type Change struct {
	Key     string // the data key
	Existed bool   // the key was present before
	Before  string // its value before ("" when it did not exist)
	After   string // its value after
}

// String says what the change does: `key: "before" -> "after"`, or
// `key: (absent) -> "after"` for a key the edit adds.
func (c Change) String() string {
	if c.Existed {
		return fmt.Sprintf("%s: %q -> %q", c.Key, c.Before, c.After)
	}
	return fmt.Sprintf("%s: (absent) -> %q", c.Key, c.After)
}

// ENIConfigEdit is the result of [EditENIConfig].
type ENIConfigEdit struct {
	Mode      Mode
	ConfigMap *corev1.ConfigMap // an edited deep copy; the input is untouched
	Changes   []Change          // the keys whose value changes, in the order set; empty when already applied
	// Findings are the consequences a person should know, each a warning
	// without a rule about the key it follows from.
	Findings []finding.Finding
}

// EditENIConfig returns a copy of cm with the guide's edit for mode. Only
// the keys the mode names change; every other key, eni_conf included,
// stays byte for byte. Editing the result again changes nothing. cm may
// have an empty TypeMeta, as a typed client's Get returns it; the copy
// always has apiVersion v1 and kind ConfigMap.
func EditENIConfig(cm *corev1.ConfigMap, mode Mode) (*ENIConfigEdit, error) {
	if cm == nil {
		return nil, fmt.Errorf("%w: got no ConfigMap", ErrNotENIConfig)
	}
	if cm.Namespace != terway.ENIConfigNamespace || cm.Name != terway.ENIConfigName {
		return nil, fmt.Errorf("%w: got ConfigMap %q in namespace %q, want %s/%s", ErrNotENIConfig, cm.Name, cm.Namespace, terway.ENIConfigNamespace, terway.ENIConfigName)
	}
	if kind := cm.Kind; kind != "" && (kind != "ConfigMap" || cm.APIVersion != "v1") {
		return nil, fmt.Errorf("%w: got %s %s, want v1 ConfigMap", ErrNotENIConfig, cm.APIVersion, kind)
	}
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	if err := checkConfigMapSize(cm, "hold"); err != nil {
		return nil, err
	}
	e := &ENIConfigEdit{Mode: mode, ConfigMap: cm.DeepCopy()}
	// A typed client's Get leaves TypeMeta empty; the copy says what it
	// is, so that EncodeYAML and EncodeJSON accept it.
	e.ConfigMap.APIVersion, e.ConfigMap.Kind = "v1", "ConfigMap"
	if e.ConfigMap.Data == nil {
		e.ConfigMap.Data = map[string]string{}
	}
	switch mode {
	case ModeTypha:
		e.set(terway.KeyFelixRelayService, Name)
		if old, ok := cm.Data[terway.KeyDisableNetworkPolicy]; ok {
			e.set(terway.KeyDisableNetworkPolicy, "false")
			if !terway.NetworkPolicyEnabled(old) {
				e.warn(terway.KeyDisableNetworkPolicy, fmt.Sprintf("%s was %q, which Terway reads as disabled: NetworkPolicy enforcement turns on after Terway restarts", terway.KeyDisableNetworkPolicy, old))
			}
		}
	case ModeDisablePolicy:
		e.set(terway.KeyDisableNetworkPolicy, "true")
		e.warn(terway.KeyDisableNetworkPolicy, "after Terway restarts, NetworkPolicy no longer controls traffic between pods")
		if relay := cm.Data[terway.KeyFelixRelayService]; relay != "" {
			e.warn(terway.KeyFelixRelayService, fmt.Sprintf("%s stays %q but is unused while NetworkPolicy is disabled; the Typha objects can be deleted", terway.KeyFelixRelayService, relay))
		}
	}
	if err := checkConfigMapSize(e.ConfigMap, "would hold, after the edit,"); err != nil {
		return nil, err
	}
	return e, nil
}

// checkConfigMapSize returns an error when the API server would refuse
// cm for its size: the values of data and binaryData may hold
// corev1.MaxSecretSize (1 MiB) in all [kubernetes
// pkg/apis/core/validation/validation.go, ValidateConfigMap]. verb is
// how the message says it: "hold" for the input, "would hold, after the
// edit," for the edit.
func checkConfigMapSize(cm *corev1.ConfigMap, verb string) error {
	total := 0
	for _, v := range cm.Data {
		total += len(v)
	}
	for _, v := range cm.BinaryData {
		total += len(v)
	}
	if total > corev1.MaxSecretSize {
		return fmt.Errorf("%w: its data and binaryData values %s %d bytes, and the API server stores no ConfigMap with more than %d bytes (1 MiB): want the eni-config the cluster holds, as kubectl -n kube-system get cm eni-config -o yaml prints it", ErrENIConfigTooLarge, verb, total, corev1.MaxSecretSize)
	}
	return nil
}

// warn records a consequence of the edit of key.
func (e *ENIConfigEdit) warn(key, msg string) {
	e.Findings = append(e.Findings, finding.Finding{Severity: finding.Warning, Message: msg, Field: "data." + key,
		Object: finding.Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: terway.ENIConfigNamespace, Name: terway.ENIConfigName}})
}

func (e *ENIConfigEdit) set(key, value string) {
	old, existed := e.ConfigMap.Data[key]
	if existed && old == value {
		return
	}
	e.ConfigMap.Data[key] = value
	e.Changes = append(e.Changes, Change{Key: key, Existed: existed, Before: old, After: value})
}

// CheckFelix returns, for a Typha edit, an error wrapping [ErrNoFelix]
// when the cluster would have another engine than Felix once the edit is
// applied (the edit turns a disabled NetworkPolicy back on), as
// terway.ReadEngine reads it, naming the setting that decided; nil for
// Felix, for a disable-policy edit, and for an eni-config ReadEngine
// cannot read (Terway fails to start on it, and so does the plan's
// pre-flight gate).
func (e *ENIConfigEdit) CheckFelix() error {
	if e.Mode != ModeTypha {
		return nil
	}
	r, err := terway.ReadEngine(e.ConfigMap.Data)
	if err != nil || r.Engine == terway.EngineFelix {
		return nil
	}
	return fmt.Errorf("%w: eni-config's %s %s: Typha relays only for Felix and would serve no one", ErrNoFelix, r.Decided(), r.Reason)
}

// Notes say what the edit changes, a line each ("eni-config:
// felix_relay_service: (absent) -> \"calico-typha\""), or that nothing needs
// to change.
func (e *ENIConfigEdit) Notes() []string {
	if len(e.Changes) == 0 {
		return []string{fmt.Sprintf("eni-config already has the %s settings: nothing to change", e.Mode)}
	}
	var out []string
	for _, c := range e.Changes {
		out = append(out, "eni-config: "+c.String())
	}
	return out
}

// MergePatch returns the JSON merge patch that makes the same change on
// the cluster, for kubectl -n kube-system patch cm eni-config --type merge
// -p. With nothing to change it returns {}.
func (e *ENIConfigEdit) MergePatch() []byte {
	if len(e.Changes) == 0 {
		return []byte("{}")
	}
	data := make(map[string]string, len(e.Changes))
	for _, c := range e.Changes {
		data[c.Key] = c.After
	}
	// Marshalling a map of strings cannot fail.
	out, _ := json.Marshal(map[string]any{"data": data})
	return out
}
