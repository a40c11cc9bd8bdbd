package sizing_test

import (
	"fmt"

	"github.com/typharender/typharender/sizing"
)

func ExampleAdvise() {
	a, err := sizing.Advise(800)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Reason)
	fmt.Println("use Typha:", a.UseTypha)
	fmt.Println("warnings:", len(a.Warnings))
	fmt.Printf("API server watchers: %d without Typha, %d with; %d Felix per replica\n",
		a.Load.WatchersWithoutTypha, a.Load.WatchersWithTypha, a.Load.FelixPerTypha)
	// Output:
	// 800 nodes -> 4 replicas: one per 200 nodes, at least 3
	// use Typha: true
	// warnings: 0
	// API server watchers: 800 without Typha, 4 with; 200 Felix per replica
}

func ExampleAdviseReplicas() {
	a, _ := sizing.AdviseReplicas(3, 0)
	for _, w := range a.Warnings {
		fmt.Println(w)
	}
	// Output:
	// Typha is recommended above 100 nodes; with 3 nodes each Felix can watch the API server directly
	// 3 replicas for 3 nodes: Typha binds host port 5473, so each node runs at most one replica; keep replicas below the node count or rolling updates stall
}
