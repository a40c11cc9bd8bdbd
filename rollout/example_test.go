package rollout_test

import (
	"fmt"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
)

func ExamplePlan() {
	plan, err := rollout.Plan(rollout.Options{
		Mode:          render.ModeTypha,
		Cluster:       render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.35.2-aliyun.1"},
		RenderCommand: "typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.35.2-aliyun.1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Summary)
	for i, step := range plan.Steps {
		switch {
		case step.Gate != nil && step.Gate.UndoFrom > 0:
			fmt.Printf("%d. %s [gate %s; on STOP undo from %d]\n", i+1, step.Title, step.Gate.Name, step.Gate.UndoFrom)
		case step.Gate != nil:
			fmt.Printf("%d. %s [gate %s]\n", i+1, step.Title, step.Gate.Name)
		default:
			fmt.Printf("%d. %s\n", i+1, step.Title)
		}
	}
	// Output:
	// deploy Typha (5 replicas for 1000 nodes, Kubernetes 1.35) and relay Felix through it
	// 1. Pre-flight: Terway passes felix_relay_service to Felix [gate terway-version]
	// 2. Pre-flight: Felix enforces NetworkPolicy [gate felix-engine]
	// 3. Pre-flight: the cluster can pull the Typha image [gate image-pull]
	// 4. Save the Typha manifests
	// 5. Allow Typha's port 5473 only from the cluster's nodes
	// 6. Apply the manifests
	// 7. Wait for Typha, and check that every pod is in sync [gate typha-in-sync; on STOP undo from 17]
	// 8. Back up eni-config
	// 9. Point Terway's Felix at Typha
	// 10. Canary: restart one Terway pod, and check that its Felix syncs through Typha [gate canary; on STOP undo from 13]
	// 11. Restart the rest of Terway
	// 12. Check the rollout: every Felix uses Typha, nothing is stuck [gate rollout-complete; on STOP undo from 13]
	// 13. Undo: Back up eni-config as it is now
	// 14. Undo: Stop relaying Felix through Typha
	// 15. Undo: Restart Terway
	// 16. Undo: Verify that Felix runs without Typha [gate felix-without-typha]
	// 17. Undo: Delete Typha
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
		if step.Gate != nil {
			fmt.Printf("   (gate %s: a bash script that prints OK: or STOP:)\n", step.Gate.Name)
			continue
		}
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
	//    (gate felix-without-typha: a bash script that prints OK: or STOP:)
	// 5. Delete Typha
	//    kubectl -n kube-system delete deployment,serviceaccount,configmap,role,rolebinding calico-typha-autoscaler --ignore-not-found
	//    kubectl delete clusterrole,clusterrolebinding calico-typha-autoscaler --ignore-not-found
	//    kubectl -n kube-system delete deployment,service,poddisruptionbudget calico-typha
}
