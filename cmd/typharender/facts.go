package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// maxNodesBytes bounds --nodes-from, checked before the input is parsed.
// kubectl get nodes -o json prints 4 to 6 KiB for a node (a real ACK node
// with its status, conditions and image list; testdata/input/nodes-1200.json
// holds 1,200 such nodes in about 6 MiB), and a node that reports its full
// list of 50 images can reach 20 KiB. 256 MiB holds 12,000 nodes at
// 20 KiB, and 40,000 at the usual size; a larger cluster can trim the
// list first with jq, as render --help shows.
// Only names, labels and the operating system are kept from each node, so
// memory stays small however long the list.
const maxNodesBytes = 256 << 20

// maxKubeVersionBytes bounds --kube-version-from: kubectl version -o json
// prints under 1 KiB.
const maxKubeVersionBytes = 64 << 10

// maxNamesShown is how many node names the report lists per reason.
const maxNamesShown = 5

// nodeList is what typharender reads of kubectl get nodes -o json (or
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

// parseNodes reads the nodes in data, the output of kubectl get nodes
// -o json or -o yaml. JSON is decoded as JSON, without the detour through
// YAML, since node lists are large.
func parseNodes(data []byte) ([]corev1.Node, error) {
	var l nodeList
	var err error
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		err = json.Unmarshal(trimmed, &l)
	} else {
		err = yaml.Unmarshal(data, &l)
	}
	if err != nil {
		return nil, fmt.Errorf("is not JSON or YAML: %v: %s", err, wantNodes)
	}
	var items []nodeMeta
	switch {
	case l.Kind == "Node":
		items = []nodeMeta{l.nodeMeta}
	case l.Kind == "List" || l.Kind == "NodeList":
		items = l.Items
	case l.Kind == "":
		return nil, fmt.Errorf("has no kind: %s", wantNodes)
	default:
		return nil, fmt.Errorf("holds a %s, not nodes: %s", l.Kind, wantNodes)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("holds no nodes: %s against the cluster", wantNodes)
	}
	if len(items) > sizing.MaxNodes {
		return nil, fmt.Errorf("holds %d nodes, more than the %d typharender sizes for", len(items), sizing.MaxNodes)
	}
	nodes := make([]corev1.Node, len(items))
	for i := range items {
		if items[i].Kind != "" && items[i].Kind != "Node" {
			return nil, fmt.Errorf("item %d is a %s, not a Node: %s", i, items[i].Kind, wantNodes)
		}
		nodes[i] = items[i].node()
	}
	return nodes, nil
}

// readNodes reads --nodes-from and counts the nodes that run Felix; what
// was counted and what was left out goes to errOut.
func readNodes(in *input, errOut io.Writer, name string) (terway.NodeCount, error) {
	if errOut == nil {
		errOut = io.Discard
	}
	data, err := in.readAtMost("--nodes-from", name, maxNodesBytes)
	if big, ok := err.(*tooLargeError); ok {
		return terway.NodeCount{}, fmt.Errorf("--nodes-from %s: %s (maxNodesBytes): trim the node list to names, labels and nodeInfo.operatingSystem first (see typharender render --help)", displayName(big.file), overLimit(big))
	}
	if err != nil {
		return terway.NodeCount{}, err
	}
	label := "--nodes-from " + displayName(name)
	nodes, err := parseNodes(data)
	if err != nil {
		return terway.NodeCount{}, fmt.Errorf("%s: %w", label, err)
	}
	count := terway.CountFelixNodes(nodes)
	reportNodes(errOut, label, count)
	if count.Felix == 0 {
		return count, fmt.Errorf("%s: none of the %s runs Felix (each is left out, as listed above): Typha would serve no one; want the nodes of a cluster where Terway runs Felix", label, english.Count(count.Total, "node"))
	}
	return count, nil
}

// overLimit says how big input is against its limit.
func overLimit(big *tooLargeError) string {
	if big.size < 0 {
		return fmt.Sprintf("larger than the %d-byte limit", big.limit)
	}
	return fmt.Sprintf("%d bytes, over the %d-byte limit", big.size, big.limit)
}

// reportNodes writes what was counted, and each reason a node was left
// out with up to maxNamesShown of its nodes.
func reportNodes(w io.Writer, label string, c terway.NodeCount) {
	fmt.Fprintf(w, "%s: %s, %d run Felix and are counted\n", label, english.Count(c.Total, "node"), c.Felix)
	for _, reason := range []string{terway.SkipNotLinux, terway.SkipVirtual, terway.SkipExclusiveENI} {
		var names []string
		for _, s := range c.Skipped {
			if s.Reason == reason {
				names = append(names, s.Name)
			}
		}
		if len(names) == 0 {
			continue
		}
		shown := names[:min(len(names), maxNamesShown)]
		more := ""
		if len(names) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(names)-len(shown))
		}
		fmt.Fprintf(w, "  left out %d, %s: %s%s\n", len(names), reason, strings.Join(shown, ", "), more)
	}
}

// readKubeVersion reads --kube-version-from: serverVersion.gitVersion of
// kubectl version -o json.
func readKubeVersion(in *input, errOut io.Writer, name string) (string, error) {
	if errOut == nil {
		errOut = io.Discard
	}
	data, err := in.readAtMost("--kube-version-from", name, maxKubeVersionBytes)
	if big, ok := err.(*tooLargeError); ok {
		return "", fmt.Errorf("--kube-version-from %s: %s (maxKubeVersionBytes): want the output of kubectl version -o json, well under 1 KiB", displayName(big.file), overLimit(big))
	}
	if err != nil {
		return "", err
	}
	label := "--kube-version-from " + displayName(name)
	v, err := versioning.FromKubectl(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	fmt.Fprintf(errOut, "%s: serverVersion.gitVersion %s\n", label, v.Original())
	return v.Original(), nil
}
