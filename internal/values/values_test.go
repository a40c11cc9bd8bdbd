package values

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/typharender/typharender/render"
)

func TestApplyMapsEveryKey(t *testing.T) {
	t.Parallel()
	file := `region: cn-hangzhou
nodes: 1000
kubeVersion: 1.30
image:
  registry: registry.example.com
  repository: mirror/typha
  tag: "3.20"
  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
replicas: 7
labels:
  app.kubernetes.io/name: typha
annotations:
  example.com/owner: me
resources:
  requests: {cpu: 250m}
  limits:
    memory: 1Gi
logSeverity: debug
`
	var v Values
	if err := v.ApplyFile("values.yaml", []byte(file)); err != nil {
		t.Fatal(err)
	}
	want := render.Options{
		Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30",
		Registry: "registry.example.com", Repository: "mirror/typha", Tag: "3.20",
		Digest:   "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		Replicas: 7, Labels: map[string]string{"app.kubernetes.io/name": "typha"},
		Annotations: map[string]string{"example.com/owner": "me"},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
		},
		LogSeverity: "debug",
	}
	if got := v.Options(); !reflect.DeepEqual(got, want) {
		t.Errorf("Options() =\n%+v\nwant\n%+v", got, want)
	}
	if src, _ := v.SourceOf("image.tag"); src.String() != "values.yaml:7" {
		t.Errorf("SourceOf(image.tag) = %s, want values.yaml:7", src)
	}
}

func TestScalarAlias(t *testing.T) {
	t.Parallel()
	var v Values
	if err := v.ApplyFile("f.yaml", []byte("region: &r cn-hangzhou\nlabels:\n  region: *r\n")); err != nil {
		t.Fatal(err)
	}
	if o := v.Options(); o.Labels["region"] != "cn-hangzhou" {
		t.Errorf("Labels = %v, want region: cn-hangzhou", o.Labels)
	}
}

func TestEmptyMappingOverridesNothing(t *testing.T) {
	t.Parallel()
	var v Values
	for _, f := range []string{"labels: {a: b}\nimage: {tag: v1}\n", "labels: {}\nimage: {}\nresources: {requests: {}}\n"} {
		if err := v.ApplyFile("f.yaml", []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	if o := v.Options(); o.Labels["a"] != "b" || o.Tag != "v1" {
		t.Errorf("an empty mapping changed the values: %+v", o)
	}
	if err := v.ApplyFile("f.yaml", []byte("nodes: {}\nfoo: {}\n")); err == nil ||
		!strings.Contains(err.Error(), "f.yaml:1: nodes is a mapping") || !strings.Contains(err.Error(), "f.yaml:2: foo is not a known key") {
		t.Errorf("error %v, want nodes a mapping and foo unknown", err)
	}
}

func TestLaterWins(t *testing.T) {
	t.Parallel()
	var v Values
	steps := []func() error{
		func() error { return v.ApplyFile("a.yaml", []byte("nodes: 100\nlabels: {a: \"1\", b: \"2\"}\n")) },
		func() error { return v.ApplyFile("b.yaml", []byte("nodes: 200\n")) },
		func() error { return v.ApplySet("nodes=300,labels.b=null") },
		func() error { return v.SetFlag("nodes", "--nodes", "400") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	o := v.Options()
	if o.Nodes != 400 || !reflect.DeepEqual(o.Labels, map[string]string{"a": "1"}) {
		t.Errorf("Nodes %d, Labels %v; want 400 and only a", o.Nodes, o.Labels)
	}
	if src, _ := v.SourceOf("nodes"); src.String() != "--nodes" {
		t.Errorf("source of nodes = %q", src)
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, set string
		want            []string
	}{
		{name: "unknown key with line", file: "region: x\nregio: y\n", want: []string{"f.yaml:2: regio is not a known key"}},
		{name: "unknown nested key", file: "image:\n  tagg: x\n", want: []string{"f.yaml:2: image.tagg is not a known key"}},
		{name: "unknown group on its own line, once", file: "imagee:\n  tag: x\n  registry: y\n", want: []string{"f.yaml:1: imagee is not a known key"}},
		{name: "scalar key as a group", file: "image:\n  tag:\n    name: x\n", want: []string{"f.yaml:3: image.tag.name is not a known key: image.tag is a scalar, not a mapping"}},
		{name: "scalar as mapping", file: "nodes:\n  count: 3\n", want: []string{"f.yaml:2: nodes.count is not a known key: nodes is a scalar"}},
		{name: "duplicate key", file: "nodes: 1\nnodes: 2\n", want: []string{"f.yaml:2: nodes is set twice"}},
		{name: "not a number", file: "replicas: three\n", want: []string{`f.yaml:1: replicas "three" is not a whole number`}},
		{name: "every error", file: "a: 1\nb: 2\n", want: []string{"f.yaml:1: a is not", "f.yaml:2: b is not"}},
		{name: "alias to a mapping", file: "x: &a {tag: v1}\nimage: *a\n", want: []string{"f.yaml:2: image is an alias to a mapping"}},
		{name: "set unknown", set: "image.tagg=x", want: []string{"--set image.tagg=x: image.tagg is not a known key"}},
		{name: "set no equals", set: "image", want: []string{`--set image: "image" has no '='`}},
		{name: "set empty segment", set: "image..tag=x", want: []string{"has an empty key segment"}},
		{name: "set label too deep", set: "labels.a.b=x", want: []string{"labels.a.b is nested too deeply"}},
		{name: "bad resource", set: "resources.requests.gpu=1", want: []string{`"gpu" is not a resource name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v Values
			var err error
			if tt.set != "" {
				err = v.ApplySet(tt.set)
			} else {
				err = v.ApplyFile("f.yaml", []byte(tt.file))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tt.want {
				if n := strings.Count(err.Error(), w); n != 1 {
					t.Errorf("error %q contains %q %d times, want once", err, w, n)
				}
			}
			if !reflect.DeepEqual(v.Options(), render.Options{Resources: corev1.ResourceRequirements{}}) && !reflect.DeepEqual(v.Options(), render.Options{}) {
				t.Errorf("a failed apply changed the values: %+v", v.Options())
			}
		})
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	var v Values
	if err := v.ApplyFile("f.yaml", []byte("region: cn-hangzhou\nnodes: 100\nkubeVersion: v1.30.1\nimage:\n  tag: -bad\n")); err != nil {
		t.Fatal(err)
	}
	_, err := v.Render()
	if err == nil || !errors.Is(err, render.ErrInvalidOption) {
		t.Fatalf("Render error %v, want an ErrInvalidOption", err)
	}
	if want := `f.yaml:5: image.tag "-bad" is not an image tag`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
}

func TestKeyForField(t *testing.T) {
	t.Parallel()
	for field, key := range map[string]string{
		"Region": "region", "Registry": "image.registry", "Labels[app]": "labels.app",
		"Resources.Limits[memory]": "resources.limits.memory", "Unknown": "Unknown",
	} {
		if got := KeyForField(field); got != key {
			t.Errorf("KeyForField(%q) = %q, want %q", field, got, key)
		}
	}
}

func TestLoadFleet(t *testing.T) {
	t.Parallel()
	base := &Values{}
	if err := base.ApplySet("logSeverity=debug,nodes=10"); err != nil {
		t.Fatal(err)
	}
	fleet := "clusters:\n- name: a\n  region: cn-hangzhou\n  nodes: 300\n  kubeVersion: v1.30.1\n- name: b\n  region: cn-beijing\n  kubeVersion: v1.20.1\n  logSeverity: error\n"
	clusters, bad, err := LoadFleet("fleet.yaml", []byte(fleet), base)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(clusters) != 2 || clusters[0].Name != "a" || clusters[1].Line != 6 {
		t.Fatalf("clusters = %+v", clusters)
	}
	if a := clusters[0].Values.Options(); a.Nodes != 300 || a.LogSeverity != "debug" {
		t.Errorf("a: %+v", a)
	}
	if b := clusters[1].Values.Options(); b.Nodes != 10 || b.LogSeverity != "error" {
		t.Errorf("b: %+v", b)
	}
	if o := base.Options(); o.Region != "" {
		t.Errorf("LoadFleet changed base: %+v", o)
	}
}
