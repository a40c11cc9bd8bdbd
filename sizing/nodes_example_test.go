package sizing_test

import (
	"fmt"

	"github.com/typharender/typharender/sizing"
)

// Count the nodes that run Felix in kubectl get nodes -o json, and size
// Typha for them.
func ExampleReadNodes() {
	count, err := sizing.ReadNodes([]byte(`{"kind": "List", "items": [
		{"metadata": {"name": "node-1", "labels": {"kubernetes.io/os": "linux"}}},
		{"metadata": {"name": "node-2", "labels": {"kubernetes.io/os": "linux"}}},
		{"metadata": {"name": "vk-1", "labels": {"type": "virtual-kubelet"}}}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range count.Lines("nodes.json") {
		fmt.Println(line)
	}
	a, _ := sizing.Advise(count.Felix)
	fmt.Println(a.Reason)
	// Output:
	// nodes.json: 3 nodes, 2 run Felix and are counted
	//   left out 1, a virtual node (type=virtual-kubelet): no Terway, no Felix: vk-1
	// 2 nodes -> 3 replicas: one per 200 nodes, at least 3
}
