package rules_test

import (
	"fmt"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
	"k8s.io/apimachinery/pkg/runtime"
)

// Check the objects render builds as they are, with no encoding: what
// render.Render does itself, here with every finding, info included.
func ExampleFromTyped() {
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 3, KubeVersion: "v1.30.7-aliyun.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var objs []runtime.Object
	for _, o := range res.Objects() {
		objs = append(objs, o)
	}
	model, err := rules.FromTyped(objs...)
	if err != nil {
		fmt.Println(err)
		return
	}
	findings, _ := rules.Run(model, rules.Facts{Nodes: 3, KubeVersion: res.Version, Region: "cn-hangzhou", Terway: true})
	for _, f := range findings {
		fmt.Println(f.Severity, f.Rule, f.Object)
	}
	// Output:
	// info typha-relay-not-configured Deployment kube-system/calico-typha
	// error typha-replicas-not-below-nodes Deployment kube-system/calico-typha
}
