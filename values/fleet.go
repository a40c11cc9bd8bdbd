package values

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/internal/yamlnode"
)

// A fleet file lists clusters to render, each into a directory of its
// name:
//
//	clusters:
//	- name: prod-hangzhou          # required: a DNS label, the directory name
//	  region: cn-hangzhou
//	  nodes: 1000
//	  kubeVersion: v1.30.7-aliyun.1
//	  image:                       # optional: any values key overrides
//	    tag: v3.20.2
//
// Every key other than name is a values key, applied over the common
// values (-f and --set).

// Cluster is one entry of a fleet file.
type Cluster struct {
	Name   string  // the entry's name: a DNS label, used as its directory
	Line   int     // the line of the entry in the fleet file
	Values *Values // the common values with the entry's keys applied
}

// EntryError reports a fleet entry that cannot be rendered, with every
// reason.
type EntryError struct {
	File string
	Line int    // the entry's line
	Name string // the entry's name, "" when it has none
	Err  error  // every reason, joined with errors.Join, in line order
}

func (e *EntryError) Error() string {
	var b strings.Builder
	name := e.Name
	if name == "" {
		name = "(no name)"
	}
	fmt.Fprintf(&b, "%s:%d: cluster %s:", e.File, e.Line, name)
	for _, err := range errs.Flatten(e.Err) {
		for _, line := range strings.Split(err.Error(), "\n") {
			b.WriteString("\n  " + line)
		}
	}
	return b.String()
}

// Unwrap returns the reasons, joined.
func (e *EntryError) Unwrap() error { return e.Err }

// LoadFleet parses the fleet file name, with contents data (at most
// [MaxFleetBytes] and [MaxFleetClusters] entries), applying each
// entry over a copy of base. It returns the entries it could parse and an
// [EntryError] for every entry it could not, in file order; err is an
// [Error] for a file that is not a fleet at all.
func LoadFleet(name string, data []byte, base *Values) (clusters []Cluster, bad []*EntryError, err error) {
	if len(data) > MaxFleetBytes {
		return nil, nil, TooLarge(name, int64(len(data)), MaxFleetBytes)
	}
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, nil, err
	}
	const shape = "want a mapping with clusters: a list of entries with name, region, nodes and kubeVersion"
	if root == nil {
		return nil, nil, &Error{Source: Source{File: name}, Reason: "is empty: " + shape}
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, &Error{Source: Source{File: name, Line: root.Line}, Reason: fmt.Sprintf("is a YAML %s: %s", yamlnode.KindName(root), shape)}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "clusters" {
			return nil, nil, &Error{Source: Source{File: name, Line: k.Line}, Key: k.Value, Reason: "is not a known key: a fleet file has only clusters"}
		}
		list = v
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		line := root.Line
		if list != nil {
			line = list.Line
		}
		return nil, nil, &Error{Source: Source{File: name, Line: line}, Key: "clusters", Reason: "is missing or empty: want a list of one or more entries with name, region, nodes and kubeVersion"}
	}
	if n := len(list.Content); n > MaxFleetClusters {
		return nil, nil, &Error{Source: Source{File: name, Line: list.Line}, Key: "clusters", Reason: fmt.Sprintf("lists %d entries, over the limit of %d (MaxFleetClusters): split the fleet into several files", n, MaxFleetClusters)}
	}

	seen := map[string]int{}
	for _, entry := range list.Content {
		ee := &EntryError{File: name, Line: entry.Line}
		if entry.Kind != yaml.MappingNode {
			ee.Err = fmt.Errorf("is a YAML %s: want a mapping with name, region, nodes and kubeVersion", yamlnode.KindName(entry))
			bad = append(bad, ee)
			continue
		}
		var reasons []error
		// Split off name; the rest are values keys.
		rest := &yaml.Node{Kind: yaml.MappingNode, Line: entry.Line}
		var nameNode *yaml.Node
		for i := 0; i+1 < len(entry.Content); i += 2 {
			k, v := entry.Content[i], entry.Content[i+1]
			if k.Value == "name" {
				nameNode = v
				continue
			}
			rest.Content = append(rest.Content, k, v)
		}
		switch {
		case nameNode == nil:
			reasons = append(reasons, errors.New("has no name: want name: followed by a DNS label such as prod-hangzhou, used as the directory name"))
		case nameNode.Kind != yaml.ScalarNode:
			reasons = append(reasons, &Error{Source: Source{File: name, Line: nameNode.Line}, Key: "name", Reason: fmt.Sprintf("is a YAML %s: want a DNS label such as prod-hangzhou", yamlnode.KindName(nameNode))})
		default:
			ee.Name = nameNode.Value
			nameErr := func(reason string) error {
				return &Error{Source: Source{File: name, Line: nameNode.Line}, Key: "name", Reason: fmt.Sprintf("%q %s", nameNode.Value, reason)}
			}
			if msgs := validation.IsDNS1123Label(nameNode.Value); len(msgs) > 0 {
				reasons = append(reasons, nameErr(fmt.Sprintf("is not a DNS label: %s (it names the cluster's directory)", strings.Join(msgs, "; "))))
			} else if first, dup := seen[nameNode.Value]; dup {
				reasons = append(reasons, nameErr(fmt.Sprintf("is already used by the entry on line %d: want a unique name per cluster", first)))
			} else {
				seen[nameNode.Value] = entry.Line
			}
		}
		v := base.Clone()
		v.files = append(v.files, name)
		var leaves []leaf
		err := flatten(name, rest, nil, &leaves)
		reasons = append(reasons, err, v.applyAll(leaves))
		if err := errors.Join(reasons...); err != nil {
			// Everything else wrong with the entry, in the same pass.
			ee.Err = v.Check(err)
			bad = append(bad, ee)
			continue
		}
		clusters = append(clusters, Cluster{Name: ee.Name, Line: entry.Line, Values: v})
	}
	return clusters, bad, nil
}

// SortEntryErrors orders entry errors by line.
func SortEntryErrors(errs []*EntryError) {
	slices.SortStableFunc(errs, func(a, b *EntryError) int { return cmp.Compare(a.Line, b.Line) })
}
