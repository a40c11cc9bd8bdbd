//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

const fieldManager = "typharender-e2e"

// TestAPIServer runs the library's output against a real kube-apiserver.
// Subtests share one cluster and run in order.
func TestAPIServer(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cl := c.clients()
	cs, dyn, disco, mapper := cl.cs, cl.dyn, cl.disco, cl.mapper

	info, err := disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver reports %s (%s/%s)", info.GitVersion, info.Major, info.Minor)
	if !strings.HasPrefix(info.GitVersion, "v1.37.") {
		t.Fatalf("server version %q: want v1.37.x (was the binary built without -ldflags?)", info.GitVersion)
	}
	waitForNamespace(ctx, t, cs, "kube-system")

	// Render for the cluster we have, in the ACK spelling of its version.
	kubeVersion := info.GitVersion + "-aliyun.1"

	t.Run("dry-run apply of rendered manifests is accepted", func(t *testing.T) {
		res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: kubeVersion})
		if err != nil {
			t.Fatal(err)
		}
		objs := res.Objects()
		if len(objs) == 0 {
			t.Fatal("render returned no objects")
		}
		var kinds []string
		for _, obj := range objs {
			u := toUnstructured(t, obj)
			kinds = append(kinds, u.GetAPIVersion()+"/"+u.GetKind())
			ri := resourceFor(t, mapper, dyn, u)
			got, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{
				FieldManager: fieldManager,
				DryRun:       []string{metav1.DryRunAll},
			})
			if err != nil {
				t.Errorf("server-side dry-run apply of %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
				continue
			}
			t.Logf("accepted %s %s %s", u.GetAPIVersion(), u.GetKind(), strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/"))
			// Dry run: nothing may have been stored.
			if _, err := ri.Get(ctx, got.GetName(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("%s %s exists after a dry run (err=%v)", u.GetKind(), u.GetName(), err)
			}
		}
		for _, want := range []string{"v1/Service", "apps/v1/Deployment", "policy/v1/PodDisruptionBudget", "apiextensions.k8s.io/v1/CustomResourceDefinition"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("rendered objects %v lack %s", kinds, want)
			}
		}
	})

	t.Run("YAML as written is accepted", func(t *testing.T) {
		// The bytes a user applies, not just the typed objects: the YAML
		// encoding for this server's version, and every checked-in golden
		// rendered for 1.36, the newest minor in the matrix (1.36 and 1.37
		// serve the same API versions for these kinds).
		res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: kubeVersion})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
			t.Fatal(err)
		}
		sources := map[string][]byte{"EncodeYAML for " + kubeVersion: buf.Bytes()}
		goldens, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "1.36-*.yaml"))
		if err != nil || len(goldens) == 0 {
			t.Fatalf("no 1.36 goldens under ../testdata/golden (%v)", err)
		}
		for _, g := range goldens {
			data, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			sources[strings.TrimPrefix(g, "../")] = data
		}
		applied := 0
		for _, name := range slices.Sorted(maps.Keys(sources)) {
			docs := decodeYAML(t, name, sources[name])
			if len(docs) != 4 {
				t.Errorf("%s: %d documents, want 4", name, len(docs))
			}
			for _, u := range docs {
				_, err := resourceFor(t, mapper, dyn, u).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{
					FieldManager: fieldManager,
					DryRun:       []string{metav1.DryRunAll},
				})
				if err != nil {
					t.Errorf("%s: server-side dry-run apply of %s %s: %v", name, u.GetKind(), u.GetName(), err)
					continue
				}
				applied++
			}
		}
		t.Logf("%d objects from %d YAML sources accepted", applied, len(sources))
	})

	t.Run("CRD is created and becomes Established", func(t *testing.T) {
		res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: kubeVersion})
		if err != nil {
			t.Fatal(err)
		}
		crd := res.CustomResourceDefinition
		if crd == nil {
			t.Fatal("render returned no CustomResourceDefinition")
		}
		ext := apiextensionsclient.NewForConfigOrDie(c.config)
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
			t.Fatalf("create CRD %s: %v", crd.Name, err)
		}
		var last []apiextensionsv1.CustomResourceDefinitionCondition
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = got.Status.Conditions
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
					return false, fmt.Errorf("names not accepted: %s", cond.Message)
				}
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not Established: %v (conditions %+v)", crd.Name, err, last)
		}
		t.Logf("CRD %s Established", crd.Name)

		// The new resource is served: list it through discovery.
		mapper.Reset()
		gvr := schemaGVR(crd)
		if _, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list %s: %v", gvr, err)
		}
	})

	t.Run("eni-config edit changes only its keys", func(t *testing.T) {
		inputs, err := filepath.Glob(filepath.Join("..", "testdata", "eniconfig", "*.yaml"))
		if err != nil || len(inputs) == 0 {
			t.Fatalf("no eni-config inputs in ../testdata/eniconfig (%v)", err)
		}
		for _, in := range inputs {
			for _, mode := range []render.Mode{render.ModeTypha, render.ModeDisablePolicy} {
				name := strings.TrimSuffix(filepath.Base(in), ".yaml") + "/" + string(mode)
				t.Run(name, func(t *testing.T) {
					testENIConfigEdit(ctx, t, cs, readConfigMap(t, in), mode)
				})
			}
		}
	})

	t.Run("broken objects are rejected", func(t *testing.T) {
		t.Run("selector does not match template labels", func(t *testing.T) {
			res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: kubeVersion})
			if err != nil {
				t.Fatal(err)
			}
			if res.Deployment == nil {
				t.Fatal("render returned no Deployment")
			}
			dep := res.Deployment.DeepCopy()
			dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "not-calico-typha"}}
			_, err = cs.AppsV1().Deployments(dep.Namespace).Create(ctx, dep, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			wantRejected(t, err, apierrors.IsInvalid, "`selector` does not match template `labels`")
		})

		t.Run("policy/v1beta1 PodDisruptionBudget", func(t *testing.T) {
			// What the library renders for a 1.20 cluster is not served by 1.37.
			res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: "v1.20.11-aliyun.1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.PodDisruptionBudget == nil {
				t.Fatal("render returned no PodDisruptionBudget for 1.20")
			}
			pdb := toUnstructured(t, res.PodDisruptionBudget)
			if pdb.GetAPIVersion() != "policy/v1beta1" {
				t.Fatalf("PDB rendered for 1.20 has apiVersion %s, want policy/v1beta1", pdb.GetAPIVersion())
			}
			body, err := pdb.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			// Bypass the client's discovery: send exactly what a user's
			// `kubectl create -f` would POST and read the server's answer.
			err = cs.Discovery().RESTClient().Post().
				AbsPath("/apis/policy/v1beta1/namespaces", pdb.GetNamespace(), "poddisruptionbudgets").
				Param("dryRun", metav1.DryRunAll).
				SetHeader("Content-Type", "application/json").
				Body(body).Do(ctx).Error()
			wantRejected(t, err, apierrors.IsNotFound, "the server could not find the requested resource")

			groups, err := cs.Discovery().ServerGroups()
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range groups.Groups {
				if g.Name != "policy" {
					continue
				}
				for _, v := range g.Versions {
					if v.Version != "v1" {
						t.Errorf("server serves policy/%s; want only policy/v1", v.Version)
					}
				}
			}
		})
	})
}

// testENIConfigEdit stores orig as the cluster's eni-config, edits what the
// server returns the way the CLI would, sends the merge patch, reads the
// result back and checks that only the edited keys changed.
func testENIConfigEdit(ctx context.Context, t testing.TB, cs kubernetes.Interface, orig *corev1.ConfigMap, mode render.Mode) {
	cms := cs.CoreV1().ConfigMaps(orig.Namespace)
	_ = cms.Delete(ctx, orig.Name, metav1.DeleteOptions{})
	created, err := cms.Create(ctx, orig, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		t.Fatalf("create %s/%s: %v", orig.Namespace, orig.Name, err)
	}
	t.Cleanup(func() { _ = cms.Delete(context.Background(), orig.Name, metav1.DeleteOptions{}) })
	if !maps.Equal(created.Data, orig.Data) {
		t.Fatal("the server changed the ConfigMap data on create")
	}

	edit, err := render.EditENIConfig(created, mode)
	if err != nil {
		t.Fatalf("EditENIConfig: %v", err)
	}
	patch := edit.MergePatch()
	t.Logf("changes %+v; merge patch %s", edit.Changes, patch)
	if _, err := cms.Patch(ctx, orig.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
		t.Fatalf("merge patch %s: %v", patch, err)
	}
	got, err := cms.Get(ctx, orig.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The server stored exactly the library's edited copy.
	if !maps.Equal(got.Data, edit.ConfigMap.Data) {
		t.Errorf("stored data differs from edit.ConfigMap.Data:\nstored: %q\nedit:   %q", got.Data, edit.ConfigMap.Data)
	}
	// The edit names its keys; every other key is byte for byte as it was.
	changed := map[string]bool{}
	for _, c := range edit.Changes {
		if c.Key != terway.KeyFelixRelayService && c.Key != terway.KeyDisableNetworkPolicy {
			t.Errorf("edit changes key %q, which the guide does not touch", c.Key)
		}
		changed[c.Key] = true
		if got.Data[c.Key] != c.After {
			t.Errorf("key %q = %q after the patch, want %q", c.Key, got.Data[c.Key], c.After)
		}
	}
	for k, v := range orig.Data {
		if !changed[k] && got.Data[k] != v {
			t.Errorf("key %q changed:\nbefore: %q\nafter:  %q", k, v, got.Data[k])
		}
	}
	for k := range got.Data {
		if _, had := orig.Data[k]; !had && !changed[k] {
			t.Errorf("unexpected new key %q", k)
		}
	}
	if !maps.EqualFunc(got.BinaryData, orig.BinaryData, bytes.Equal) {
		t.Errorf("binaryData changed")
	}
	if !maps.Equal(got.Labels, orig.Labels) || !maps.Equal(got.Annotations, orig.Annotations) {
		t.Errorf("metadata changed: labels %v, annotations %v", got.Labels, got.Annotations)
	}

	// The stored result means what the mode says, read as Terway reads it
	// (exact strings: "false", "0" or empty keep NetworkPolicy on).
	policyOn := func(v string) bool { return v == "false" || v == "0" || v == "" }
	switch mode {
	case render.ModeTypha:
		if got.Data[terway.KeyFelixRelayService] != "calico-typha" {
			t.Errorf("%s = %q, want calico-typha", terway.KeyFelixRelayService, got.Data[terway.KeyFelixRelayService])
		}
		if !policyOn(got.Data[terway.KeyDisableNetworkPolicy]) {
			t.Errorf("%s = %q: NetworkPolicy still off in typha mode", terway.KeyDisableNetworkPolicy, got.Data[terway.KeyDisableNetworkPolicy])
		}
	case render.ModeDisablePolicy:
		if policyOn(got.Data[terway.KeyDisableNetworkPolicy]) {
			t.Errorf("%s = %q: NetworkPolicy still on", terway.KeyDisableNetworkPolicy, got.Data[terway.KeyDisableNetworkPolicy])
		}
	}
	if eni := got.Data["eni_conf"]; eni != "" && !json.Valid([]byte(eni)) {
		t.Errorf("eni_conf is no longer JSON: %q", eni)
	}

	// Editing what is now stored changes nothing.
	again, err := render.EditENIConfig(got, mode)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) != 0 || string(again.MergePatch()) != "{}" {
		t.Errorf("second edit of the stored ConfigMap is not a no-op: %+v %s", again.Changes, again.MergePatch())
	}
}

// readConfigMap reads a ConfigMap as `kubectl get -o yaml` prints it and
// drops what the server sets, so it can be created.
func readConfigMap(t testing.TB, path string) *corev1.ConfigMap {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	cm.ResourceVersion = ""
	cm.UID = ""
	cm.CreationTimestamp = metav1.Time{}
	cm.ManagedFields = nil
	if cm.Name != terway.ENIConfigName || cm.Namespace != terway.ENIConfigNamespace || len(cm.Data) == 0 {
		t.Fatalf("%s is not an eni-config with data", path)
	}
	return &cm
}

func toUnstructured(t testing.TB, obj render.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		t.Fatalf("rendered %T has no TypeMeta", obj)
	}
	// The server sets these; a manifest must not carry them.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return u
}

// decodeYAML splits a multi-document YAML stream into objects.
func decodeYAML(t testing.TB, name string, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m) == 0 {
			continue // an empty document
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

func resourceFor(t testing.TB, mapper meta.RESTMapper, dyn dynamic.Interface, u *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := u.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s is not served: %v", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	return dyn.Resource(m.Resource)
}

func wantRejected(t testing.TB, err error, is func(error) bool, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("server accepted the object; want a rejection containing %q", msg)
	}
	if !is(err) {
		t.Errorf("rejection has reason %q, want another: %v", apierrors.ReasonForError(err), err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("server said %q; want it to contain %q", err.Error(), msg)
	}
	t.Logf("rejected as expected: %v", err)
}

func waitForNamespace(ctx context.Context, t testing.TB, cs kubernetes.Interface, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s never appeared: %v", name, err)
	}
}

// schemaGVR is the resource of crd's storage version.
func schemaGVR(crd *apiextensionsv1.CustomResourceDefinition) schema.GroupVersionResource {
	gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Resource: crd.Spec.Names.Plural}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			gvr.Version = v.Name
		}
	}
	return gvr
}
