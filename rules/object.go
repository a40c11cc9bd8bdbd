package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

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
// kind set. Findings about them have no file and no line; [Run] orders
// them as findings about the same objects written as YAML, one after the
// other in the order given, would be. The Objects are read-only: [Run]
// never changes them, and a [Memo] hands the same one to many runs.
func FromTyped(objs ...runtime.Object) ([]*Object, error) {
	out := make([]*Object, 0, len(objs))
	for i, obj := range objs {
		o, err := fromTyped(obj)
		if err != nil {
			return nil, fmt.Errorf("object %d %w", i+1, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// fromTyped is one object of FromTyped; its error follows "object N".
func fromTyped(obj runtime.Object) (*Object, error) {
	if obj == nil || (reflect.ValueOf(obj).Kind() == reflect.Pointer && reflect.ValueOf(obj).IsNil()) {
		return nil, errors.New("is nil")
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("(%T): %w", obj, err)
	}
	if a, k := m["apiVersion"], m["kind"]; a == nil || a == "" || k == nil || k == "" {
		return nil, fmt.Errorf("(%T) has no apiVersion or kind: set them, as render does", obj)
	}
	delete(m, "status") // written by the cluster, never by a manifest
	o := NewObject("", (&treeBuilder{}).object(m))
	o.Line, o.inMemory = 0, true
	return o, nil
}

// Memo converts typed objects as [FromTyped] does, and remembers the
// Object of each distinct one, by its type and JSON form: a fleet's
// clusters share most of their objects (the CRD always; the Service, the
// PodDisruptionBudget and often the Deployment with every cluster of the
// same version, size and region), and each is converted once. The zero
// Memo is ready to use, from any number of goroutines; its memory grows
// with the distinct objects. A Memo must not be copied after first use.
type Memo struct {
	mu   sync.Mutex
	seen map[string]*Object
}

// FromTyped is [FromTyped], remembering each distinct object's Object.
func (m *Memo) FromTyped(objs ...runtime.Object) ([]*Object, error) {
	out := make([]*Object, 0, len(objs))
	for i, obj := range objs {
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("object %d (%T): %w", i+1, obj, err)
		}
		key := reflect.TypeOf(obj).String() + "\n" + string(raw)
		m.mu.Lock()
		o, ok := m.seen[key]
		m.mu.Unlock()
		if !ok {
			if o, err = fromTyped(obj); err != nil {
				return nil, fmt.Errorf("object %d %w", i+1, err)
			}
			m.mu.Lock()
			if m.seen == nil {
				m.seen = map[string]*Object{}
			}
			m.seen[key] = o
			m.mu.Unlock()
		}
		out = append(out, o)
	}
	return out, nil
}

// treeBuilder turns an unstructured object into a node tree as go-yaml
// v3 would parse the same object from the YAML render writes for it:
// mapping keys sorted, strings quoted (so no YAML 1.1 reader could take
// "yes" for a boolean), numbers and booleans with their tags. Each node
// gets a position in the object's document order where parsed YAML has its
// line: a key and its scalar value share one, as they share a line, so
// findings sort as they would by line. The nodes
// of one object, their Content slices and the sorted keys are each taken
// from one allocation.
type treeBuilder struct {
	pos   int
	nodes []yaml.Node  // the nodes still free
	ptrs  []*yaml.Node // the Content slots still free
	keys  []string     // scratch for sorting a mapping's keys
}

func (b *treeBuilder) next() int { b.pos++; return b.pos }

// object builds the tree of m, one object.
func (b *treeBuilder) object(m map[string]any) *yaml.Node {
	nodes, ptrs := count(m)
	b.nodes, b.ptrs = make([]yaml.Node, nodes), make([]*yaml.Node, ptrs)
	return b.mapping(m)
}

// count returns how many nodes and Content slots v's tree holds.
func count(v any) (nodes, ptrs int) {
	switch v := v.(type) {
	case map[string]any:
		nodes, ptrs = 1, 2*len(v)
		for _, e := range v {
			n, p := count(e)
			nodes, ptrs = nodes+1+n, ptrs+p // the key, then the value
		}
	case []any:
		nodes, ptrs = 1, len(v)
		for _, e := range v {
			n, p := count(e)
			nodes, ptrs = nodes+n, ptrs+p
		}
	default:
		nodes = 1
	}
	return nodes, ptrs
}

// node returns a free node set to n.
func (b *treeBuilder) node(n yaml.Node) *yaml.Node {
	p := &b.nodes[0]
	*p, b.nodes = n, b.nodes[1:]
	return p
}

// content returns a free Content slice of length n.
func (b *treeBuilder) content(n int) []*yaml.Node {
	c := b.ptrs[:n:n]
	b.ptrs = b.ptrs[n:]
	return c
}

func (b *treeBuilder) mapping(m map[string]any) *yaml.Node {
	n := b.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	if len(m) == 0 {
		n.Line = b.next()
		return n
	}
	start := len(b.keys)
	for k := range m {
		b.keys = append(b.keys, k)
	}
	keys := b.keys[start:]
	slices.Sort(keys)
	n.Content = b.content(2 * len(keys))
	for i, k := range keys {
		line := b.next()
		if i == 0 {
			n.Line = line // a block mapping starts on its first key's line
		}
		n.Content[2*i] = b.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: line})
		n.Content[2*i+1] = b.value(m[k], line)
	}
	b.keys = b.keys[:start]
	return n
}

// value is the node for v, the value of a key on line keyLine: a scalar or
// an empty collection shares the key's line; a block collection starts on
// the next.
func (b *treeBuilder) value(v any, keyLine int) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return b.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: keyLine})
		}
		return b.mapping(v)
	case []any:
		n := b.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: keyLine})
		n.Content = b.content(len(v))
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
			n.Content[i] = item
		}
		return n
	}
	return b.node(scalarNode(v, keyLine))
}

// scalarNode is the node of a scalar value of an unstructured object.
func scalarNode(v any, line int) yaml.Node {
	n := yaml.Node{Kind: yaml.ScalarNode, Line: line}
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
