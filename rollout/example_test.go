package rollout_test

import (
	"fmt"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
)

func ExamplePlan() {
	plan, err := rollout.Plan(rollout.Options{
		Mode:          render.ModeTypha,
		Cluster:       render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"},
		RenderCommand: "typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Summary)
	for i, step := range plan.Steps {
		fmt.Printf("%d. %s\n", i+1, step.Title)
		for _, c := range step.Commands {
			fmt.Println("   " + c)
		}
	}
	// Output:
	// deploy Typha (5 replicas for 1000 nodes, Kubernetes 1.30) and relay Felix through it
	// 1. Check that Terway is up to date
	//    kubectl -n kube-system get ds terway-eniip -o jsonpath='{.spec.template.spec.containers[*].image}{"\n"}'
	// 2. Save the Typha manifests
	//    typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1 > calico-typha.yaml
	// 3. Allow Typha's port 5473 only from the cluster's nodes
	//    aliyun ecs DescribeSecurityGroupAttribute --RegionId cn-hangzhou --SecurityGroupId SG_ID --Direction ingress
	//    aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId SG_ID --IpProtocol tcp --PortRange 5473/5473 --SourceGroupId SG_ID --Policy accept --Description typha
	// 4. Apply the manifests
	//    kubectl apply --dry-run=server -f calico-typha.yaml
	//    kubectl diff -f calico-typha.yaml
	//    kubectl apply -f calico-typha.yaml
	// 5. Wait for Typha
	//    kubectl -n kube-system rollout status deploy/calico-typha --timeout=5m
	//    kubectl get pods -l k8s-app=calico-typha -n kube-system
	// 6. Back up eni-config
	//    kubectl -n kube-system get cm eni-config -o yaml > eni-config.backup.yaml
	// 7. Point Terway's Felix at Typha
	//    kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":"calico-typha"}}'
	// 8. Restart Terway
	//    kubectl -n kube-system rollout restart ds/terway-eniip
	//    kubectl -n kube-system rollout status ds/terway-eniip
	// 9. Verify
	//    kubectl -n kube-system get cm eni-config -o jsonpath='{.data.felix_relay_service}{"\n"}'
	//    kubectl get pods -l k8s-app=calico-typha -n kube-system
	//    kubectl -n kube-system exec ds/terway-eniip -c policy -- env | grep -E '^(FELIX_TYPHAK8SSERVICENAME|DISABLE_POLICY)='
	//    kubectl -n kube-system logs ds/terway-eniip -c policy | grep -i typha
	// 10. Check that Typha can list EndpointSlices
	//    kubectl -n kube-system logs -l k8s-app=calico-typha --prefix --since=5m --tail=-1 | grep -c 'Unable to list K8s EndpointSlice resources'
}

func ExamplePlan_disablePolicy() {
	plan, err := rollout.Plan(rollout.Options{Mode: render.ModeDisablePolicy, TerwayDaemonSet: "terway-eni"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Summary)
	for i, step := range plan.Steps {
		fmt.Printf("%d. %s\n", i+1, step.Title)
		for _, c := range step.Commands {
			fmt.Println("   " + c)
		}
	}
	// Output:
	// disable NetworkPolicy: Terway stops running Felix against the API server
	// 1. Back up eni-config
	//    kubectl -n kube-system get cm eni-config -o yaml > eni-config.backup.yaml
	// 2. Turn NetworkPolicy off
	//    kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"disable_network_policy":"true"}}'
	// 3. Restart Terway
	//    kubectl -n kube-system rollout restart ds/terway-eni
	//    kubectl -n kube-system rollout status ds/terway-eni
	// 4. Verify
	//    kubectl -n kube-system get cm eni-config -o jsonpath='{.data.disable_network_policy}{"\n"}'
}

func ExampleRollback() {
	plan, err := rollout.Rollback(rollout.RollbackOptions{From: render.ModeTypha})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Summary)
	for i, step := range plan.Steps {
		fmt.Printf("%d. %s\n", i+1, step.Title)
		for _, c := range step.Commands {
			fmt.Println("   " + c)
		}
	}
	// Output:
	// roll back Typha: Felix watches the API server again, then Typha is deleted
	// 1. Back up eni-config as it is now
	//    kubectl -n kube-system get cm eni-config -o yaml > eni-config.before-rollback.yaml
	// 2. Stop relaying Felix through Typha
	//    kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":null}}'
	// 3. Restart Terway
	//    kubectl -n kube-system rollout restart ds/terway-eniip
	//    kubectl -n kube-system rollout status ds/terway-eniip
	// 4. Verify that Felix runs without Typha
	//    kubectl -n kube-system get cm eni-config -o jsonpath='{.data.felix_relay_service}{"\n"}'
	//    kubectl -n kube-system get ds terway-eniip
	//    kubectl -n kube-system exec ds/terway-eniip -c policy -- env | grep -E '^(FELIX_TYPHAK8SSERVICENAME|DISABLE_POLICY)='
	// 5. Delete Typha
	//    kubectl -n kube-system delete deployment,serviceaccount,configmap,role,rolebinding calico-typha-autoscaler --ignore-not-found
	//    kubectl delete clusterrole,clusterrolebinding calico-typha-autoscaler --ignore-not-found
	//    kubectl -n kube-system delete deployment,service,poddisruptionbudget calico-typha
}
