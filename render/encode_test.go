package render_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/render"
)

func TestEncodeDeterministic(t *testing.T) {
	t.Parallel()
	opts := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30",
		Labels: map[string]string{"z": "1", "a": "2", "m": "3"}, Annotations: map[string]string{"b.io/x": "1", "a.io/y": "2"}}
	var first []byte
	for i := range 20 {
		var buf bytes.Buffer
		require.NoError(t, render.EncodeYAML(&buf, mustRender(t, opts).Objects()...))
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		require.Equal(t, string(first), buf.String(), "run %d", i)
	}
}

func TestEncodeYAMLNoNoise(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, render.EncodeYAML(&buf, mustRender(t, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30"}).Objects()...))
	out := buf.String()
	for _, noise := range []string{"creationTimestamp", "status:", "resources: {}", "strategy: {}", "null", ": {}"} {
		assert.NotContains(t, out, noise)
	}
	assert.Equal(t, 3, strings.Count(out, "\n---\n"), "four documents, three separators")
	assert.False(t, strings.HasPrefix(out, "---"))
}

func TestEncodeKeepsMeaningfulEmptyMaps(t *testing.T) {
	t.Parallel()
	// A pointer to an empty struct (emptyDir: {}) means something, and so
	// does an empty map; neither may be pruned.
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{}},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			Containers: []corev1.Container{{Name: "c", Image: "i"}}},
	}
	var buf bytes.Buffer
	require.NoError(t, render.EncodeYAML(&buf, pod))
	assert.Contains(t, buf.String(), "emptyDir: {}")
	assert.NotContains(t, buf.String(), "resources: {}")
	assert.NotContains(t, buf.String(), "status")
}

func TestEncodeJSONList(t *testing.T) {
	t.Parallel()
	res := mustRender(t, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.20.11-aliyun.1"})
	var buf bytes.Buffer
	require.NoError(t, render.EncodeJSON(&buf, res.Objects()...))
	assert.True(t, strings.HasPrefix(buf.String(), "{\n    \"apiVersion\": \"v1\","), "kubectl's indentation")
	var list struct {
		APIVersion, Kind string
		Items            []map[string]any
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &list))
	assert.Equal(t, "v1", list.APIVersion)
	assert.Equal(t, "List", list.Kind)
	require.Len(t, list.Items, 4)
	var kinds []string
	for _, it := range list.Items {
		kinds = append(kinds, it["kind"].(string))
		assert.NotContains(t, it, "status")
	}
	assert.Equal(t, []string{"Service", "Deployment", "PodDisruptionBudget", "CustomResourceDefinition"}, kinds)
	assert.Equal(t, "policy/v1beta1", list.Items[2]["apiVersion"])

	// The JSON decodes to the same objects the YAML does.
	objs, err := render.Decode(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, res.Objects(), objs)
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := render.EncodeYAML(&buf, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "y"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Service y/x: apiVersion and kind must be set")
	assert.Error(t, render.EncodeJSON(&buf, (*corev1.Service)(nil)))
	assert.Empty(t, buf.String(), "nothing is written on error")
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{name: "unknown kind", in: "apiVersion: v1\nkind: Secret\n", want: `unknown kind: apiVersion "v1", kind "Secret"`},
		{name: "unknown field", in: "apiVersion: v1\nkind: Service\nspec:\n  portz: []\n", want: `unknown field "portz"`},
		{name: "second document", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v9\nkind: Foo\n", want: "document 2"},
		{name: "not yaml", in: "apiVersion: [\n", want: "document 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := render.Decode([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	objs, err := render.Decode([]byte("# only a comment\n---\n"))
	require.NoError(t, err)
	assert.Empty(t, objs)
}
