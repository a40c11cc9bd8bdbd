package lint_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
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
	fmt.Println("fails at error:", report.Fails(finding.Error))
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

// Check one cluster fact as lint checks it, for facts read from a file of
// one's own.
func ExampleCheckFact() {
	fmt.Println(lint.CheckFact(rules.FactNodes, "0"))
	fmt.Println(lint.CheckFact(rules.FactKubeVersion, "v1.30.7-aliyun.1"))
	// Output:
	// node count 0 is out of range: want a whole number from 1 to 100000
	// <nil>
}
