package values_test

import (
	"fmt"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/values"
)

// A values file, --set expressions and dedicated settings, applied in
// order and checked at once, as typharender render -f and --set apply
// them; errors name the key and where it was set.
func ExampleSources() {
	v, err := values.Sources{
		Files:    []values.File{{Name: "values.yaml", Data: []byte("region: cn-hangzhou\nimage:\n  tag: v3.28.5\n")}},
		Sets:     []string{"metrics.enabled=true"},
		Settings: []values.Setting{{Key: "nodes", Label: "--nodes", Value: "1000"}, {Key: "kubeVersion", Label: "--kube-version", Value: "v1.35.2-aliyun.1"}},
	}.Values()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := render.Render(v.Options())
	if err != nil {
		fmt.Println(v.Explain(err))
		return
	}
	fmt.Println(res.Image)

	v, err = values.Sources{Files: []values.File{{Name: "values.yaml", Data: []byte("region: cn-hangzhou\nnodes: 0\nkubeVersion: v1.35.2-aliyun.1\n")}}}.Values()
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = v.Render()
	fmt.Println(err)
	// Output:
	// quay.io/calico/typha:v3.28.5
	// values.yaml:2: nodes 0 is out of range: want the cluster's node count, 1 to 100000
}

// The cluster's node count and version from kubectl's output.
func ExampleFromKubectl() {
	settings, notes, err := values.FromKubectl(
		&values.File{Name: "nodes.json", Data: []byte(`{"kind": "NodeList", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}`)},
		&values.File{Name: "version.json", Data: []byte(`{"serverVersion": {"gitVersion": "v1.35.2-aliyun.1"}}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range notes {
		fmt.Println(n)
	}
	for _, s := range settings {
		fmt.Printf("%s=%s\n", s.Key, s.Value)
	}
	// Output:
	// nodes.json: 2 nodes, 2 run Felix and are counted
	// version.json: serverVersion.gitVersion v1.35.2-aliyun.1
	// nodes=2
	// kubeVersion=v1.35.2-aliyun.1
}

// Some of the cluster's facts, checked as render checks them, such as
// lint's --nodes and --region: each bad one with render's message.
func ExampleCheckPartial() {
	_, err := values.CheckPartial([]values.Setting{{Key: "region", Label: "--region", Value: "cn-shangai"}, {Key: "nodes", Label: "--nodes", Value: "-1"}})
	fmt.Println(err)
	// Output:
	// --nodes: nodes -1 is out of range: want the cluster's node count, 1 to 100000
	// --region: region "cn-shangai" is not a known Alibaba Cloud region ID, but one edit from cn-shanghai: a typo names a region, and a registry host (registry-vpc.cn-shangai.aliyuncs.com), that do not exist; a new region this close to a known one is refused until typharender knows it; did you mean cn-shanghai?
}
