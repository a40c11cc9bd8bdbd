package lint_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
)

func ExampleLint() {
	manifest := `apiVersion: v1
kind: ConfigMap
metadata:
  name: eni-config
  namespace: kube-system
data:
  disable_network_policy: "False"
`
	objs, err := lint.Read("eni-config.yaml", strings.NewReader(manifest))
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := lint.Lint(objs, lint.Facts{Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Println(f.File, f.Line, f.Severity, f.Rule)
	}
	fmt.Println(report.Summary())
	fmt.Println("fails at error:", report.Fails(lint.Error))
	// Output:
	// eni-config.yaml 7 error eni-policy-value
	// 1 error, 0 warnings, 0 info in 1 object
	// fails at error: true
}

func ExampleLint_skipped() {
	objs, _ := lint.Parse("pdb.yaml", []byte("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: calico-typha}\n"))
	report, _ := lint.Lint(objs, lint.Facts{})
	fmt.Println(len(report.Findings), "findings")
	for _, s := range report.Skipped {
		fmt.Println("skipped", s.Rule)
	}
	// Output:
	// 0 findings
	// skipped pdb-api-not-served
	// skipped pdb-api-deprecated
	// skipped typha-replicas-below-recommended
	// skipped typha-replicas-not-below-nodes
	// skipped image-region-mismatch
	// skipped typha-endpointslice-api
	// skipped image-region-public-endpoint
	// skipped pdb-selector-mismatch
}

func ExampleParse_error() {
	_, err := lint.Parse("values.yaml", []byte("replicaCount: 3\n"))
	fmt.Println(err)
	// Output:
	// values.yaml:1: document 1 is not a Kubernetes object: it has no apiVersion or no kind (a Helm values file or a kustomize patch cannot be linted; lint the rendered manifests)
}

func ExampleWrite() {
	objs, _ := lint.Parse("pdb.yaml", []byte("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: calico-typha, namespace: kube-system}\n"))
	report, _ := lint.Lint(objs, lint.Facts{KubeVersion: "v1.20.11-aliyun.1"})
	_ = lint.Write(os.Stdout, lint.FormatGitHub, report)
	// Output:
	// ::error file=pdb.yaml,line=1,title=pdb-api-not-served::PodDisruptionBudget kube-system/calico-typha: apiVersion policy/v1 is not served by Kubernetes 1.20 (v1.20.11-aliyun.1), only by 1.21 and later: kubectl apply fails with no matches for kind PodDisruptionBudget; set apiVersion: policy/v1beta1
}

// Lint the objects render builds, before they are encoded: the door for a
// caller that renders and checks in one step.
func ExampleFromObjects() {
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 3, KubeVersion: "v1.30.7-aliyun.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var objs []any
	for _, o := range res.Objects() {
		objs = append(objs, o)
	}
	linted, err := lint.FromObjects("rendered", objs...)
	if err != nil {
		fmt.Println(err)
		return
	}
	report, _ := lint.Lint(linted, lint.Facts{Nodes: 3, KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou", Terway: true})
	for _, f := range report.Findings {
		fmt.Println(f.Severity, f.Rule, f.Object)
	}
	// Output:
	// info typha-relay-not-configured Deployment kube-system/calico-typha
	// error typha-replicas-not-below-nodes Deployment kube-system/calico-typha
}
