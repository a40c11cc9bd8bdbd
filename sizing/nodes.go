package sizing

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/terway"
)

// MaxNodeListBytes bounds the node list [ReadNodes] reads; a caller checks
// it before reading the input whole. kubectl get nodes -o json prints 4 to
// 6 KiB for a node (a real ACK node with its status, conditions and image
// list; cmd/typharender/testdata/input/nodes-1200.json holds 1,200 such
// nodes in about 6 MiB), and a node that reports its full list of 50
// images can reach 20 KiB. 256 MiB holds 12,000 nodes at 20 KiB, and
// 40,000 at the usual size; a larger cluster can trim the list first with
// jq (typharender render --help shows how). Only names, labels and the
// operating system are kept from each node, so memory stays small however
// long the list.
const MaxNodeListBytes = 256 << 20

// nodeList is what ReadNodes reads of kubectl get nodes -o json (or
// -o yaml): a v1 List or a NodeList of nodes, or one Node.
type nodeList struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Items      []nodeMeta `json:"items"`
	nodeMeta   `json:",inline"`
}

// nodeMeta is the part of a node that decides whether it runs Felix.
type nodeMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Status struct {
		NodeInfo struct {
			OperatingSystem string `json:"operatingSystem"`
		} `json:"nodeInfo"`
	} `json:"status"`
}

func (m *nodeMeta) node() corev1.Node {
	var n corev1.Node
	n.Name = m.Metadata.Name
	n.Labels = m.Metadata.Labels
	n.Status.NodeInfo.OperatingSystem = m.Status.NodeInfo.OperatingSystem
	return n
}

const wantNodes = "want the output of kubectl get nodes -o json (or -o yaml)"

// ReadNodes counts the nodes that run Felix (terway.CountFelixNodes) in
// data, the output of kubectl get nodes -o json or -o yaml: the node count
// Typha is sized for. JSON is decoded as JSON, without the detour through
// YAML, since node lists are large. When no node runs Felix it returns the
// count, so that a caller can say which were left out, and an error.
func ReadNodes(data []byte) (terway.NodeCount, error) {
	var l nodeList
	var err error
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(trimmed, &l)
	} else {
		err = yaml.Unmarshal(data, &l)
	}
	if err != nil {
		return terway.NodeCount{}, fmt.Errorf("is not JSON or YAML: %v: %s", err, wantNodes)
	}
	var items []nodeMeta
	switch {
	case l.Kind == "Node":
		items = []nodeMeta{l.nodeMeta}
	case l.Kind == "List" || l.Kind == "NodeList":
		items = l.Items
	case l.Kind == "":
		return terway.NodeCount{}, fmt.Errorf("has no kind: %s", wantNodes)
	default:
		return terway.NodeCount{}, fmt.Errorf("holds a %s, not nodes: %s", l.Kind, wantNodes)
	}
	if len(items) == 0 {
		return terway.NodeCount{}, fmt.Errorf("holds no nodes: %s against the cluster", wantNodes)
	}
	if len(items) > MaxNodes {
		return terway.NodeCount{}, fmt.Errorf("holds %d nodes, more than the %d typharender sizes for", len(items), MaxNodes)
	}
	nodes := make([]corev1.Node, len(items))
	for i := range items {
		if items[i].Kind != "" && items[i].Kind != "Node" {
			return terway.NodeCount{}, fmt.Errorf("item %d is a %s, not a Node: %s", i, items[i].Kind, wantNodes)
		}
		nodes[i] = items[i].node()
	}
	count := terway.CountFelixNodes(nodes)
	if count.Felix == 0 {
		return count, fmt.Errorf("none of the %s runs Felix (each is left out, as listed above): Typha would serve no one; want the nodes of a cluster where Terway runs Felix", english.Count(count.Total, "node"))
	}
	return count, nil
}
