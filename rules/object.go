package rules

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/typharender/typharender/finding"
	yn "github.com/typharender/typharender/internal/yamlnode"
)

// Object is one Kubernetes object the rules read: its kind and name,
// where it came from, and its fields as a go-yaml node tree, so that a
// finding names the field, and the line of the field in a file.
//
// Objects come from files ([NewObject], which lint's reader calls for
// every object it parses) or from memory ([FromTyped], for the typed
// objects render builds). Both give the same tree for the same object, so
// the rules say the same of a rendering in memory as of the same rendering
// written to a file and read back.
type Object struct {
	File       string // the file it was read from, or "<stdin>"; "" for an object in memory
	Line       int    // the line it starts on in File; 0 for an object in memory
	APIVersion string
	Kind       string
	Name       string // metadata.name; may be empty
	Namespace  string // metadata.namespace; empty when not set

	root *yaml.Node // the object's mapping node
	// inMemory: the node lines are positions in document order, not
	// lines of a file; findings carry no line.
	inMemory bool
}

// NewObject returns the object whose mapping node is root, read from
// file, starting on root's line. root must be a mapping; its apiVersion,
// kind, metadata.name and metadata.namespace name the object.
func NewObject(file string, root *yaml.Node) *Object {
	root = yn.Resolve(root)
	meta := yn.Get(root, "metadata")
	return &Object{
		File: file, Line: root.Line,
		APIVersion: yn.Scalar(yn.Get(root, "apiVersion")), Kind: yn.Scalar(yn.Get(root, "kind")),
		Name: yn.Scalar(yn.Get(meta, "name")), Namespace: yn.Scalar(yn.Get(meta, "namespace")),
		root: root,
	}
}

// Ref names the object for a finding.
func (o *Object) Ref() finding.Ref {
	return finding.Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// String names the object for messages: "Deployment kube-system/calico-typha".
func (o *Object) String() string { return o.Ref().String() }

// FromTyped returns the Objects for typed objects in memory, such as the
// k8s.io/api objects render builds: each is converted field by field to
// the tree the rules read (runtime.DefaultUnstructuredConverter, the
// conversion the API machinery uses, then one node per value), with no
// encoding to text and no parse. Each object must have its apiVersion and
// kind set. Findings about them have no file and no line; they are
// ordered as findings about the same objects written as YAML, one after
// the other in the order given, would be.
func FromTyped(objs ...runtime.Object) ([]*Object, error) {
	out := make([]*Object, 0, len(objs))
	b := &treeBuilder{}
	for i, obj := range objs {
		if obj == nil || (reflect.ValueOf(obj).Kind() == reflect.Pointer && reflect.ValueOf(obj).IsNil()) {
			return nil, fmt.Errorf("object %d is nil", i+1)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, fmt.Errorf("object %d (%T): %w", i+1, obj, err)
		}
		if a, k := m["apiVersion"], m["kind"]; a == nil || a == "" || k == nil || k == "" {
			return nil, fmt.Errorf("object %d (%T) has no apiVersion or kind: set them, as render does", i+1, obj)
		}
		delete(m, "status") // written by the cluster, never by a manifest
		o := NewObject("", b.mapping(m))
		o.Line, o.inMemory = 0, true
		out = append(out, o)
	}
	return out, nil
}

// treeBuilder turns an unstructured object into a node tree as go-yaml
// v3 would parse the same object from the YAML render writes for it:
// mapping keys sorted, strings quoted (so no YAML 1.1 reader could take
// "yes" for a boolean), numbers and booleans with their tags. Each node
// gets a position in document order, counted across the objects built,
// where parsed YAML has its line: a key and its scalar value share one,
// as they share a line, so findings sort as they would by line.
type treeBuilder struct{ pos int }

func (b *treeBuilder) next() int { b.pos++; return b.pos }

func (b *treeBuilder) mapping(m map[string]any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(m) == 0 {
		n.Line = b.next()
		return n
	}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		line := b.next()
		if i == 0 {
			n.Line = line // a block mapping starts on its first key's line
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: line}
		n.Content = append(n.Content, key, b.value(m[k], line))
	}
	return n
}

// value is the node for v, the value of a key on line keyLine: a scalar or
// an empty collection shares the key's line; a block collection starts on
// the next.
func (b *treeBuilder) value(v any, keyLine int) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: keyLine}
		}
		return b.mapping(v)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: keyLine}
		for i, e := range v {
			var item *yaml.Node
			if m, ok := e.(map[string]any); ok && len(m) > 0 {
				item = b.mapping(m) // "- key: ..." starts on the item's line
			} else {
				item = b.value(e, b.next())
			}
			if i == 0 {
				n.Line = item.Line
			}
			n.Content = append(n.Content, item)
		}
		return n
	}
	return scalarNode(v, keyLine)
}

// scalarNode is the node of a scalar value of an unstructured object.
func scalarNode(v any, line int) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Line: line}
	switch v := v.(type) {
	case nil:
		n.Tag, n.Value = "!!null", "null"
	case string:
		n.Tag, n.Value, n.Style = "!!str", v, yaml.DoubleQuotedStyle
	case bool:
		n.Tag, n.Value = "!!bool", strconv.FormatBool(v)
	case int64:
		n.Tag, n.Value = "!!int", strconv.FormatInt(v, 10)
	case float64:
		n.Tag, n.Value = "!!float", strconv.FormatFloat(v, 'g', -1, 64)
	default:
		n.Tag, n.Value = "!!str", fmt.Sprint(v)
	}
	return n
}

// fieldPath returns the path of the node at within the object's tree, as
// a finding names it: "spec.template.spec.containers[0].image",
// "metadata.annotations[typharender.github.io/vouch]"; "" when at is nil
// or not in the tree.
func (o *Object) fieldPath(at *yaml.Node) string {
	if at == nil {
		return ""
	}
	var path []string
	if find(o.root, at, &path, 0) {
		return strings.Join(path, "")
	}
	return ""
}

// find searches n for target, appending the path to it; depth bounds
// aliases that loop.
func find(n, target *yaml.Node, path *[]string, depth int) bool {
	n = yn.Resolve(n)
	if n == nil || depth > 100 {
		return false
	}
	if n == target {
		return true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := yn.Resolve(n.Content[i])
			seg := "." + k.Value
			if depth == 0 {
				seg = k.Value
			}
			if strings.ContainsAny(k.Value, ".[]/ ") || k.Value == "" {
				seg = "[" + k.Value + "]"
			}
			*path = append(*path, seg)
			if k == target || find(n.Content[i+1], target, path, depth+1) {
				return true
			}
			*path = (*path)[:len(*path)-1]
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			*path = append(*path, "["+strconv.Itoa(i)+"]")
			if find(c, target, path, depth+1) {
				return true
			}
			*path = (*path)[:len(*path)-1]
		}
	}
	return false
}
