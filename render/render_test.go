package render_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

func mustRender(t *testing.T, o render.Options) *render.Result {
	t.Helper()
	res, err := render.Render(o)
	require.NoError(t, err)
	return res
}

// guideDepartures applies to objects decoded from the guide's manifest
// what typharender renders differently on purpose, each a decision of its
// own, so that everything else is still compared with the guide.
func guideDepartures(objs []render.Object, kube string) {
	for _, o := range objs {
		d, ok := o.(*appsv1.Deployment)
		if !ok {
			continue
		}
		// From 1.25, Typha v3.24.5 from quay.io: the guide's v3.20.2 never
		// syncs there (terway.DefaultTyphas, TestDefaultTypha).
		if !versioning.MustParse(kube).LessThan(versioning.New(1, 25)) {
			d.Spec.Template.Spec.Containers[0].Image = "quay.io/calico/typha:v3.24.5"
		}
		// Off ACK's virtual nodes (TestTyphaStaysOffVirtualNodes).
		d.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "type", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"virtual-kubelet"}}},
			}}},
		}}
	}
}

// TestMatchesGuide: with defaults, 1.21 or later and at most 600 nodes, the
// objects are the guide's manifest with the region filled in, apart from
// guideDepartures.
func TestMatchesGuide(t *testing.T) {
	t.Parallel()
	guide, err := os.ReadFile("../testdata/guide/calico-typha.yaml")
	require.NoError(t, err)
	cases := []struct {
		region, version string
		nodes           int
	}{
		{region: "cn-hangzhou", version: "v1.21.3-aliyun.1", nodes: 101},
		{region: "cn-shanghai-finance-1", version: "v1.30.7-aliyun.1", nodes: 600},
		{region: "ap-southeast-1", version: "1.36", nodes: 200},
	}
	for _, tc := range cases {
		t.Run(tc.region+"/"+tc.version, func(t *testing.T) {
			t.Parallel()
			want, err := render.Decode(bytes.ReplaceAll(guide, []byte(terway.RegionPlaceholder), []byte(tc.region)))
			require.NoError(t, err)
			guideDepartures(want, tc.version)
			res := mustRender(t, render.Options{Region: tc.region, Nodes: tc.nodes, KubeVersion: tc.version})
			got := res.Objects()
			require.Len(t, got, len(want))
			for i := range want {
				assert.Equal(t, want[i], got[i], "object %d differs from the guide", i)
			}
			assert.Empty(t, messages(res.Findings))
		})
	}
}

func TestRenderDecisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     render.Options
		replicas int32
		pdb      string
		warnings []string // one substring per warning, in order; none means no warnings
	}{
		{name: "1.20 gets policy/v1beta1", opts: render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: "v1.20.11-aliyun.1"}, replicas: 3, pdb: "policy/v1beta1"},
		{name: "1.16 oldest", opts: render.Options{Region: "cn-hangzhou", Nodes: 601, KubeVersion: "v1.16.9-aliyun.1"}, replicas: 4, pdb: "policy/v1beta1"},
		{name: "1.21 gets policy/v1", opts: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.21.3-aliyun.1"}, replicas: 5, pdb: "policy/v1"},
		{name: "eks suffix", opts: render.Options{Region: "cn-hangzhou", Nodes: 5000, KubeVersion: "v1.24.7-eks-fb459a0"}, replicas: 25, pdb: "policy/v1"},
		{name: "small cluster warns", opts: render.Options{Region: "cn-hangzhou", Nodes: 50, KubeVersion: "1.30"}, replicas: 3, pdb: "policy/v1", warnings: []string{"recommended above 100 nodes"}},
		{name: "replicas >= nodes warns", opts: render.Options{Region: "cn-hangzhou", Nodes: 3, KubeVersion: "1.30"}, replicas: 3, pdb: "policy/v1", warnings: []string{"recommended above 100 nodes", "rolling updates stall"}},
		{name: "override below recommendation warns", opts: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30", Replicas: 2}, replicas: 2, pdb: "policy/v1", warnings: []string{"below the recommended 5"}},
		{name: "override above", opts: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30", Replicas: 7}, replicas: 7, pdb: "policy/v1"},
		{name: "future version warns", opts: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.40.1-aliyun.1"}, replicas: 5, pdb: "policy/v1", warnings: []string{"newer than 1.37"}},
		{name: "unknown region warns", opts: render.Options{Region: "cn-atlantis-1", Nodes: 1000, KubeVersion: "1.30"}, replicas: 5, pdb: "policy/v1", warnings: []string{`region "cn-atlantis-1" is not a known`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := mustRender(t, tc.opts)
			assert.Equal(t, tc.replicas, *res.Deployment.Spec.Replicas)
			assert.Equal(t, int(tc.replicas), res.Advice.Replicas)
			assert.Equal(t, tc.pdb, res.PodDisruptionBudget.GetObjectKind().GroupVersionKind().GroupVersion().String())
			switch tc.pdb {
			case "policy/v1":
				assert.IsType(t, &policyv1.PodDisruptionBudget{}, res.PodDisruptionBudget)
			default:
				assert.IsType(t, &policyv1beta1.PodDisruptionBudget{}, res.PodDisruptionBudget)
			}
			require.Len(t, messages(res.Findings), len(tc.warnings), "warnings %q", messages(res.Findings))
			for i, w := range tc.warnings {
				assert.Contains(t, messages(res.Findings)[i], w)
			}
			for _, obj := range res.Objects() {
				gvk := obj.GetObjectKind().GroupVersionKind()
				assert.NotEmpty(t, gvk.Kind, "TypeMeta is always set")
				assert.NotEmpty(t, gvk.Version, "TypeMeta is always set")
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	res := mustRender(t, render.Options{
		Region: "cn-beijing", Nodes: 800, KubeVersion: "v1.30.7-aliyun.1",
		Registry: "registry.example.com:5000/mirror", Repository: "calico/typha", Tag: "v3.28.0",
		Digest:      "sha256:" + strings.Repeat("ab", 32),
		Labels:      map[string]string{"team": "network", "k8s-app": "calico-typha"},
		Annotations: map[string]string{"example.com/owner": "sre", render.SafeToEvictAnnotation: "false"},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		LogSeverity: "Warning",
	})
	c := res.Deployment.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "registry.example.com:5000/mirror/calico/typha:v3.28.0@sha256:"+strings.Repeat("ab", 32), c.Image)
	assert.Equal(t, c.Image, res.Image)
	assert.Equal(t, "Warning", c.Env[0].Value, "the severity is passed as given")
	assert.Equal(t, resource.MustParse("250m"), c.Resources.Requests[corev1.ResourceCPU])
	for _, obj := range res.Objects() {
		assert.Equal(t, "network", obj.GetLabels()["team"], "%T", obj)
		assert.Equal(t, "sre", obj.GetAnnotations()["example.com/owner"], "%T", obj)
	}
	tmpl := res.Deployment.Spec.Template
	assert.Equal(t, map[string]string{"k8s-app": "calico-typha", "team": "network"}, tmpl.Labels)
	assert.Equal(t, "false", tmpl.Annotations[render.SafeToEvictAnnotation], "the caller's annotation wins")
	assert.Equal(t, map[string]string{"k8s-app": "calico-typha"}, res.Deployment.Spec.Selector.MatchLabels, "selectors never take extra labels")
	assert.Equal(t, map[string]string{"k8s-app": "calico-typha"}, res.Service.Spec.Selector)
}

func TestFreshObjects(t *testing.T) {
	t.Parallel()
	opts := render.Options{Region: "cn-hangzhou", Nodes: 800, KubeVersion: "1.30", Labels: map[string]string{"a": "b"}}
	first := mustRender(t, opts)
	first.Deployment.Spec.Template.Spec.Containers[0].Env[0].Value = "mutated"
	first.Service.Labels["a"] = "mutated"
	first.Deployment.Spec.Selector.MatchLabels["k8s-app"] = "mutated"
	*first.Deployment.Spec.Replicas = 99
	second := mustRender(t, opts)
	assert.Equal(t, "info", second.Deployment.Spec.Template.Spec.Containers[0].Env[0].Value)
	assert.Equal(t, "b", second.Service.Labels["a"])
	assert.Equal(t, "calico-typha", second.Deployment.Spec.Selector.MatchLabels["k8s-app"])
	assert.Equal(t, int32(4), *second.Deployment.Spec.Replicas)
	assert.Equal(t, "b", opts.Labels["a"], "the caller's map is not touched")
	assert.Equal(t, "calico-typha", second.Service.Spec.Selector["k8s-app"])
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	valid := render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: "v1.30.7-aliyun.1"}
	with := func(f func(*render.Options)) render.Options { o := valid; f(&o); return o }
	tests := []struct {
		name   string
		opts   render.Options
		field  string
		want   string
		target error
	}{
		{name: "no region", opts: with(func(o *render.Options) { o.Region = "" }), field: "Region", want: "is required"},
		{name: "placeholder", opts: with(func(o *render.Options) { o.Region = "{REGION-ID}" }), field: "Region", want: "placeholder"},
		{name: "region with host", opts: with(func(o *render.Options) { o.Region = "cn-hangzhou.evil.example/x" }), field: "Region", want: "not a region ID", target: terway.ErrRegion},
		{name: "region with colon", opts: with(func(o *render.Options) { o.Region = "cn-hangzhou:443" }), field: "Region", want: "not a region ID"},
		{name: "region upper case", opts: with(func(o *render.Options) { o.Region = "CN-HANGZHOU" }), field: "Region", want: "not a region ID"},
		{name: "region space", opts: with(func(o *render.Options) { o.Region = "cn hangzhou" }), field: "Region", want: "not a region ID"},
		{name: "no version", opts: with(func(o *render.Options) { o.KubeVersion = "" }), field: "KubeVersion", want: "not a Kubernetes version", target: versioning.ErrInvalidVersion},
		{name: "old version", opts: with(func(o *render.Options) { o.KubeVersion = "v1.15.12-aliyun.1" }), field: "KubeVersion", want: "1.16 and later", target: versioning.ErrUnsupportedVersion},
		{name: "no nodes", opts: with(func(o *render.Options) { o.Nodes = 0 }), field: "Nodes", want: "1 to 100000", target: sizing.ErrNodes},
		{name: "too many nodes", opts: with(func(o *render.Options) { o.Nodes = 100001 }), field: "Nodes", want: "1 to 100000", target: sizing.ErrNodes},
		{name: "negative replicas", opts: with(func(o *render.Options) { o.Replicas = -1 }), field: "Replicas", want: "want 1 or more"},
		{name: "registry with scheme", opts: with(func(o *render.Options) { o.Registry = "https://registry.example.com" }), field: "Registry", want: "host[:port][/path]"},
		{name: "registry with tag", opts: with(func(o *render.Options) { o.Registry = "registry.example.com/x:tag" }), field: "Registry", want: "host[:port][/path]"},
		{name: "repository upper", opts: with(func(o *render.Options) { o.Repository = "ACS/typha" }), field: "Repository", want: "lowercase path"},
		{name: "repository with tag", opts: with(func(o *render.Options) { o.Repository = "acs/typha:v1" }), field: "Repository", want: "lowercase path"},
		{name: "bad tag", opts: with(func(o *render.Options) { o.Tag = "-v1" }), field: "Tag", want: "not an image tag"},
		{name: "bad digest", opts: with(func(o *render.Options) { o.Digest = "sha256:abc" }), field: "Digest", want: "64 lowercase hex"},
		{name: "bad severity", opts: with(func(o *render.Options) { o.LogSeverity = "verbose" }), field: "LogSeverity", want: "debug, info, warning, error or fatal"},
		{name: "bad label key", opts: with(func(o *render.Options) { o.Labels = map[string]string{"bad key": "x"} }), field: "Labels[bad key]", want: "not a label key"},
		{name: "bad label value", opts: with(func(o *render.Options) { o.Labels = map[string]string{"team": "a b"} }), field: "Labels[team]", want: "not a label value"},
		{name: "selector label", opts: with(func(o *render.Options) { o.Labels = map[string]string{"k8s-app": "other"} }), field: "Labels[k8s-app]", want: "would change the selector"},
		{name: "bad annotation key", opts: with(func(o *render.Options) { o.Annotations = map[string]string{"a/b/c": "x"} }), field: "Annotations[a/b/c]", want: "not an annotation key"},
		{name: "request above limit", opts: with(func(o *render.Options) {
			o.Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
			}
		}), field: "Resources.Requests[memory]", want: "above its limit 512Mi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := render.Render(tc.opts)
			require.Error(t, err)
			assert.Nil(t, res, "no partial result")
			assert.ErrorIs(t, err, render.ErrInvalidOption)
			if tc.target != nil {
				assert.ErrorIs(t, err, tc.target)
			}
			var oe *render.OptionError
			require.True(t, errors.As(err, &oe))
			assert.Equal(t, tc.field, oe.Field)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, err.Error(), tc.opts.Validate().Error(), "Validate and Render agree")
		})
	}
}

// TestRenderTrimsRegion: surrounding white space around the region is
// ignored, as around the Kubernetes version; the image holds the bare ID.
func TestRenderTrimsRegion(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"cn-hangzhou ", " cn-hangzhou", "cn-hangzhou\n"} {
		// 1.24: the guide's image, in the cluster's own registry.
		res, err := render.Render(render.Options{Region: region, Nodes: 600, KubeVersion: "v1.24.6 "})
		require.NoError(t, err, "%q", region)
		assert.Equal(t, "registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2", res.Image, "%q", region)
		assert.Empty(t, messages(res.Findings), "%q", region)
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	t.Parallel()
	err := render.Options{Region: "x.y", Nodes: -5, KubeVersion: "banana", Tag: "/", Replicas: -1}.Validate()
	require.Error(t, err)
	for _, field := range []string{"Region", "Nodes", "KubeVersion", "Tag", "Replicas"} {
		assert.Contains(t, err.Error(), field+" ")
	}
	// Every bad field, one error each, in the order of the Options fields.
	opts := render.Options{
		Region: "CN-HANGZHOU", Nodes: 0, KubeVersion: "v1.15.1",
		Registry: "https://x", Repository: "ACS", Tag: "-v", Digest: "md5:x",
		Replicas:    -1,
		Labels:      map[string]string{"bad key": "x"},
		Annotations: map[string]string{"a/b/c": "x"},
		Resources:   corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")}},
		LogSeverity: "loud",
	}
	_, err = render.Render(opts)
	var fields []string
	for _, e := range errs.Flatten(err) {
		var oe *render.OptionError
		require.ErrorAs(t, e, &oe)
		fields = append(fields, oe.Field)
	}
	assert.Equal(t, []string{"Region", "KubeVersion", "Nodes", "Replicas", "Registry", "Repository", "Tag", "Digest",
		"LogSeverity", "Labels[bad key]", "Annotations[a/b/c]", "Resources.Limits[cpu]"}, fields)
	assert.NoError(t, render.Options{Region: "cn-hangzhou", Nodes: 1, KubeVersion: "1.16"}.Validate())
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Compile-time checks that the rendered types are what the docs promise.
var (
	_ render.Object = (*appsv1.Deployment)(nil)
	_ render.Object = (*corev1.Service)(nil)
)

// TestOptionErrorText pins the text of each kind of value: OptionError
// keeps the raw value and quotes it once, in Error, exactly as the
// messages read when callers quoted it themselves.
func TestOptionErrorText(t *testing.T) {
	t.Parallel()
	valid := render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: "v1.30.7-aliyun.1"}
	with := func(f func(*render.Options)) render.Options { o := valid; f(&o); return o }
	tests := []struct {
		name  string
		opts  render.Options
		want  string
		value any
	}{
		{name: "string", opts: with(func(o *render.Options) { o.Tag = "-v1" }), value: "-v1",
			want: `Tag "-v1": is not an image tag: want up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', such as v3.24.5`},
		{name: "region as given", opts: with(func(o *render.Options) { o.Region = "CN-HANGZHOU " }), value: "CN-HANGZHOU ",
			want: `Region "CN-HANGZHOU ": is not a region ID: want lowercase letters, digits and dashes, such as cn-hangzhou, ap-southeast-1 or cn-shanghai-finance-1 (dots, slashes, colons, upper case and spaces would change the image host); did you mean cn-hangzhou?`},
		{name: "number", opts: with(func(o *render.Options) { o.Replicas = -1 }), value: -1,
			want: `Replicas -1: is below 1: want 1 or more, or leave it unset for the recommendation`},
		{name: "quantity", opts: with(func(o *render.Options) {
			o.Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-100m")}
		}), want: `Resources.Limits[cpu] -100m: is negative: want zero or more`},
		{name: "size", opts: with(func(o *render.Options) {
			o.Annotations = map[string]string{"example.com/big": strings.Repeat("x", 256*1024)}
		}), want: `Annotations (262159 bytes): are larger than the 256 KiB Kubernetes allows on an object`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.opts.Validate()
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			var oe *render.OptionError
			require.ErrorAs(t, err, &oe)
			if tc.value != nil {
				assert.Equal(t, tc.value, oe.Value, "Value is the raw value")
			}
		})
	}
}

func TestOptionErrorValueString(t *testing.T) {
	t.Parallel()
	q := resource.MustParse("512Mi")
	for _, tc := range []struct {
		value any
		want  string
	}{
		{value: "a b", want: `"a b"`},
		{value: "", want: `""`},
		{value: render.ModeTypha, want: `"typha"`},
		{value: 0, want: "0"},
		{value: &q, want: "512Mi"},
		{value: 90 * time.Second, want: "1m30s"},
	} {
		oe := &render.OptionError{Field: "F", Value: tc.value, Reason: "r"}
		assert.Equal(t, tc.want, oe.ValueString(), "%#v", tc.value)
		assert.Equal(t, "F "+tc.want+": r", oe.Error())
	}
}

// TestRegistryStyle: how Registry, RegistryStyle, Repository and Tag
// replace the parts of the default image of each Kubernetes version, and
// which combinations are refused rather than guessed.
func TestRegistryStyle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kube                            string
		style, registry, repository, tg string
		image, err                      string
	}{
		// Below 1.25: the guide's image; the style picks its host.
		{kube: "1.24", image: "registry-vpc.ap-southeast-1.aliyuncs.com/acs/typha:v3.20.2"},
		{kube: "1.24", style: "guide", image: "registry-vpc.ap-southeast-1.aliyuncs.com/acs/typha:v3.20.2"},
		{kube: "1.24", style: "ack", image: "registry-ap-southeast-1-vpc.ack.aliyuncs.com/acs/typha:v3.20.2"},
		{kube: "1.24", style: "intl", image: "registry-intl-vpc.ap-southeast-1.aliyuncs.com/acs/typha:v3.20.2"},
		{kube: "1.24", registry: "mirror.example.com", image: "mirror.example.com/acs/typha:v3.20.2"},
		{kube: "1.24", style: "ACK", err: `RegistryStyle "ACK": is not a registry style: want guide (registry-vpc.REGION.aliyuncs.com), ack (registry-REGION-vpc.ack.aliyuncs.com) or intl (registry-intl-vpc.REGION.aliyuncs.com)`},
		{kube: "1.24", style: "enterprise", err: `RegistryStyle "enterprise": is not a registry style`},
		{kube: "1.24", style: "ack", registry: "mirror.example.com", err: `RegistryStyle "ack": is given with the registry "mirror.example.com" as well`},

		// From 1.25: Calico's v3.24.5 from quay.io.
		{kube: "1.30", image: "quay.io/calico/typha:v3.24.5"},
		{kube: "1.30", tg: "v3.28.5", image: "quay.io/calico/typha:v3.28.5"},
		{kube: "1.30", repository: "calico/typha", image: "quay.io/calico/typha:v3.24.5"},
		// A mirror of the default: an Enterprise instance, or any registry.
		{kube: "1.30", registry: "team-registry-vpc.ap-southeast-1.cr.aliyuncs.com", image: "team-registry-vpc.ap-southeast-1.cr.aliyuncs.com/calico/typha:v3.24.5"},
		{kube: "1.30", registry: "mirror.example.com:5000/quay", image: "mirror.example.com:5000/quay/calico/typha:v3.24.5"},
		// A Personal Edition host with a path: the namespace is the person's.
		{kube: "1.30", registry: "registry-vpc.ap-southeast-1.aliyuncs.com/my-namespace", image: "registry-vpc.ap-southeast-1.aliyuncs.com/my-namespace/calico/typha:v3.24.5"},
		// ... without one, calico/typha there is someone else's.
		{kube: "1.30", registry: "registry-vpc.ap-southeast-1.aliyuncs.com", err: `Registry "registry-vpc.ap-southeast-1.aliyuncs.com": is an Alibaba Cloud Container Registry host whose namespaces belong to other accounts, or to Alibaba: registry-vpc.ap-southeast-1.aliyuncs.com/calico/typha there is whoever owns the calico namespace's, not Calico's`},
		{kube: "1.30", registry: "registry-vpc.ap-southeast-1.aliyuncs.com", repository: "my-namespace/typha", image: "registry-vpc.ap-southeast-1.aliyuncs.com/my-namespace/typha:v3.24.5"},
		// The style alone would name an image no one publishes.
		{kube: "1.30", style: "ack", err: `RegistryStyle "ack": chooses an Alibaba Cloud registry host in the region, for ACK's acs/ images; on Kubernetes 1.30 the default image is quay.io/calico/typha:v3.24.5, which is not on that host`},
		{kube: "1.30", style: "intl", repository: "my-namespace/typha", image: "registry-intl-vpc.ap-southeast-1.aliyuncs.com/my-namespace/typha:v3.24.5"},
		// A repository without a registry: not quay.io/acs/typha.
		{kube: "1.30", repository: "acs/typha", err: `Repository "acs/typha": is given without a registry, and on Kubernetes 1.30 the default registry, quay.io, goes with the default repository, calico/typha`},
		{kube: "1.30", registry: "quay.io", repository: "my-org/typha", image: "quay.io/my-org/typha:v3.24.5"},
		{kube: "1.30", style: "ACK", err: `RegistryStyle "ACK": is not a registry style`},
	} {
		o := render.Options{Region: "ap-southeast-1", Nodes: 1000, KubeVersion: tc.kube,
			RegistryStyle: tc.style, Registry: tc.registry, Repository: tc.repository, Tag: tc.tg}
		name := fmt.Sprintf("%+v", o)
		res, err := render.Render(o)
		if tc.err != "" {
			require.Error(t, err, name)
			assert.ErrorIs(t, err, render.ErrInvalidOption)
			assert.Contains(t, err.Error(), tc.err, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, tc.image, res.Image, name)
		assert.Equal(t, tc.image, res.Deployment.Spec.Template.Spec.Containers[0].Image, name)
	}
}

// TestTyphaStaysOffVirtualNodes: Typha tolerates every taint and selects
// Linux nodes, which ACK's virtual nodes (type=virtual-kubelet, ECI) also
// are; with hostNetwork it cannot run there. A required node affinity
// keeps it off them, as Terway's own DaemonSet does.
func TestTyphaStaysOffVirtualNodes(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"v1.16.9-aliyun.1", "v1.24.6-aliyun.1", "v1.35.2-aliyun.1"} {
		res := mustRender(t, render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: v})
		pod := res.Deployment.Spec.Template.Spec
		require.NotNil(t, pod.Affinity, v)
		require.NotNil(t, pod.Affinity.NodeAffinity, v)
		req := pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		require.NotNil(t, req, v)
		virtual := &corev1.Node{}
		virtual.Labels = map[string]string{"kubernetes.io/os": "linux", terway.LabelVirtualNode: terway.VirtualKubelet}
		ecs := &corev1.Node{}
		ecs.Labels = map[string]string{"kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "ecs.g7.xlarge"}
		assert.False(t, matchesNodeSelector(req, virtual), "%s: Typha may land on a virtual node", v)
		assert.True(t, matchesNodeSelector(req, ecs), "%s: Typha may not land on an ECS node", v)
	}
}

// matchesNodeSelector evaluates the In/NotIn/Exists/DoesNotExist match
// expressions of sel against node's labels, as the scheduler does: the
// terms are ORed, the expressions of a term ANDed.
func matchesNodeSelector(sel *corev1.NodeSelector, node *corev1.Node) bool {
	for _, term := range sel.NodeSelectorTerms {
		ok := true
		for _, e := range term.MatchExpressions {
			v, has := node.Labels[e.Key]
			switch e.Operator {
			case corev1.NodeSelectorOpIn:
				ok = ok && has && slices.Contains(e.Values, v)
			case corev1.NodeSelectorOpNotIn:
				ok = ok && !(has && slices.Contains(e.Values, v))
			case corev1.NodeSelectorOpExists:
				ok = ok && has
			case corev1.NodeSelectorOpDoesNotExist:
				ok = ok && !has
			default:
				return false
			}
		}
		if ok && len(term.MatchExpressions) > 0 {
			return true
		}
	}
	return false
}

// TestRefusedTypha: a Typha release the version table says cannot serve
// Terway's Felix in the cluster is refused, naming both ways out (the
// default, or the Vouch field of the one claim that lifts it); vouched, it
// renders, with the claim recorded on the Deployment and nowhere else.
func TestRefusedTypha(t *testing.T) {
	t.Parallel()
	base := func(kube, tag string, v render.Vouch) render.Options {
		return render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: kube, Tag: tag, Vouch: v}
	}
	for _, tc := range []struct {
		name     string
		opts     render.Options
		claims   []terway.Claim // refused: the claim of each OptionError, in order
		contains []string       // in the error
		vouched  string         // rendered: the Deployment's VouchAnnotation
		warning  string         // rendered: a warning that holds this
	}{
		{name: "the guide's tag on 1.35", opts: base("v1.35.2-aliyun.1", "v3.20.2", render.Vouch{}),
			claims: []terway.Claim{terway.ClaimEndpointSliceV1},
			contains: []string{`Tag "v3.20.2": Typha v3.20.2 lists EndpointSlices through discovery.k8s.io/v1beta1, which Kubernetes 1.35 no longer serves`,
				"leave the tag unset for the default, v3.24.5 (quay.io/calico/typha:v3.24.5 on Kubernetes 1.35), or use a Typha tag from v3.23 to v3.28",
				"; or set Vouch.EndpointSliceV1 to vouch that this Typha image lists EndpointSlices through discovery.k8s.io/v1: the typha plan's in-sync gate proves it"}},
		{name: "vouched: it lists EndpointSlices through v1", opts: base("v1.35.2-aliyun.1", "v3.20.2", render.Vouch{EndpointSliceV1: true}), vouched: "endpointslice-v1"},
		{name: "the guide's tag on 1.24 needs no claim", opts: base("v1.24.6-aliyun.1", "v3.20.2", render.Vouch{EndpointSliceV1: true}),
			warning: "a claim lifts nothing: Typha v3.20.2 on Kubernetes 1.24 needs no vouching that this Typha image lists EndpointSlices through discovery.k8s.io/v1"},
		{name: "v3.29 needs Calico's Tier CRD", opts: base("v1.24.6-aliyun.1", "v3.29.7", render.Vouch{EndpointSliceV1: true}),
			claims: []terway.Claim{terway.ClaimTierCRD}, contains: []string{"creates Calico Tiers", "Vouch.TierCRD", "leave the tag unset for the default, v3.20.2 (registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2 on Kubernetes 1.24)"}},
		{name: "vouched: the cluster has the Tier CRD", opts: base("v1.35.2-aliyun.1", "v3.31.7", render.Vouch{TierCRD: true}), vouched: "tier-crd"},
		{name: "v3.32 has two problems", opts: base("v1.35.2-aliyun.1", "v3.32.1", render.Vouch{TierCRD: true}),
			claims: []terway.Claim{terway.ClaimFelixModernPolicyKeys}, contains: []string{"modern policy keys", "Vouch.FelixModernPolicyKeys"}},
		{name: "v3.32 vouched twice", opts: base("v1.35.2-aliyun.1", "v3.32.1", render.Vouch{TierCRD: true, FelixModernPolicyKeys: true}), vouched: "tier-crd,felix-modern-policy-keys"},
		{name: "the default needs no claim", opts: base("v1.35.2-aliyun.1", "", render.Vouch{FelixModernPolicyKeys: true}),
			warning: "a claim lifts nothing: Typha v3.24.5 on Kubernetes 1.35 needs no vouching that every Felix in this cluster sends modern policy keys"},
		{name: "latest cannot be checked", opts: base("v1.35.2-aliyun.1", "latest", render.Vouch{EndpointSliceV1: true}),
			warning: `a claim lifts nothing: the Typha tag "latest" is not a release the version table can check`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := render.Render(tc.opts)
			if len(tc.claims) > 0 {
				require.Error(t, err)
				var got []terway.Claim
				for _, e := range errs.Flatten(err) {
					var oe *render.OptionError
					require.ErrorAs(t, e, &oe)
					assert.Equal(t, "Tag", oe.Field)
					got = append(got, oe.Vouch)
				}
				assert.Equal(t, tc.claims, got)
				for _, c := range tc.contains {
					assert.Contains(t, err.Error(), c)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.vouched, res.Deployment.Annotations[render.VouchAnnotation])
			for _, o := range res.Objects() {
				if o != res.Deployment {
					assert.NotContains(t, o.GetAnnotations(), render.VouchAnnotation, "only the Deployment records the claims")
				}
			}
			assert.NotContains(t, res.Deployment.Spec.Template.Annotations, render.VouchAnnotation, "a claim does not roll the pods")
			if tc.warning == "" {
				assert.Empty(t, messages(res.Findings))
			} else {
				require.Len(t, messages(res.Findings), 1)
				assert.Contains(t, messages(res.Findings)[0], tc.warning)
			}
		})
	}
	err := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.35", Annotations: map[string]string{render.VouchAnnotation: "endpointslice-v1"}}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Annotations[typharender.github.io/vouch] "endpointslice-v1": is reserved`)
}

// messages returns the messages of render's own warnings among fs (those
// without a rule), in order.
func messages(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Rule == "" {
			out = append(out, f.Message)
		}
	}
	return out
}
