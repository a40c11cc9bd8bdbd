package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/sizing"
)

// featureCases render each optional feature, and all of them, for a
// 1,000-node cluster on 1.30 into
// testdata/features/<name>/1.30-1000.yaml (a directory each, so
// that hack/validate.sh reads the version from the file name).
var featureCases = []struct {
	name string
	o    render.Options
}{
	{"metrics", render.Options{Metrics: true}},
	{"zone-spread", render.Options{ZoneSpread: true}},
	{"autoscaler", render.Options{Autoscaler: true}},
	{"all", render.Options{Metrics: true, ZoneSpread: true, Autoscaler: true, Labels: map[string]string{"team": "net"}}},
}

// checkGoldenObjects checks objs, as EncodeYAML writes them, against the
// golden file at path, and that the file is idempotent, as every golden:
// decoded and encoded again, the same bytes.
func checkGoldenObjects(t *testing.T, path string, objs ...render.Object) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, render.EncodeYAML(&buf, objs...))
	golden.Check(t, path, buf.Bytes())
	back, err := render.Decode(buf.Bytes())
	require.NoError(t, err)
	var again bytes.Buffer
	require.NoError(t, render.EncodeYAML(&again, back...))
	assert.Equal(t, buf.String(), again.String())
}

func withCluster(o render.Options) render.Options {
	o.Region, o.Nodes, o.KubeVersion = "cn-hangzhou", 1000, "v1.30.7-aliyun.1"
	return o
}

func TestGoldenFeatures(t *testing.T) {
	t.Parallel()
	for _, tc := range featureCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mustRender(t, withCluster(tc.o))
			checkGoldenObjects(t, filepath.Join("..", "testdata", "features", tc.name, "1.30-1000.yaml"), res.Objects()...)
		})
	}
}

// TestFeaturesOffChangeNothing: the zero value of every new field renders
// what the guide's defaults render, object for object.
func TestFeaturesOffChangeNothing(t *testing.T) {
	t.Parallel()
	base := mustRender(t, withCluster(render.Options{}))
	off := mustRender(t, withCluster(render.Options{Metrics: false, ZoneSpread: false, Autoscaler: false}))
	assert.Equal(t, base.Objects(), off.Objects())
	assert.Len(t, base.Objects(), 4)
	assert.Nil(t, base.Autoscaler)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	res := mustRender(t, withCluster(render.Options{Metrics: true, Annotations: map[string]string{"prometheus.io/path": "/custom"}}))
	pod := res.Deployment.Spec.Template
	c := pod.Spec.Containers[0]
	assert.Contains(t, c.Env, corev1.EnvVar{Name: "TYPHA_PROMETHEUSMETRICSENABLED", Value: "true"})
	assert.Contains(t, c.Env, corev1.EnvVar{Name: "TYPHA_PROMETHEUSMETRICSPORT", Value: "9093"})
	assert.Contains(t, c.Ports, corev1.ContainerPort{Name: "metrics", ContainerPort: 9093, Protocol: corev1.ProtocolTCP})
	assert.Equal(t, "true", pod.Annotations["prometheus.io/scrape"])
	assert.Equal(t, "9093", pod.Annotations["prometheus.io/port"])
	assert.Equal(t, "/custom", pod.Annotations["prometheus.io/path"], "the caller's annotation wins")
	assert.Equal(t, "true", pod.Annotations[render.SafeToEvictAnnotation])
}

func TestZoneSpread(t *testing.T) {
	t.Parallel()
	res := mustRender(t, withCluster(render.Options{ZoneSpread: true}))
	tsc := res.Deployment.Spec.Template.Spec.TopologySpreadConstraints
	require.Len(t, tsc, 1)
	assert.Equal(t, "topology.kubernetes.io/zone", tsc[0].TopologyKey)
	assert.Equal(t, corev1.ScheduleAnyway, tsc[0].WhenUnsatisfiable)
	assert.Equal(t, map[string]string{"k8s-app": "calico-typha"}, tsc[0].LabelSelector.MatchLabels)

	for _, v := range []string{"v1.16.9-aliyun.1", "v1.18.8-aliyun.1"} {
		_, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: v, ZoneSpread: true})
		var oe *render.OptionError
		require.ErrorAs(t, err, &oe, v)
		assert.Equal(t, "ZoneSpread", oe.Field)
		assert.Contains(t, oe.Reason, "needs Kubernetes 1.19 or later")
	}
	mustRender(t, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.19.1", ZoneSpread: true})
}

func TestAutoscalerObjects(t *testing.T) {
	t.Parallel()
	res := mustRender(t, withCluster(render.Options{Autoscaler: true, Labels: map[string]string{"k8s-app": "calico-typha", "team": "net"}}))
	assert.Nil(t, res.Deployment.Spec.Replicas, "the autoscaler owns the replicas")
	assert.Equal(t, 5, res.Advice.Replicas, "the advice is still given")
	a := res.Autoscaler
	require.NotNil(t, a)
	var kinds []string
	for _, o := range res.Objects()[4:] {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
		assert.Equal(t, "calico-typha-autoscaler", o.GetLabels()["k8s-app"], "k8s-app is the autoscaler's even when the caller sets it")
		assert.Equal(t, "net", o.GetLabels()["team"])
	}
	assert.Equal(t, []string{
		"ServiceAccount/calico-typha-autoscaler", "ClusterRole/calico-typha-autoscaler", "ClusterRoleBinding/calico-typha-autoscaler",
		"Role/calico-typha-autoscaler", "RoleBinding/calico-typha-autoscaler", "ConfigMap/calico-typha-autoscaler", "Deployment/calico-typha-autoscaler",
	}, kinds)
	c := a.Deployment.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "registry-vpc.cn-hangzhou.aliyuncs.com/acs/cluster-proportional-autoscaler:1.8.4", c.Image)
	assert.Contains(t, c.Command, "--target=deployment/calico-typha")
	assert.Contains(t, c.Command, "--configmap=calico-typha-autoscaler")
	assert.Contains(t, c.Command, "--nodelabels=kubernetes.io/os=linux,type!=virtual-kubelet,k8s.aliyun.com/exclusive-mode-eni-type!=eniOnly")
	assert.Equal(t, a.Deployment.Spec.Selector.MatchLabels["k8s-app"], a.Deployment.Spec.Template.Labels["k8s-app"])
	assert.Equal(t, []string{"list", "watch"}, a.ClusterRole.Rules[0].Verbs)
	assert.Equal(t, []string{"nodes"}, a.ClusterRole.Rules[0].Resources)
	assert.Equal(t, []string{"deployments/scale"}, a.Role.Rules[0].Resources)
	assert.Equal(t, []string{"calico-typha"}, a.Role.Rules[0].ResourceNames)
	assert.Equal(t, "kube-system", a.Role.Namespace)

	var p sizing.LinearParams
	require.NoError(t, json.Unmarshal([]byte(a.ConfigMap.Data["linear"]), &p))
	assert.Equal(t, sizing.TyphaLinearParams(), p)
	assert.Equal(t, `{"nodesPerReplica":200,"min":3,"preventSinglePointFailure":true,"includeUnschedulableNodes":true}`, a.ConfigMap.Data["linear"])

	// Fresh objects: changing one rendering leaves the next alone.
	a.Deployment.Spec.Template.Labels["x"] = "y"
	again := mustRender(t, withCluster(render.Options{Autoscaler: true}))
	assert.NotContains(t, again.Autoscaler.Deployment.Spec.Template.Labels, "x")
}

func TestAutoscalerOptions(t *testing.T) {
	t.Parallel()
	res := mustRender(t, withCluster(render.Options{Autoscaler: true, Registry: "registry.example.com/mirror", AutoscalerTag: "1.8.9"}))
	assert.Equal(t, "registry.example.com/mirror/acs/cluster-proportional-autoscaler:1.8.9", res.Autoscaler.Deployment.Spec.Template.Spec.Containers[0].Image, "the Typha image's registry by default")

	_, err := render.Render(withCluster(render.Options{Autoscaler: true, Replicas: 7, AutoscalerRegistry: "not a registry", AutoscalerRepository: "UPPER", AutoscalerTag: "-x"}))
	var fields []string
	for _, e := range flatten(err) {
		var oe *render.OptionError
		if errors.As(e, &oe) {
			fields = append(fields, oe.Field)
		}
	}
	assert.Equal(t, []string{"Replicas", "AutoscalerRegistry", "AutoscalerRepository", "AutoscalerTag"}, fields)

	off := mustRender(t, withCluster(render.Options{AutoscalerTag: "1.8.9"}))
	assert.Nil(t, off.Autoscaler)
	assert.True(t, slices.ContainsFunc(messages(off.Findings), func(w string) bool { return strings.Contains(w, `AutoscalerTag "1.8.9" is not used`) }), "warnings %q", messages(off.Findings))
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// cpaLinear is cluster-proportional-autoscaler's linear mode as its README
// writes it (kubernetes-sigs/cluster-proportional-autoscaler, README.md,
// "Linear Mode"):
//
//	replicas = max( ceil( cores * 1/coresPerReplica ) , ceil( nodes * 1/nodesPerReplica ) )
//	replicas = min(replicas, max)
//	replicas = max(replicas, min)
//
// with "when preventSinglePointFailure is set to true, controller ensures
// at least 2 replicas if there are more than one node", min defaulting to
// 1 (and below 1 counting as 1), a term whose perReplica is omitted not
// counting, and both perReplica values floats. nodes is what it counts:
// schedulable nodes, or every node with includeUnschedulableNodes.
func cpaLinear(p sizing.LinearParams, nodes, cores int) int {
	replicas := 0.0
	if p.CoresPerReplica > 0 {
		replicas = math.Max(replicas, math.Ceil(float64(cores)*1/p.CoresPerReplica))
	}
	if p.NodesPerReplica > 0 {
		replicas = math.Max(replicas, math.Ceil(float64(nodes)*1/p.NodesPerReplica))
	}
	if p.Max > 0 {
		replicas = math.Min(replicas, float64(p.Max))
	}
	replicas = math.Max(replicas, float64(max(p.Min, 1)))
	if p.PreventSinglePointFailure && nodes > 1 {
		replicas = math.Max(replicas, 2)
	}
	return int(replicas)
}

func TestCPALinearFormula(t *testing.T) {
	t.Parallel()
	// The formula as written, on the README's own example: 4 nodes, 13
	// cores, coresPerReplica 2, nodesPerReplica 1 -> 7.
	assert.Equal(t, 7, cpaLinear(sizing.LinearParams{CoresPerReplica: 2, NodesPerReplica: 1, Min: 1, Max: 100, PreventSinglePointFailure: true}, 4, 13))
	assert.Equal(t, 2, cpaLinear(sizing.LinearParams{NodesPerReplica: 16, PreventSinglePointFailure: true}, 2, 0))
	assert.Equal(t, 1, cpaLinear(sizing.LinearParams{NodesPerReplica: 16, PreventSinglePointFailure: true}, 1, 0))
	assert.Equal(t, 3, cpaLinear(sizing.LinearParams{NodesPerReplica: 1, Max: 3}, 10, 0))
}

// TestAutoscalerMatchesSizing checks the rendered parameters against
// sizing for every node count typharender accepts. The replica counts
// agree everywhere; the one rule that differs is replicas-below-nodes:
// sizing warns when replicas >= nodes (1 to 3 nodes: 3 replicas, and
// Typha binds a host port, so a rolling update has no free node), the
// autoscaler keeps 3 there without a word. The plan says so
// (rollout: the autoscaler note); the other difference, which nodes are
// counted, is closed by --nodelabels (AutoscalerNodeLabels) and by
// counting cordoned nodes, whose Felix stays connected.
func TestAutoscalerMatchesSizing(t *testing.T) {
	t.Parallel()
	p := sizing.TyphaLinearParams()
	var disagree []int
	var belowNodes []int
	for n := sizing.MinNodes; n <= sizing.MaxNodes; n++ {
		want := sizing.Recommend(n)
		// Cores do not count: coresPerReplica is not set, so any core count
		// gives the same answer.
		if got := cpaLinear(p, n, 64*n); got != want {
			disagree = append(disagree, n)
		}
		if sizing.TooManyReplicas(n, cpaLinear(p, n, 0)) {
			belowNodes = append(belowNodes, n)
		}
	}
	assert.Empty(t, disagree, "node counts where the autoscaler and sizing disagree on replicas")
	assert.Equal(t, []int{1, 2, 3}, belowNodes, "node counts where the autoscaler keeps replicas >= nodes (sizing warns)")
	a, err := sizing.Advise(3)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(a.Warnings, func(w string) bool { return strings.Contains(w, "keep replicas below the node count") }))
}

func ExampleRender_autoscaler() {
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Autoscaler: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Typha spec.replicas set:", res.Deployment.Spec.Replicas != nil)
	fmt.Println("the autoscaler will set:", res.Advice.Replicas)
	for _, o := range res.Autoscaler.Objects() {
		fmt.Println(o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
	}
	fmt.Println(res.Autoscaler.ConfigMap.Data["linear"])
	// Output:
	// Typha spec.replicas set: false
	// the autoscaler will set: 5
	// ServiceAccount calico-typha-autoscaler
	// ClusterRole calico-typha-autoscaler
	// ClusterRoleBinding calico-typha-autoscaler
	// Role calico-typha-autoscaler
	// RoleBinding calico-typha-autoscaler
	// ConfigMap calico-typha-autoscaler
	// Deployment calico-typha-autoscaler
	// {"nodesPerReplica":200,"min":3,"preventSinglePointFailure":true,"includeUnschedulableNodes":true}
}
