package values

import (
	"fmt"
	"strconv"

	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/versioning"
)

// FromKubectl reads a cluster's node count and Kubernetes version from
// kubectl's output, each when given: nodes is what kubectl get nodes -o
// json (or -o yaml) printed, counted as sizing.ReadNodes counts the nodes
// that run Felix; version is what kubectl version -o json printed
// (serverVersion.gitVersion). Each File's Name labels its errors, notes
// and setting, such as "--nodes-from nodes.json". It returns the settings
// they give (keys nodes and kubeVersion), notes on what was read, one
// line each (the nodes counted and each left out, and why; the version),
// and the first error, after the notes on what was read before it.
func FromKubectl(nodes, version *File) (settings []Setting, notes []string, err error) {
	if nodes != nil {
		count, err := sizing.ReadNodes(nodes.Data)
		if count.Total > 0 {
			notes = append(notes, count.Lines(nodes.Name)...)
		}
		if err != nil {
			return nil, notes, fmt.Errorf("%s: %w", nodes.Name, err)
		}
		settings = append(settings, Setting{Key: "nodes", Label: nodes.Name, Value: strconv.Itoa(count.Felix)})
	}
	if version != nil {
		v, err := versioning.FromKubectl(version.Data)
		if err != nil {
			return nil, notes, fmt.Errorf("%s: %w", version.Name, err)
		}
		notes = append(notes, fmt.Sprintf("%s: serverVersion.gitVersion %s", version.Name, v.Original()))
		settings = append(settings, Setting{Key: "kubeVersion", Label: version.Name, Value: v.Original()})
	}
	return settings, notes, nil
}
