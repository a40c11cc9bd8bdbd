package render_test

import (
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/render"
)

func ExampleRender() {
	res, err := render.Render(render.Options{
		Region:      "cn-hangzhou",
		Nodes:       1000,
		KubeVersion: "v1.20.11-aliyun.1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Advice.Reason)
	fmt.Println(res.Image)
	for _, obj := range res.Objects() {
		gvk := obj.GetObjectKind().GroupVersionKind()
		fmt.Println(gvk.GroupVersion(), gvk.Kind, obj.GetName())
	}
	// Output:
	// 1000 nodes -> 5 replicas: one per 200 nodes, at least 3
	// registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2
	// v1 Service calico-typha
	// apps/v1 Deployment calico-typha
	// policy/v1beta1 PodDisruptionBudget calico-typha
	// apiextensions.k8s.io/v1 CustomResourceDefinition bgppeers.crd.projectcalico.org
}

func ExampleRender_invalid() {
	_, err := render.Render(render.Options{Region: "cn-hangzhou.evil.example/x", Nodes: 1000, KubeVersion: "v1.15.12"})
	fmt.Println(err)
	// Output:
	// Region "cn-hangzhou.evil.example/x": is not a region ID: want lowercase letters, digits and dashes, such as cn-hangzhou, ap-southeast-1 or cn-shanghai-finance-1 (dots, slashes, colons, upper case and spaces would change the image host)
	// KubeVersion "v1.15.12": is older than 1.16: supported versions are 1.16 and later, where apiextensions.k8s.io/v1 serves the CustomResourceDefinition
}

func ExampleEncodeYAML() {
	res, _ := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 600, KubeVersion: "v1.30.7-aliyun.1"})
	_ = render.EncodeYAML(os.Stdout, res.Service)
	// Output:
	// apiVersion: v1
	// kind: Service
	// metadata:
	//   labels:
	//     k8s-app: calico-typha
	//   name: calico-typha
	//   namespace: kube-system
	// spec:
	//   ports:
	//   - name: calico-typha
	//     port: 5473
	//     protocol: TCP
	//     targetPort: calico-typha
	//   selector:
	//     k8s-app: calico-typha
}

func ExampleEditENIConfig() {
	current := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "eni-config", Namespace: "kube-system"},
		Data: map[string]string{
			"eni_conf":               `{"version":"1","vswitches":{"cn-hangzhou-h":["vsw-1"]}}`,
			"disable_network_policy": "false",
		},
	}
	edit, err := render.EditENIConfig(current, render.ModeTypha)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range edit.Changes {
		fmt.Printf("%s: %q -> %q\n", c.Key, c.Before, c.After)
	}
	fmt.Println(string(edit.MergePatch()))
	// Output:
	// felix_relay_service: "" -> "calico-typha"
	// {"data":{"felix_relay_service":"calico-typha"}}
}

// What render finds in its own output: its own warnings first (no rule),
// then what lint's rules say, each about an object and a field.
func ExampleResult_findings() {
	res, err := render.Render(render.Options{
		Region: "cn-hangzhou", Nodes: 50, KubeVersion: "v1.35.2-aliyun.1", Tag: "latest",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Printf("%s [%s] %s %s\n", f.Severity, f.Rule, f.Object, f.Field)
	}
	// Output:
	// warning [] Deployment kube-system/calico-typha spec.replicas
	// warning [typha-image-tag-not-release] Deployment kube-system/calico-typha spec.template.spec.containers[0].image
}

// The eni-config as kubectl printed it, checked beside the rendering.
func ExampleReadENIConfig() {
	cm, err := render.ReadENIConfig("eni-config.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: eni-config, namespace: kube-system}
data:
  felix_relay_service: calico-typa
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.35.2-aliyun.1", ENIConfig: cm})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Println(f.Rule, f.Object, f.Field)
	}
	// Output:
	// eni-relay-service-missing ConfigMap kube-system/eni-config data.felix_relay_service
}
