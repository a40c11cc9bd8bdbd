package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
)

// nodesFixture is a 1,200-node ACK cluster as kubectl get nodes -o json
// prints it, written by TestNodesFixture.
var nodesFixture = filepath.Join("testdata", "input", "nodes-1200.json")

// The fixture's composition: 1,000 nodes run Felix, so Typha needs 5
// replicas where a count of every node (1,200) would give 6.
const (
	fixtureZones        = 3   // cn-hangzhou-h, -i, -j: one virtual node each
	fixtureExclusiveENI = 195 // a node pool in exclusive-ENI mode
	fixtureWindows      = 2   // Windows nodes: Terway runs no Felix there
	fixtureFelix        = 1000
	fixtureTotal        = fixtureFelix + fixtureZones + fixtureExclusiveENI + fixtureWindows
)

// ackNode returns an ECS node of an ACK cluster as the API server returns
// it. Its labels and naming follow a real ACK node's, as Alibaba Cloud's
// EDAS API documents one (github.com/alibabacloud-go/edas-20170801,
// DescribeAppInstanceList, the NodeLabels and NodeName examples:
// alibabacloud.com/nodepool-id, the instance type, region and zone labels
// in both their topology.kubernetes.io and failure-domain.beta forms,
// topology.diskplugin.csi.alibabacloud.com/zone, and the name
// <region>.<private IP>); the status is a kubelet's on Alibaba Cloud Linux.
func ackNode(i int, pool, zone string) corev1.Node {
	ip := fmt.Sprintf("192.168.%d.%d", 16+i/250, 10+i%250)
	name := "cn-hangzhou." + ip
	instance := fmt.Sprintf("i-bp1%014x", 0x3f2a9c0000+i*7919)
	labels := map[string]string{
		"alibabacloud.com/nodepool-id":                  pool,
		"beta.kubernetes.io/arch":                       "amd64",
		"beta.kubernetes.io/instance-type":              "ecs.g7.2xlarge",
		"beta.kubernetes.io/os":                         "linux",
		"failure-domain.beta.kubernetes.io/region":      "cn-hangzhou",
		"failure-domain.beta.kubernetes.io/zone":        zone,
		"kubernetes.io/arch":                            "amd64",
		"kubernetes.io/hostname":                        name,
		"kubernetes.io/os":                              "linux",
		"node.kubernetes.io/instance-type":              "ecs.g7.2xlarge",
		"topology.diskplugin.csi.alibabacloud.com/zone": zone,
		"topology.kubernetes.io/region":                 "cn-hangzhou",
		"topology.kubernetes.io/zone":                   zone,
	}
	ready := metav1.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	return corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Labels:            labels,
			Annotations:       map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
			UID:               types.UID("6c1f0f4e-0000-4000-8000-" + fmt.Sprintf("%012x", i)),
			ResourceVersion:   fmt.Sprint(912345678 + i),
			CreationTimestamp: metav1.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC).Rfc3339Copy(),
		},
		Spec: corev1.NodeSpec{PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256), ProviderID: "cn-hangzhou." + instance},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("7910m"), corev1.ResourceEphemeralStorage: resource.MustParse("113783349Ki"),
				corev1.ResourceMemory: resource.MustParse("28230236Ki"), corev1.ResourcePods: resource.MustParse("64"),
			},
			Capacity: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceEphemeralStorage: resource.MustParse("123722704Ki"),
				corev1.ResourceMemory: resource.MustParse("31708764Ki"), corev1.ResourcePods: resource.MustParse("64"),
			},
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available", LastHeartbeatTime: ready, LastTransitionTime: ready},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure", LastHeartbeatTime: ready, LastTransitionTime: ready},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available", LastHeartbeatTime: ready, LastTransitionTime: ready},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: ready, LastTransitionTime: ready},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			Images: []corev1.ContainerImage{
				{Names: []string{"registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway@sha256:" + strings.Repeat("4e", 32), "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.9.4"}, SizeBytes: 98765432},
				{Names: []string{"registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/pause:3.9"}, SizeBytes: 321412},
			},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID: fmt.Sprintf("%032x", 0xa1b2c3d4+i), SystemUUID: fmt.Sprintf("%08x-0000-4000-8000-%012x", 0xa1b2c3d4+i, i), BootID: fmt.Sprintf("%08x-1111-4111-8111-%012x", i, i),
				KernelVersion: "5.10.134-18.al8.x86_64", OSImage: "Alibaba Cloud Linux 3.2104 U11 (OpenAnolis Edition)",
				ContainerRuntimeVersion: "containerd://1.6.36", KubeletVersion: "v1.30.7-aliyun.1", KubeProxyVersion: "v1.30.7-aliyun.1",
				OperatingSystem: "linux", Architecture: "amd64",
			},
		},
	}
}

// fixtureNodes returns the fixture's nodes: shared-ENI ECS nodes in three
// zones, one ACK virtual node per zone (ECI: labelled type=virtual-kubelet,
// tainted, Linux), an exclusive-ENI node pool
// (k8s.aliyun.com/exclusive-mode-eni-type=eniOnly) and two Windows nodes.
func fixtureNodes() []corev1.Node {
	zones := []string{"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}
	var nodes []corev1.Node
	i := 0
	for ; i < fixtureFelix; i++ {
		nodes = append(nodes, ackNode(i, "np5a1c2e3b4d5f6a7b8c9d0e1f2a3b4c5d", zones[i%len(zones)]))
	}
	for j := range fixtureExclusiveENI {
		n := ackNode(i, "np9f8e7d6c5b4a39281706f5e4d3c2b1a0", zones[j%len(zones)])
		n.Labels[terway.LabelExclusiveENI] = terway.ExclusiveENIOnly
		n.Labels["node.kubernetes.io/instance-type"] = "ecs.ebmg7.32xlarge"
		n.Labels["beta.kubernetes.io/instance-type"] = "ecs.ebmg7.32xlarge"
		nodes = append(nodes, n)
		i++
	}
	for j := range fixtureWindows {
		n := ackNode(i, "np0w1n2d3o4w5s6a7b8c9d0e1f2a3b4c5", zones[j%len(zones)])
		n.Labels["kubernetes.io/os"], n.Labels["beta.kubernetes.io/os"] = "windows", "windows"
		n.Status.NodeInfo.OperatingSystem = "windows"
		n.Status.NodeInfo.OSImage = "Windows Server 2022 Datacenter"
		n.Status.NodeInfo.KernelVersion = "10.0.20348.2340"
		nodes = append(nodes, n)
		i++
	}
	for _, zone := range zones {
		name := "virtual-kubelet-" + zone
		nodes = append(nodes, corev1.Node{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					"alibabacloud.com/virtual-node": "true", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
					"kubernetes.io/role": "agent", "topology.kubernetes.io/region": "cn-hangzhou", "topology.kubernetes.io/zone": zone,
					"type": "virtual-kubelet",
				},
				ResourceVersion:   fmt.Sprint(912300000 + len(nodes)),
				CreationTimestamp: metav1.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC).Rfc3339Copy(),
			},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "virtual-kubelet.io/provider", Value: "alibabacloud", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{
				Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50k"), corev1.ResourceMemory: resource.MustParse("200Ti"), corev1.ResourcePods: resource.MustParse("20k")},
				Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50k"), corev1.ResourceMemory: resource.MustParse("200Ti"), corev1.ResourcePods: resource.MustParse("20k")},
				NodeInfo:    corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "v1.30.7-aliyun.1"},
			},
		})
	}
	return nodes
}

// TestNodesFixture writes (with -update) and checks the committed fixture:
// the nodes as kubectl get nodes -o json prints them, a v1 List with keys
// in sorted order and four-space indentation.
func TestNodesFixture(t *testing.T) {
	t.Parallel()
	var items []any
	for _, n := range fixtureNodes() {
		// Through a map, so that keys come out sorted as kubectl prints them.
		raw, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		delete(m["metadata"].(map[string]any), "creationTimestamp")
		m["metadata"].(map[string]any)["creationTimestamp"] = "2026-10-01T08:00:00Z"
		items = append(items, m)
	}
	out, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]any{"resourceVersion": ""}}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, nodesFixture, append(out, '\n'))

	// What the fixture must yield, independent of the CLI.
	c, err := sizing.ReadNodes(mustRead(t, nodesFixture))
	if err != nil {
		t.Fatal(err)
	}
	if c.Total != fixtureTotal || c.Felix != fixtureFelix || len(c.Skipped) != fixtureTotal-fixtureFelix {
		t.Errorf("count %d total, %d Felix, %d skipped; want %d, %d, %d", c.Total, c.Felix, len(c.Skipped), fixtureTotal, fixtureFelix, fixtureTotal-fixtureFelix)
	}
	reasons := map[string]int{}
	for _, s := range c.Skipped {
		reasons[s.Reason]++
	}
	if reasons[terway.SkipVirtual] != fixtureZones || reasons[terway.SkipExclusiveENI] != fixtureExclusiveENI || reasons[terway.SkipNotLinux] != fixtureWindows {
		t.Errorf("reasons %v", reasons)
	}
	if got, all := sizing.Recommend(c.Felix), sizing.Recommend(c.Total); got != 5 || all != 6 {
		t.Errorf("replicas %d for the Felix nodes, %d for all; want 5 and 6", got, all)
	}
}
