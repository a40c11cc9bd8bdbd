// Package yamlnode holds what typharender's YAML readers (lint's manifest
// reader, the values-file reader) and the rules over the object model
// need of a go-yaml v3 node: its fields, aliases followed (Get, Key,
// Path, Scalar, Items, StringMap), and how to name it in a message
// (KindName).
package yamlnode

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// KindName describes n for a message: "mapping", "sequence", "alias",
// "null", or "scalar" followed by its value, quoted and cut to 40 bytes.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return "scalar " + strconv.Quote(v)
	}
	return "YAML node"
}

// maxAliases bounds how many aliases Resolve follows: a cycle of aliases
// ends there.
const maxAliases = 100

// Resolve follows an alias to its anchor.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliases; i++ {
		n = n.Alias
	}
	return n
}

// Get returns the value of key in mapping n, aliases resolved, or nil.
func Get(n *yaml.Node, key string) *yaml.Node {
	if i := index(n, key); i >= 0 {
		return Resolve(Resolve(n).Content[i+1])
	}
	return nil
}

// Key returns the key node of key in mapping n, or nil: the node whose
// line is the key's.
func Key(n *yaml.Node, key string) *yaml.Node {
	if i := index(n, key); i >= 0 {
		return Resolve(Resolve(n).Content[i])
	}
	return nil
}

// index returns the index of key's key node in mapping n's Content, or -1.
func index(n *yaml.Node, key string) int {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := Resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

// Path follows keys from n with Get.
func Path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = Get(n, k)
	}
	return n
}

// Scalar returns the value of a scalar node, "" for anything else (null
// included).
func Scalar(n *yaml.Node) string {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// Items returns the elements of a sequence node, aliases resolved.
func Items(n *yaml.Node) []*yaml.Node {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, Resolve(c))
	}
	return out
}

// StringMap returns a mapping of scalars as a Go map; non-scalar values
// are left out. nil when n is not a mapping.
func StringMap(n *yaml.Node) map[string]string {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := Resolve(n.Content[i+1]); v.Kind == yaml.ScalarNode {
			m[Scalar(n.Content[i])] = v.Value
		}
	}
	return m
}
