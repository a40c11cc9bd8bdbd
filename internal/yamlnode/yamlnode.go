// Package yamlnode holds what typharender's two YAML readers (lint's
// manifest reader and the values-file reader) both need to say about a
// go-yaml v3 node in an error message.
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
