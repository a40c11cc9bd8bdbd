package render_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/render"
)

func TestEditENIConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		input    string
		mode     render.Mode
		changes  []render.Change
		warnings []string
	}{
		{input: "terway-eniip", mode: render.ModeTypha,
			changes: []render.Change{{Key: "felix_relay_service", After: "calico-typha"}}},
		{input: "no-policy-key", mode: render.ModeTypha,
			changes: []render.Change{{Key: "felix_relay_service", After: "calico-typha"}}},
		{input: "policy-disabled", mode: render.ModeTypha,
			changes: []render.Change{
				{Key: "felix_relay_service", After: "calico-typha"},
				{Key: "disable_network_policy", Existed: true, Before: "true", After: "false"},
			},
			warnings: []string{"NetworkPolicy enforcement turns on"}},
		{input: "already-typha", mode: render.ModeTypha},
		{input: "terway-eniip", mode: render.ModeDisablePolicy,
			changes:  []render.Change{{Key: "disable_network_policy", Existed: true, Before: "false", After: "true"}},
			warnings: []string{"no longer controls traffic"}},
		{input: "no-policy-key", mode: render.ModeDisablePolicy,
			changes: []render.Change{{Key: "disable_network_policy", After: "true"}}},
		{input: "policy-disabled", mode: render.ModeDisablePolicy},
		{input: "already-typha", mode: render.ModeDisablePolicy,
			changes:  []render.Change{{Key: "disable_network_policy", Existed: true, Before: "false", After: "true"}},
			warnings: []string{`felix_relay_service stays "calico-typha" but is unused`}},
	}
	for _, tc := range tests {
		t.Run(tc.input+"/"+string(tc.mode), func(t *testing.T) {
			t.Parallel()
			in := readConfigMap(t, filepath.Join("..", "testdata", "eniconfig", tc.input+".yaml"))
			orig := in.DeepCopy()
			edit, err := render.EditENIConfig(in, tc.mode)
			require.NoError(t, err)
			assert.Equal(t, orig, in, "the input is not mutated")
			assert.Equal(t, tc.changes, edit.Changes)
			for _, w := range tc.warnings {
				assert.True(t, anyContains(messages(edit.Findings), w), "want a warning with %q, got %q", w, messages(edit.Findings))
			}

			// Every key the mode does not name is byte for byte as it was.
			named := map[string]bool{"felix_relay_service": true, "disable_network_policy": true}
			for k, v := range orig.Data {
				if !named[k] {
					assert.Equal(t, v, edit.ConfigMap.Data[k], "key %s", k)
				}
			}
			assert.Equal(t, orig.ObjectMeta, edit.ConfigMap.ObjectMeta, "metadata is kept")
			// Keys are added, never removed.
			assert.Len(t, edit.ConfigMap.Data, len(orig.Data)+countNew(tc.changes))

			// The merge patch, applied to the input, gives the output.
			var patch struct {
				Data map[string]string `json:"data"`
			}
			require.NoError(t, json.Unmarshal(edit.MergePatch(), &patch))
			patched := orig.DeepCopy()
			if patched.Data == nil {
				patched.Data = map[string]string{}
			}
			for k, v := range patch.Data {
				patched.Data[k] = v
			}
			assert.Equal(t, edit.ConfigMap.Data, patched.Data)

			// Applying the edit twice equals applying it once.
			again, err := render.EditENIConfig(edit.ConfigMap, tc.mode)
			require.NoError(t, err)
			assert.Empty(t, again.Changes)
			assert.Equal(t, edit.ConfigMap, again.ConfigMap)
			assert.Equal(t, "{}", string(again.MergePatch()))
		})
	}
}

func countNew(changes []render.Change) int {
	n := 0
	for _, c := range changes {
		if !c.Existed {
			n++
		}
	}
	return n
}

func TestEditENIConfigNilData(t *testing.T) {
	t.Parallel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"}}
	edit, err := render.EditENIConfig(cm, render.ModeTypha)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"felix_relay_service": "calico-typha"}, edit.ConfigMap.Data)
	assert.Nil(t, cm.Data)
}

func TestEditENIConfigRefuses(t *testing.T) {
	t.Parallel()
	good := metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"}
	tests := []struct {
		name string
		cm   *corev1.ConfigMap
		mode render.Mode
		want string
	}{
		{name: "nil", cm: nil, mode: render.ModeTypha, want: "got no ConfigMap"},
		{name: "other name", cm: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-conf", Namespace: "kube-system"}}, mode: render.ModeTypha, want: `got ConfigMap "eni-conf" in namespace "kube-system", want kube-system/eni-config`},
		{name: "other namespace", cm: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "default"}}, mode: render.ModeTypha, want: `namespace "default"`},
		{name: "no namespace", cm: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-config"}}, mode: render.ModeTypha, want: `namespace ""`},
		{name: "other kind", cm: &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: good}, mode: render.ModeTypha, want: "got v1 Secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.EditENIConfig(tc.cm, tc.mode)
			require.ErrorIs(t, err, render.ErrNotENIConfig)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := render.EditENIConfig(&corev1.ConfigMap{ObjectMeta: good}, "typha-please")
	require.ErrorIs(t, err, render.ErrMode)
	assert.Contains(t, err.Error(), `"typha-please"`)
	assert.Contains(t, err.Error(), `"disable-policy"`)
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for _, m := range []render.Mode{render.ModeTypha, render.ModeDisablePolicy} {
		got, err := render.ParseMode(string(m))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := render.ParseMode("Typha")
	assert.ErrorIs(t, err, render.ErrMode)
}

// TestEditENIConfigWarnsOnlyWhenPolicyTurnsOn: "0" and "" already mean
// enabled to Terway, so setting them to "false" changes nothing it does.
func TestEditENIConfigWarnsOnlyWhenPolicyTurnsOn(t *testing.T) {
	t.Parallel()
	for old, warns := range map[string]bool{"0": false, "": false, "False": true, "true": true} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"},
			Data: map[string]string{"disable_network_policy": old}}
		edit, err := render.EditENIConfig(cm, render.ModeTypha)
		require.NoError(t, err)
		assert.Equal(t, "false", edit.ConfigMap.Data["disable_network_policy"])
		assert.Equal(t, warns, anyContains(messages(edit.Findings), "NetworkPolicy enforcement turns on"), "%q", old)
	}
}

// TestEditENIConfigTypedClient: a typed client's Get returns a ConfigMap
// with empty TypeMeta; the edited copy says v1 ConfigMap, so it encodes,
// and the input is left as it was.
func TestEditENIConfigTypedClient(t *testing.T) {
	t.Parallel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"},
		Data: map[string]string{"eni_conf": "{}"}}
	for _, mode := range []render.Mode{render.ModeTypha, render.ModeDisablePolicy} {
		edit, err := render.EditENIConfig(cm, mode)
		require.NoError(t, err)
		assert.Equal(t, metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, edit.ConfigMap.TypeMeta)
		assert.Empty(t, cm.TypeMeta, "the input is not touched")

		var yamlOut, jsonOut strings.Builder
		require.NoError(t, render.EncodeYAML(&yamlOut, edit.ConfigMap))
		assert.True(t, strings.HasPrefix(yamlOut.String(), "apiVersion: v1\n"), yamlOut.String())
		assert.Contains(t, yamlOut.String(), "\nkind: ConfigMap\n")
		require.NoError(t, render.EncodeJSONObject(&jsonOut, edit.ConfigMap))
		got, err := render.Decode([]byte(jsonOut.String()))
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, edit.ConfigMap, got[0])
	}
	// A TypeMeta that names another kind is still refused.
	other := cm.DeepCopy()
	other.APIVersion, other.Kind = "v1", "Secret"
	_, err := render.EditENIConfig(other, render.ModeTypha)
	assert.ErrorIs(t, err, render.ErrNotENIConfig)
}

// TestEncodeJSONObject: one object alone, as kubectl get -o json prints
// it, and exactly the item EncodeJSON writes inside its List.
func TestEncodeJSONObject(t *testing.T) {
	t.Parallel()
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30"})
	require.NoError(t, err)
	for _, obj := range res.Objects() {
		var one, list strings.Builder
		require.NoError(t, render.EncodeJSONObject(&one, obj))
		require.NoError(t, render.EncodeJSON(&list, obj))
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(one.String()), &got))
		var l struct {
			Kind  string
			Items []map[string]any
		}
		require.NoError(t, json.Unmarshal([]byte(list.String()), &l))
		assert.Equal(t, "List", l.Kind)
		assert.Equal(t, l.Items[0], got)
		assert.Equal(t, obj.GetObjectKind().GroupVersionKind().Kind, got["kind"])
		assert.True(t, strings.HasPrefix(one.String(), "{\n    \"apiVersion\": "), one.String())
	}
}

// TestEditENIConfigTooLarge: the API server stores no ConfigMap whose data
// and binaryData values add up to more than 1 MiB, so an eni-config over
// it, or an edit that would take it over, is refused with the limit named.
func TestEditENIConfigTooLarge(t *testing.T) {
	t.Parallel()
	meta := metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"}
	const limit = 1 << 20
	for _, tc := range []struct {
		name    string
		data    map[string]string
		binary  map[string][]byte
		mode    render.Mode
		refused bool
	}{
		{name: "exactly 1 MiB, nothing to add", data: map[string]string{"eni_conf": strings.Repeat("x", limit-len("true")), "disable_network_policy": "true"}, mode: render.ModeDisablePolicy},
		{name: "3 MB, as the issue measured", data: map[string]string{"eni_conf": strings.Repeat("x", 3_000_000)}, mode: render.ModeDisablePolicy, refused: true},
		{name: "one byte over in binaryData", data: map[string]string{"eni_conf": strings.Repeat("x", limit/2)}, binary: map[string][]byte{"blob": make([]byte, limit/2+1)}, mode: render.ModeTypha, refused: true},
		{name: "the edit takes it over", data: map[string]string{"eni_conf": strings.Repeat("x", limit-4)}, mode: render.ModeTypha, refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.EditENIConfig(&corev1.ConfigMap{ObjectMeta: meta, Data: tc.data, BinaryData: tc.binary}, tc.mode)
			if !tc.refused {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, render.ErrENIConfigTooLarge)
			assert.Contains(t, err.Error(), "1048576 bytes")
		})
	}
}
