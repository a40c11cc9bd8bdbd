//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// TestAutoscalerOnAPIServer runs the optional features against a real
// kube-apiserver: every object of a rendering with the autoscaler,
// metrics and zone spread, and every features golden as written, passes a
// server-side dry-run apply; the autoscaler's RBAC, created for real,
// lets its ServiceAccount do what cluster-proportional-autoscaler does
// (list and watch nodes, read its ConfigMap, read and update
// calico-typha's scale) and nothing next to it; and the Typha Deployment
// without spec.replicas is stored with the API server's default of 1.
func TestAutoscalerOnAPIServer(t *testing.T) {
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cl := c.clients()
	cs, dyn, disco, mapper := cl.cs, cl.dyn, cl.disco, cl.mapper
	info, err := disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	waitForNamespace(ctx, t, cs, "kube-system")

	res, err := render.Render(render.Options{
		Region: "cn-hangzhou", Nodes: 1000, KubeVersion: info.GitVersion + "-aliyun.1",
		Autoscaler: true, Metrics: true, ZoneSpread: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(t *testing.T, obj render.Object, dryRun bool) {
		t.Helper()
		u := toUnstructured(t, obj)
		opts := metav1.ApplyOptions{FieldManager: fieldManager}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := resourceFor(t, mapper, dyn, u).Apply(ctx, u.GetName(), u, opts); err != nil {
			t.Fatalf("apply (dry run %v) of %s %s: %v", dryRun, u.GetKind(), u.GetName(), err)
		}
	}

	t.Run("dry-run apply of every object", func(t *testing.T) {
		var kinds []string
		for _, obj := range res.Objects() {
			apply(t, obj, true)
			kinds = append(kinds, obj.GetObjectKind().GroupVersionKind().Kind)
		}
		for _, want := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("rendered kinds %v lack %s", kinds, want)
			}
		}
		if n := len(res.Objects()); n != 11 {
			t.Errorf("%d objects, want 11 (4 of Typha, 7 of the autoscaler)", n)
		}
	})

	t.Run("features goldens as written are accepted", func(t *testing.T) {
		goldens, err := filepath.Glob(filepath.Join("..", "testdata", "features", "*", "*.yaml"))
		if err != nil || len(goldens) == 0 {
			t.Fatalf("no features goldens (%v)", err)
		}
		for _, g := range goldens {
			data, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range decodeYAML(t, g, data) {
				_, err := resourceFor(t, mapper, dyn, u).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: fieldManager, DryRun: []string{metav1.DryRunAll}})
				if err != nil {
					t.Errorf("%s: %s %s: %v", g, u.GetKind(), u.GetName(), err)
				}
			}
			t.Logf("accepted %s", strings.TrimPrefix(g, "../"))
		}
	})

	t.Run("the autoscaler's RBAC allows what it does and no more", func(t *testing.T) {
		a := res.Autoscaler
		for _, obj := range []render.Object{a.ServiceAccount, a.ClusterRole, a.ClusterRoleBinding, a.Role, a.RoleBinding, a.ConfigMap, res.Deployment} {
			apply(t, obj, false)
		}
		stored, err := cs.AppsV1().Deployments("kube-system").Get(ctx, render.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if stored.Spec.Replicas == nil || *stored.Spec.Replicas != 1 {
			t.Errorf("Typha without spec.replicas is stored with %v replicas, want the default 1 (the plan says it starts with 1)", stored.Spec.Replicas)
		}
		other := res.Deployment.DeepCopy()
		other.Name = "coredns"
		apply(t, other, false)

		as := rest.CopyConfig(c.config)
		as.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:kube-system:" + render.AutoscalerName}
		sa := kubernetes.NewForConfigOrDie(as)

		// The API server applies --nodelabels: it must keep the nodes
		// terway.CountFelixNodes counts, and only those.
		var all []corev1.Node
		for _, n := range []struct {
			name   string
			labels map[string]string
		}{
			{"ecs-linux", map[string]string{"kubernetes.io/os": "linux"}},
			{"ecs-linux-other-eni-type", map[string]string{"kubernetes.io/os": "linux", terway.LabelExclusiveENI: "any-value-but-eniOnly"}},
			{"virtual-kubelet-cn-hangzhou-h", map[string]string{"kubernetes.io/os": "linux", terway.LabelVirtualNode: terway.VirtualKubelet}},
			{"ecs-exclusive-eni", map[string]string{"kubernetes.io/os": "linux", terway.LabelExclusiveENI: terway.ExclusiveENIOnly}},
			{"ecs-windows", map[string]string{"kubernetes.io/os": "windows"}},
		} {
			node := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: n.labels}}
			if _, err := cs.CoreV1().Nodes().Create(ctx, &node, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			all = append(all, node)
		}
		nodes, err := sa.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: render.AutoscalerNodeLabels})
		if err != nil {
			t.Fatalf("list nodes with --nodelabels %s: %v", render.AutoscalerNodeLabels, err)
		}
		var listed []string
		for _, n := range nodes.Items {
			listed = append(listed, n.Name)
		}
		want := terway.CountFelixNodes(all)
		if len(listed) != want.Felix || !slices.Equal(listed, []string{"ecs-linux", "ecs-linux-other-eni-type"}) {
			t.Errorf("the autoscaler's selector lists %v; CountFelixNodes counts %d (skipping %v)", listed, want.Felix, want.Skipped)
		}
		w, err := sa.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{LabelSelector: render.AutoscalerNodeLabels})
		if err != nil {
			t.Errorf("watch nodes: %v", err)
		} else {
			w.Stop()
		}
		if _, err := sa.CoreV1().ConfigMaps("kube-system").Get(ctx, render.AutoscalerName, metav1.GetOptions{}); err != nil {
			t.Errorf("get its ConfigMap: %v", err)
		}
		scale, err := sa.AppsV1().Deployments("kube-system").GetScale(ctx, render.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get calico-typha's scale: %v", err)
		}
		scale.Spec.Replicas = 5
		if _, err := sa.AppsV1().Deployments("kube-system").UpdateScale(ctx, render.Name, scale, metav1.UpdateOptions{}); err != nil {
			t.Errorf("update calico-typha's scale to 5: %v", err)
		}
		if got, err := cs.AppsV1().Deployments("kube-system").Get(ctx, render.Name, metav1.GetOptions{}); err != nil || *got.Spec.Replicas != 5 {
			t.Errorf("after the scale update: %v, err %v", got.Spec.Replicas, err)
		}

		forbidden := map[string]error{}
		_, forbidden["get coredns's scale"] = sa.AppsV1().Deployments("kube-system").GetScale(ctx, "coredns", metav1.GetOptions{})
		_, forbidden["update coredns's scale"] = sa.AppsV1().Deployments("kube-system").UpdateScale(ctx, "coredns", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"}, Spec: autoscalingv1.ScaleSpec{Replicas: 9}}, metav1.UpdateOptions{})
		_, forbidden["update the calico-typha Deployment itself"] = sa.AppsV1().Deployments("kube-system").Update(ctx, stored, metav1.UpdateOptions{})
		_, forbidden["get eni-config"] = sa.CoreV1().ConfigMaps("kube-system").Get(ctx, "eni-config", metav1.GetOptions{})
		_, forbidden["create a ConfigMap"] = sa.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
		_, forbidden["list secrets"] = sa.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
		for what, err := range forbidden {
			if !apierrors.IsForbidden(err) {
				t.Errorf("%s: %v, want Forbidden", what, err)
			}
		}
	})
}
