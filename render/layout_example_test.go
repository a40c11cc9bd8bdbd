package render_test

import (
	"fmt"

	"github.com/typharender/typharender/render"
)

// A GitOps directory for one cluster, as typharender render --output-dir
// writes it. A fleet lays every cluster out with one Layout.
func ExampleLayout() {
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var layout render.Layout
	files, err := layout.Files(res.Objects()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f.Name)
	}
	fmt.Print(string(files[len(files)-1].Data))
	// Output:
	// 00-service-calico-typha.yaml
	// 01-deployment-calico-typha.yaml
	// 02-poddisruptionbudget-calico-typha.yaml
	// 03-customresourcedefinition-bgppeers.crd.projectcalico.org.yaml
	// kustomization.yaml
	// apiVersion: kustomize.config.k8s.io/v1beta1
	// kind: Kustomization
	// resources:
	// - 00-service-calico-typha.yaml
	// - 01-deployment-calico-typha.yaml
	// - 02-poddisruptionbudget-calico-typha.yaml
	// - 03-customresourcedefinition-bgppeers.crd.projectcalico.org.yaml
}
