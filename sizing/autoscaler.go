package sizing

// LinearParams are cluster-proportional-autoscaler's linear parameters,
// as its ConfigMap's linear key holds them (JSON).
type LinearParams struct {
	CoresPerReplica           float64 `json:"coresPerReplica,omitempty"`
	NodesPerReplica           float64 `json:"nodesPerReplica,omitempty"`
	Min                       int     `json:"min,omitempty"`
	Max                       int     `json:"max,omitempty"`
	PreventSinglePointFailure bool    `json:"preventSinglePointFailure,omitempty"`
	IncludeUnschedulableNodes bool    `json:"includeUnschedulableNodes,omitempty"`
}

// TyphaLinearParams returns the parameters that reproduce the guide's
// max(3, ceil(nodes/200)): one replica per 200 nodes, at least 3, no
// maximum. preventSinglePointFailure is set although min 3 already keeps
// two or more replicas. Unschedulable (cordoned) nodes are counted: a
// cordoned node keeps its Terway pod, so its Felix still holds a Typha
// connection, and a node pool upgrade that cordons many nodes at once
// should not shrink Typha while the Felix count stays the same.
func TyphaLinearParams() LinearParams {
	return LinearParams{
		NodesPerReplica:           NodesPerReplica,
		Min:                       MinReplicas,
		PreventSinglePointFailure: true,
		IncludeUnschedulableNodes: true,
	}
}
