package sizing

import (
	"errors"
	"fmt"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/terway"
)

const (
	// MinReplicas is the fewest Typha replicas the guide deploys.
	MinReplicas = 3
	// NodesPerReplica is how many nodes one Typha replica serves.
	NodesPerReplica = 200
	// RecommendAbove is the node count above which the guide recommends
	// Typha.
	RecommendAbove = 100
	// MinNodes is the smallest node count accepted.
	MinNodes = 1
	// MaxNodes is the largest node count accepted. ACK's documented
	// cluster limits are far below it; a larger number is a typo.
	MaxNodes = 100_000
)

// ErrNodes is wrapped by every [NodesError].
var ErrNodes = errors.New("node count out of range")

// NodesError reports a node count outside [MinNodes, MaxNodes].
type NodesError struct {
	Nodes int // the value given
}

func (e *NodesError) Error() string {
	return fmt.Sprintf("node count %d is out of range: want a whole number from %d to %d", e.Nodes, MinNodes, MaxNodes)
}

// Unwrap returns [ErrNodes].
func (e *NodesError) Unwrap() error { return ErrNodes }

// CheckNodes returns a [NodesError] when nodes is out of range.
func CheckNodes(nodes int) error {
	if nodes < MinNodes || nodes > MaxNodes {
		return &NodesError{Nodes: nodes}
	}
	return nil
}

func replicas(nodes int) int {
	return max(MinReplicas, (nodes+NodesPerReplica-1)/NodesPerReplica)
}

// Advice is what typharender says about a node count and a replica count.
type Advice struct {
	Nodes       int      // the cluster's node count
	Replicas    int      // the replica count in use: the recommendation or an override
	Recommended int      // the recommended replica count, max(3, ceil(nodes/200))
	Override    bool     // Replicas was given, not computed
	UseTypha    bool     // Typha is recommended: more than 100 nodes
	Warnings    []string // what a person should know before applying
	Reason      string   // one line on how Replicas was reached
	Load        Load     // API server watch clients with and without Typha
}

// Load is a simple model of what Typha saves the API server: without it,
// every node's Felix watches the API server; with it, only the Typha
// replicas do, and each Felix connects to one replica. Typha rebalances
// connections, so each replica serves about nodes/replicas Felixes.
type Load struct {
	WatchersWithoutTypha int // Felix agents watching the API server: one per node
	WatchersWithTypha    int // Typha replicas watching the API server
	FelixPerTypha        int // Felix connections per replica, rounded up
}

// Advise returns the advice for a cluster of nodes with the recommended
// replica count.
func Advise(nodes int) (Advice, error) {
	return AdviseReplicas(nodes, 0)
}

// AdviseReplicas returns the advice for a cluster of nodes running
// replicas Typha pods; replicas 0 means the recommendation. It warns when
// Typha is not recommended, when replicas is below the recommendation, and
// when replicas is not below the node count.
func AdviseReplicas(nodes, replicas int) (Advice, error) {
	if err := CheckNodes(nodes); err != nil {
		return Advice{}, err
	}
	if replicas < 0 {
		return Advice{}, fmt.Errorf("replica count %d is negative: want 0 for the recommendation, or a count of 1 or more", replicas)
	}
	a := Advice{Nodes: nodes, Recommended: Recommend(nodes), UseTypha: nodes > RecommendAbove}
	a.Replicas = a.Recommended
	a.Reason = fmt.Sprintf("%s -> %s: one per %d nodes, at least %d", english.Count(nodes, "node"), english.Count(a.Recommended, "replica"), NodesPerReplica, MinReplicas)
	if replicas != 0 {
		a.Replicas, a.Override = replicas, true
		a.Reason = fmt.Sprintf("%s -> %s, as set (recommended: %d, one per %d nodes, at least %d)", english.Count(nodes, "node"), english.Count(replicas, "replica"), a.Recommended, NodesPerReplica, MinReplicas)
	}
	if !a.UseTypha {
		a.Warnings = append(a.Warnings, fmt.Sprintf("Typha is recommended above %d nodes; with %s each Felix can watch the API server directly", RecommendAbove, english.Count(nodes, "node")))
	}
	if a.Replicas < a.Recommended {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s is below the recommended %d for %s (one per %d nodes, at least %d)", english.Count(a.Replicas, "replica"), a.Recommended, english.Count(nodes, "node"), NodesPerReplica, MinReplicas))
	}
	if TooManyReplicas(nodes, a.Replicas) {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s for %s: Typha binds host port %d, so each node runs at most one replica; keep replicas below the node count or rolling updates stall", english.Count(a.Replicas, "replica"), english.Count(nodes, "node"), terway.TyphaPort))
	}
	a.Load = loadFor(nodes, a.Replicas)
	return a, nil
}

func loadFor(nodes, replicas int) Load {
	return Load{WatchersWithoutTypha: nodes, WatchersWithTypha: replicas, FelixPerTypha: (nodes + replicas - 1) / replicas}
}

// Recommend returns max(3, ceil(nodes/200)) without range checks; callers
// that have not validated nodes should use [Advise].
func Recommend(nodes int) int { return replicas(max(nodes, 0)) }

// TooManyReplicas reports whether replicas is not below nodes: with one
// Typha per node, a rolling update then has no free node to start on.
func TooManyReplicas(nodes, replicas int) bool { return replicas >= nodes }
