package terway

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/typharender/typharender/internal/english"
	corev1 "k8s.io/api/core/v1"
)

// Node labels that say a node runs no Felix.
const (
	// LabelExclusiveENI marks Terway's exclusive-ENI nodes; with value
	// [ExclusiveENIOnly] Terway runs no policy agent there
	// (cmd/terway-cli/policy.go, runExclusiveENI).
	LabelExclusiveENI = "k8s.aliyun.com/exclusive-mode-eni-type"
	ExclusiveENIOnly  = "eniOnly"
	// LabelVirtualNode is ACK's virtual-node label (value
	// [VirtualKubelet]): ECI pods, no Terway DaemonSet, no Felix. Calico's
	// own Typha autoscaler leaves these nodes out the same way.
	LabelVirtualNode = "type"
	VirtualKubelet   = "virtual-kubelet"
)

// Why a node is left out of the Felix count.
const (
	SkipNotLinux     = "not Linux: Terway and Felix run on Linux nodes only"
	SkipVirtual      = "a virtual node (type=virtual-kubelet): no Terway, no Felix"
	SkipExclusiveENI = "an exclusive-ENI node (k8s.aliyun.com/exclusive-mode-eni-type=eniOnly): Terway runs no policy agent"
)

// NodeCount is how many of a cluster's nodes run Felix, and which do not.
type NodeCount struct {
	Total   int           // every node given
	Felix   int           // the nodes that run Felix: what Typha is sized for
	Skipped []SkippedNode // the others, by name
}

// SkippedNode is a node that runs no Felix, and why.
type SkippedNode struct {
	Name   string
	Reason string // one of the Skip* constants
}

// CountFelixNodes counts the nodes that run Felix under Terway: Linux
// nodes (label kubernetes.io/os, or the kubelet's reported operating
// system when the label is missing) that are neither virtual nodes nor
// exclusive-ENI nodes. It reads what `kubectl get nodes -o json` returns;
// it does not read a cluster.
func CountFelixNodes(nodes []corev1.Node) NodeCount {
	c := NodeCount{Total: len(nodes)}
	for i := range nodes {
		n := &nodes[i]
		if why := skipReason(n); why != "" {
			c.Skipped = append(c.Skipped, SkippedNode{Name: n.Name, Reason: why})
			continue
		}
		c.Felix++
	}
	slices.SortFunc(c.Skipped, func(a, b SkippedNode) int { return cmp.Compare(a.Name, b.Name) })
	return c
}

func skipReason(n *corev1.Node) string {
	os, ok := n.Labels[corev1.LabelOSStable]
	if !ok {
		os = n.Status.NodeInfo.OperatingSystem
	}
	switch {
	case os != "" && os != "linux":
		return SkipNotLinux
	case n.Labels[LabelVirtualNode] == VirtualKubelet:
		return SkipVirtual
	case n.Labels[LabelExclusiveENI] == ExclusiveENIOnly:
		return SkipExclusiveENI
	}
	return ""
}

// maxNamesShown is how many node names [NodeCount.Lines] lists per reason.
const maxNamesShown = 5

// Lines say what was counted, after label (where the nodes came from),
// and then each reason nodes were left out, with up to five of their
// names: "nodes.json: 1200 nodes, 1150 run Felix and are counted", "  left
// out 50, a virtual node (...): vk-1, vk-2, ... and 45 more".
func (c NodeCount) Lines(label string) []string {
	lines := []string{fmt.Sprintf("%s: %s, %d run Felix and are counted", label, english.Count(c.Total, "node"), c.Felix)}
	for _, reason := range []string{SkipNotLinux, SkipVirtual, SkipExclusiveENI} {
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
		lines = append(lines, fmt.Sprintf("  left out %d, %s: %s%s", len(names), reason, strings.Join(shown, ", "), more))
	}
	return lines
}
