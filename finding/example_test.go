package finding_test

import (
	"fmt"

	"github.com/typharender/typharender/finding"
)

// One finding, as each command prints it.
func ExampleFinding() {
	f := finding.Finding{
		Rule: "typha-image-tag-not-release", Severity: finding.Warning, Cluster: "staging",
		Object: finding.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "kube-system", Name: "calico-typha"},
		Field:  "spec.template.spec.containers[0].image",
		File:   "fleet/staging/01-deployment-calico-typha.yaml", Line: 40,
		Message: "Deployment kube-system/calico-typha: the image tag is latest",
	}
	fmt.Println(f.Warning()) // render, plan and eni-config, on stderr
	fmt.Println(f)           // lint -o text
	fmt.Println(finding.Fails([]finding.Finding{f}, finding.Error), finding.Fails([]finding.Finding{f}, finding.Warning))
	// Output:
	// Warning: cluster staging: [typha-image-tag-not-release] Deployment kube-system/calico-typha: the image tag is latest
	// fleet/staging/01-deployment-calico-typha.yaml:40: warning [typha-image-tag-not-release] cluster staging: Deployment kube-system/calico-typha: the image tag is latest
	// false true
}
