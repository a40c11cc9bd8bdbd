package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/render"
)

var fixtures = filepath.Join("..", "..", "testdata", "eniconfig")

func TestENIConfig(t *testing.T) {
	fixture := filepath.Join(fixtures, "terway-eniip.yaml")
	// Felix enforces NetworkPolicy under the veth fixture (the other, IPVlan,
	// makes Terway run Cilium, where a Typha edit is refused).
	felix := filepath.Join(fixtures, "terway-eniip-veth.yaml")
	runCases(t, "eni-config", []cmdCase{
		{name: "typha", args: []string{"eni-config", "--mode", "typha", felix}},
		{name: "disable policy", args: []string{"eni-config", "--mode", "disable-policy", fixture}},
		{name: "typha patch", args: []string{"eni-config", "--mode", "typha", "--patch", felix}},
		{name: "disable policy patch", args: []string{"eni-config", "--mode", "disable-policy", "--patch", fixture}},
		{name: "typha json", args: []string{"eni-config", "--mode", "typha", "-o", "json", felix}},
		{name: "json from stdin", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: string(mustRead(t, "testdata/input/eni-config.json"))},
		{name: "yaml from stdin patch", args: []string{"eni-config", "--mode", "typha", "--patch", "-"}, stdin: string(mustRead(t, felix))},
		{name: "no policy key", args: []string{"eni-config", "--mode", "typha", "--patch", filepath.Join(fixtures, "no-policy-key.yaml")}},
		{name: "policy disabled to typha warns", args: []string{"eni-config", "--mode", "typha", "--patch", filepath.Join(fixtures, "policy-disabled.yaml")}},
		{name: "already typha", args: []string{"eni-config", "--mode", "typha", "--patch", filepath.Join(fixtures, "already-typha.yaml")}},
		{name: "already typha to disable policy", args: []string{"eni-config", "--mode", "disable-policy", "--patch", filepath.Join(fixtures, "already-typha.yaml")}},
		{name: "from a list", args: []string{"eni-config", "--mode", "typha", "--patch", "-"}, stdin: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: coredns, namespace: kube-system}\n  data: {Corefile: \".:53 {}\"}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: eni-config, namespace: kube-system}\n  data: {disable_network_policy: \"true\"}\n"},
		{name: "list without eni-config", args: []string{"eni-config", "--mode", "typha", "--patch", "-"}, stdin: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: coredns, namespace: kube-system}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: kube-proxy, namespace: kube-system}\n", code: 2},
		{name: "help", args: []string{"eni-config", "--help"}},
		// As plan does: a Typha edit where Felix is not the engine is refused,
		// naming the key (it used to be written without a word).
		{name: "typha where Cilium enforces policy is refused", args: []string{"eni-config", "--mode", "typha", "--patch", filepath.Join(fixtures, "terway-eniip.yaml")}, code: 2},
		{name: "typha where Cilium enforces policy is allowed", args: []string{"eni-config", "--mode", "typha", "--patch", "--allow-no-felix", filepath.Join(fixtures, "terway-eniip.yaml")}},
		{name: "typha with ebpf is refused", args: []string{"eni-config", "--mode", "typha", "testdata/input/eni-config-ebpf.yaml"}, code: 2},
		{name: "allow-no-felix to disable policy", args: []string{"eni-config", "--mode", "disable-policy", "--allow-no-felix", fixture}, code: 2},

		{name: "no mode", args: []string{"eni-config", fixture}, code: 2},
		{name: "bad mode", args: []string{"eni-config", "--mode", "calico", fixture}, code: 2},
		{name: "no file", args: []string{"eni-config", "--mode", "typha"}, code: 2},
		{name: "two files", args: []string{"eni-config", "--mode", "typha", fixture, felix}, code: 2},
		{name: "missing file", args: []string{"eni-config", "--mode", "typha", "nope.yaml"}, code: 2},
		{name: "bad output", args: []string{"eni-config", "--mode", "typha", "-o", "wide", felix}, code: 2},
		{name: "output with patch", args: []string{"eni-config", "--mode", "typha", "--patch", "-o", "json", felix}, code: 2},
		{name: "empty stdin", args: []string{"eni-config", "--mode", "typha", "-"}, code: 2},
		{name: "not yaml", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "{not: [yaml\n", code: 2},
		{name: "other configmap", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\ndata: {}\n", code: 2},
		{name: "a deployment", args: []string{"eni-config", "--mode", "typha", "../../testdata/golden/cn-hangzhou/1.30-1000.yaml"}, code: 2},
		{name: "a secret", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: eni-config\n  namespace: kube-system\ndata: {}\n", code: 2},
		{name: "a secret in a list", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: eni-config, namespace: kube-system}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: eni-config, namespace: kube-system}\n", code: 2},
		{name: "too large", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: strings.Repeat("#", render.MaxENIConfigBytes+1), code: 2},
		{name: "larger than the API server stores", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eni-config\n  namespace: kube-system\ndata:\n  eni_conf: " + strings.Repeat("x", 3_000_000) + "\n", code: 2},
		{name: "unknown field", args: []string{"eni-config", "--mode", "typha", "-"}, stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eni-config\n  namespace: kube-system\ndatta: {}\n", code: 2},
	})
}

// TestENIConfigChangesOnlyTheModeKeys runs realistic kubectl output
// (managedFields, annotations, a multi-line eni_conf with vswitch maps),
// as YAML and as JSON, through eni-config in both modes, and checks that
// the output differs from the input in the mode's keys only.
func TestENIConfigChangesOnlyTheModeKeys(t *testing.T) {
	inputs := map[string][]byte{
		"yaml": mustRead(t, filepath.Join(fixtures, "terway-eniip-veth.yaml")),
		"json": mustRead(t, "testdata/input/eni-config.json"),
	}
	modes := map[string]map[string]string{
		"typha":          {"felix_relay_service": "calico-typha", "disable_network_policy": "false"},
		"disable-policy": {"disable_network_policy": "true"},
	}
	for format, data := range inputs {
		for mode, want := range modes {
			t.Run(format+"/"+mode, func(t *testing.T) {
				before := decodeConfigMap(t, data)
				if !strings.Contains(before.Data["eni_conf"], "vswitches") || len(before.ManagedFields) == 0 || len(before.Annotations) == 0 {
					t.Fatal("the fixture is not realistic: want eni_conf with vswitches, managedFields and annotations")
				}

				var out, errOut bytes.Buffer
				if code := run([]string{"eni-config", "--mode", mode, "-"}, bytes.NewReader(data), &out, &errOut); code != 0 {
					t.Fatalf("exit code %d: %s", code, errOut.String())
				}
				after := decodeConfigMap(t, out.Bytes())
				for k, v := range want {
					if after.Data[k] != v {
						t.Errorf("data[%s] = %q, want %q", k, after.Data[k], v)
					}
				}
				// Everything else is as it was: metadata, and every other key
				// byte for byte.
				gotData, wantData := maps.Clone(after.Data), maps.Clone(before.Data)
				for k := range want {
					delete(gotData, k)
					delete(wantData, k)
				}
				if !reflect.DeepEqual(gotData, wantData) {
					t.Errorf("other data keys changed:\n got %q\nwant %q", gotData, wantData)
				}
				after.Data, before.Data = nil, nil
				if !reflect.DeepEqual(after, before) {
					t.Errorf("metadata changed:\n got %+v\nwant %+v", after.ObjectMeta, before.ObjectMeta)
				}

				// The patch sets exactly the keys that changed.
				out.Reset()
				if code := run([]string{"eni-config", "--mode", mode, "--patch", "-"}, bytes.NewReader(data), &out, &errOut); code != 0 {
					t.Fatalf("--patch: exit code %d: %s", code, errOut.String())
				}
				var patch struct {
					Data map[string]string `json:"data"`
				}
				dec := json.NewDecoder(&out)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&patch); err != nil {
					t.Fatal(err)
				}
				changed := map[string]string{}
				orig := decodeConfigMap(t, data)
				for k, v := range want {
					if orig.Data[k] != v {
						changed[k] = v
					}
				}
				if !reflect.DeepEqual(patch.Data, changed) {
					t.Errorf("patch data = %q, want %q", patch.Data, changed)
				}
			})
		}
	}
}

func decodeConfigMap(t *testing.T, data []byte) *corev1.ConfigMap {
	t.Helper()
	cm, err := render.ReadENIConfig("test", data)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// TestENIConfigSizeBound: the bound refuses input before parsing it, and
// lets through the largest ConfigMap the API server stores, printed by
// kubectl at its most escaped.
func TestENIConfigSizeBound(t *testing.T) {
	t.Parallel()
	// Not YAML at all: the size is reported, not a parse error.
	big := bytes.Repeat([]byte("{not: [yaml\n"), render.MaxENIConfigBytes/12+1)
	_, err := render.ReadENIConfig("big.yaml", big)
	if err == nil {
		t.Fatal("no error for input over the bound")
	}
	want := fmt.Sprintf("big.yaml: %d bytes is more than the %d bytes", len(big), render.MaxENIConfigBytes)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}

	// 1 MiB of data and 256 KiB of annotations, every byte a control
	// character that JSON escapes as six (\u0001), in a List as kubectl
	// get cm -o json prints a namespace's ConfigMaps.
	ctl := strings.Repeat("\x01", 1<<20-len("eni_conf"))
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system",
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("\x01", 256<<10-len("kubectl.kubernetes.io/last-applied-configuration"))}},
		Data: map[string]string{"eni_conf": ctl},
	}
	var buf bytes.Buffer
	if err := render.EncodeJSON(&buf, cm); err != nil {
		t.Fatal(err)
	}
	// The rest of etcd's 1.5 MiB (managedFields and other metadata),
	// escaped the same way.
	const rest = 6 * (256 << 10)
	if buf.Len()+rest > render.MaxENIConfigBytes {
		t.Errorf("the largest storable ConfigMap prints as %d bytes, over the %d-byte bound", buf.Len()+rest, render.MaxENIConfigBytes)
	}
}
