package render

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestLayoutMemo: a Layout's memo gives the bytes EncodeYAML gives, for
// objects seen before, equal objects of other clusters and objects that
// differ in one field only, from many goroutines at once; it keeps one
// entry per distinct object, and callers cannot change its copy.
func TestLayoutMemo(t *testing.T) {
	t.Parallel()
	var objs []Object
	for _, o := range []Options{
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1001, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-beijing", Nodes: 1000, KubeVersion: "v1.20.11-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Labels: map[string]string{"team": "net"}},
	} {
		res, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, res.Objects()...)
	}
	want := make([][]byte, len(objs))
	for i, obj := range objs {
		var b bytes.Buffer
		if err := EncodeYAML(&b, obj); err != nil {
			t.Fatal(err)
		}
		want[i] = b.Bytes()
	}
	var l Layout
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, obj := range objs {
				got, err := l.memo.encode(obj)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(got, want[i]) {
					t.Errorf("object %d: memo gave\n%s\nwant\n%s", i, got, want[i])
				}
				got[0] = '#' // the caller's copy
			}
		})
	}
	wg.Wait()
	// 4, then a Deployment with 6 replicas, a Deployment and a
	// policy/v1beta1 PDB for cn-beijing, and all four with a label.
	if got, want := len(l.memo.seen), 4+1+2+4; got != want {
		t.Errorf("memo holds %d distinct objects, want %d", got, want)
	}
	bad := objs[0].DeepCopyObject().(Object)
	bad.GetObjectKind().SetGroupVersionKind(bad.GetObjectKind().GroupVersionKind().GroupVersion().WithKind(""))
	if _, err := l.memo.encode(bad); err == nil || !strings.Contains(err.Error(), "apiVersion and kind must be set") {
		t.Errorf("memo.encode of an object without kind: error %v", err)
	}
}

func TestLayoutFiles(t *testing.T) {
	t.Parallel()
	res, err := Render(Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.20.11-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	var l Layout
	files, err := l.Files(res.Objects()...)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{
		"00-service-calico-typha.yaml",
		"01-deployment-calico-typha.yaml",
		"02-poddisruptionbudget-calico-typha.yaml",
		"03-customresourcedefinition-bgppeers.crd.projectcalico.org.yaml",
		"kustomization.yaml",
	}
	if len(files) != len(names) {
		t.Fatalf("%d files, want %d", len(files), len(names))
	}
	for i, obj := range res.Objects() {
		var want bytes.Buffer
		if err := EncodeYAML(&want, obj); err != nil {
			t.Fatal(err)
		}
		if files[i].Name != names[i] || !bytes.Equal(files[i].Data, want.Bytes()) {
			t.Errorf("file %d = %s, want %s with the object's YAML:\n%s", i, files[i].Name, names[i], files[i].Data)
		}
		if !l.Owns(files[i].Name, nil) {
			t.Errorf("Owns(%q) = false for a file Files wrote", files[i].Name)
		}
	}
	k := files[4]
	wantK := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " + strings.Join(names[:4], "\n- ") + "\n"
	if k.Name != "kustomization.yaml" || string(k.Data) != wantK {
		t.Errorf("%s:\n%s\nwant:\n%s", k.Name, k.Data, wantK)
	}
	if !l.Owns(k.Name, k.Data) {
		t.Error("Owns(kustomization.yaml) = false for the one Files wrote")
	}

	// An empty list is a kustomization listing nothing.
	if files, err := l.Files(); err != nil || len(files) != 1 || !l.Owns(files[0].Name, files[0].Data) {
		t.Errorf("Files() = %v, %v", files, err)
	}
}

func TestLayoutFilesErrors(t *testing.T) {
	t.Parallel()
	svc := func(name string) *corev1.Service {
		s := &corev1.Service{}
		s.APIVersion, s.Kind, s.Name = "v1", "Service", name
		return s
	}
	for name, tt := range map[string]struct {
		obj  Object
		want string
	}{
		"path in name":  {svc("../../etc/x"), `name "../../etc/x" is not a DNS subdomain`},
		"upper case":    {svc("Typha"), `name "Typha" is not a DNS subdomain`},
		"empty name":    {svc(""), `name "" is not a DNS subdomain`},
		"no kind":       {&corev1.Service{}, "apiVersion and kind must be set"},
		"nil":           {(*corev1.Service)(nil), "nil object"},
		"kind with dot": {func() Object { s := svc("x"); s.Kind = "a.b"; return s }(), "kind is not a word"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var l Layout
			files, err := l.Files(svc("ok"), tt.obj)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Files error %v, want one containing %q", err, tt.want)
			}
			if files != nil {
				t.Errorf("Files returned %d files with an error", len(files))
			}
		})
	}
}

func TestLayoutOwns(t *testing.T) {
	t.Parallel()
	const k = "kustomization.yaml"
	for _, tt := range []struct {
		name, data string
		want       bool
	}{
		{"00-service-calico-typha.yaml", "", true},
		{"03-customresourcedefinition-bgppeers.crd.projectcalico.org.yaml", "", true},
		{"123-deployment-x.yaml", "", true},
		{"README.md", "", false},
		{".gitkeep", "", false},
		{"0-service-x.yaml", "", false},
		{"00-service-x.yml", "", false},
		{"00-service-.yaml", "", false},
		{"00--x.yaml", "", false},
		{"00-Service-x.yaml", "", false},
		{"00-service-x_y.yaml", "", false},
		{"ab-service-x.yaml", "", false},
		{"values.yaml", "", false},
		{k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- 00-service-calico-typha.yaml\n", true},
		{k, "kind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: [00-service-calico-typha.yaml]\n", true},
		{k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n", true},
		{k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- 00-service-calico-typha.yaml\nnamePrefix: prod-\n", false},
		{k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\n", false},
		{k, "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n", false},
		{k, "resources:\n- 00-service-calico-typha.yaml\n", false},
		{k, "{not yaml", false},
	} {
		var l Layout
		if got := l.Owns(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("Owns(%q, %q) = %v, want %v", tt.name, tt.data, got, tt.want)
		}
	}
}
