package values

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/typharender/typharender/internal/errs"
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
		// 0 used to mean "the recommendation", silently; only an absent
		// (or null) key asks for it.
		{name: "replicas 0", file: "replicas: 0\n", want: []string{`f.yaml:1: replicas "0" is not a replica count: want 1 or more, or leave replicas out (or null) for the recommendation`}},
		{name: "set replicas 0", set: "replicas=0", want: []string{`--set replicas=0: replicas "0" is not a replica count`}},
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

// TestOnePass checks that every problem in a values file is reported in
// one pass, in line order: unknown keys hide no bad values.
func TestOnePass(t *testing.T) {
	t.Parallel()
	file := "region: cn-hangzhou.evil/x\nregio: y\nnodes: 0\nkubeVersion: v1.15.1\nimage:\n  tagg: x\n  tag: -bad\nreplicas: three\n"
	var v Values
	err := v.ApplyFile("f.yaml", []byte(file))
	if err == nil {
		t.Fatal("no error")
	}
	if got := v.Options(); got.Region != "cn-hangzhou.evil/x" || got.Tag != "-bad" {
		t.Errorf("the keys that apply were not applied: %+v", got)
	}
	var lines []string
	for _, e := range errs.Flatten(v.Check(err)) {
		lines = append(lines, strings.SplitN(e.Error(), " ", 2)[0])
	}
	want := []string{"f.yaml:1:", "f.yaml:2:", "f.yaml:3:", "f.yaml:4:", "f.yaml:6:", "f.yaml:7:", "f.yaml:8:"}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("errors at %q, want %q:\n%v", lines, want, v.Check(err))
	}
}

func TestCheckOrderAndRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		apply func(v *Values) error
		want  []string // each error's first word, in order
	}{
		{
			name: "files in the order applied, then the command line, then missing keys",
			apply: func(v *Values) error {
				return errors.Join(
					v.ApplyFile("z.yaml", []byte("nodes: 0\nimage: {tag: -bad}\n")),
					v.ApplyFile("a.yaml", []byte("imagee: x\nlogSeverity: loud\n")),
					v.ApplySet("replicas=x"),
				)
			},
			want: []string{"z.yaml:1:", "z.yaml:2:", "a.yaml:1:", "a.yaml:2:", "--set", "region", "kubeVersion"},
		},
		{
			name:  "a required key that failed to apply is not also missing",
			apply: func(v *Values) error { return v.ApplyFile("f.yaml", []byte("nodes: many\n")) },
			want:  []string{"f.yaml:1:", "region", "kubeVersion"},
		},
		{
			name:  "a file that is not a mapping hides no missing key",
			apply: func(v *Values) error { return v.ApplyFile("f.yaml", []byte("- region\n")) },
			want:  []string{"f.yaml:1:"},
		},
		{
			name:  "a duplicate key does not hide the others",
			apply: func(v *Values) error { return v.ApplyFile("f.yaml", []byte("nodes: 1\nnodes: 2\nregio: x\n")) },
			want:  []string{"f.yaml:2:", "f.yaml:3:", "region", "kubeVersion"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v Values
			err := v.Check(tt.apply(&v))
			var got []string
			for _, e := range errs.Flatten(err) {
				got = append(got, strings.SplitN(e.Error(), " ", 2)[0])
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors %q, want %q:\n%v", got, tt.want, err)
			}
		})
	}
}

func TestFleetOnePass(t *testing.T) {
	t.Parallel()
	fleet := "clusters:\n- name: Bad_Name\n  nodes: 0\n  regio: x\n  region: cn-hangzhou\n  kubeVersion: v1.30.1\n- name: ok\n  region: cn-hangzhou\n  nodes: 10\n  kubeVersion: v1.30.1\n"
	clusters, bad, err := LoadFleet("fleet.yaml", []byte(fleet), &Values{})
	if err != nil {
		t.Fatal(err)
	}
	if len(clusters) != 1 || len(bad) != 1 {
		t.Fatalf("%d clusters and %d bad entries, want 1 and 1", len(clusters), len(bad))
	}
	var got []string
	for _, e := range errs.Flatten(bad[0].Err) {
		got = append(got, strings.SplitN(e.Error(), " ", 2)[0])
	}
	if want := []string{"fleet.yaml:2:", "fleet.yaml:3:", "fleet.yaml:4:"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors at %q, want %q (name, nodes, regio):\n%v", got, want, bad[0])
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	pad := func(prefix string, size int) []byte {
		b := []byte(prefix + "#")
		b = append(b, bytes.Repeat([]byte("#"), size-len(b)-1)...)
		return append(b, '\n')
	}
	var v Values
	if err := v.ApplyFile("max.yaml", pad("nodes: 1\n", MaxValuesBytes)); err != nil {
		t.Errorf("a values file of MaxValuesBytes: %v", err)
	}
	err := v.ApplyFile("big.yaml", pad("nodes: 1\n", MaxValuesBytes+1))
	if want := "big.yaml: is 1048577 bytes, over the 1048576-byte limit for a values file (MaxValuesBytes)"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}

	entry := "- {name: a, region: cn-hangzhou, nodes: 1, kubeVersion: v1.30.1}\n"
	if _, _, err := LoadFleet("max.yaml", pad("clusters:\n"+entry, MaxFleetBytes), &Values{}); err != nil {
		t.Errorf("a fleet file of MaxFleetBytes: %v", err)
	}
	_, _, err = LoadFleet("big.yaml", pad("clusters:\n"+entry, MaxFleetBytes+1), &Values{})
	if want := "big.yaml: is 4194305 bytes, over the 4194304-byte limit for a fleet file (MaxFleetBytes)"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}

	entries := func(n int) []byte {
		var b strings.Builder
		b.WriteString("clusters:\n")
		for i := range n {
			fmt.Fprintf(&b, "- {name: c%d, region: cn-hangzhou, nodes: 1, kubeVersion: v1.30.1}\n", i)
		}
		return []byte(b.String())
	}
	if clusters, bad, err := LoadFleet("max.yaml", entries(MaxFleetClusters), &Values{}); err != nil || len(bad) > 0 || len(clusters) != MaxFleetClusters {
		t.Errorf("a fleet of MaxFleetClusters: %d clusters, %v, %v", len(clusters), bad, err)
	}
	_, _, err = LoadFleet("many.yaml", entries(MaxFleetClusters+1), &Values{})
	if want := "many.yaml:2: clusters lists 20001 entries, over the limit of 20000 (MaxFleetClusters)"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}
