package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v2"
)

// EncodeYAML writes objs as YAML documents separated by "---", in the order
// given. Keys are sorted and the output has no empty noise: no status, no
// creationTimestamp: null, no empty structs such as resources: {}. The
// same objects always give the same bytes.
func EncodeYAML(w io.Writer, objs ...Object) error {
	var buf bytes.Buffer
	for i, obj := range objs {
		raw, err := toJSON(obj)
		if err != nil {
			return err
		}
		out, err := yamlDocument(obj, raw)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(out)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// yamlDocument is obj as one YAML document, as EncodeYAML writes it, from
// raw, obj's JSON.
func yamlDocument(obj Object, raw []byte) ([]byte, error) {
	m, err := mapFromJSON(obj, raw)
	if err != nil {
		return nil, err
	}
	// go-yaml encodes the map itself: the bytes sigs.k8s.io/yaml.Marshal
	// writes for m, without its JSON round trip.
	out, err := yaml.Marshal(yamlNumbers(m))
	if err != nil {
		return nil, fmt.Errorf("encoding %s as YAML: %w", describe(obj), err)
	}
	return out, nil
}

// yamlMemo encodes objects as EncodeYAML does and keeps the YAML of each
// distinct object, so that a fleet encodes each once: clusters share most
// of their objects (the CRD always; the Service, the PodDisruptionBudget
// and often the Deployment with every cluster of the same version, size
// and region). The YAML is a function of the object's type and JSON form,
// which are the key. Safe for concurrent use; the zero value is ready.
type yamlMemo struct {
	mu   sync.Mutex
	seen map[string][]byte
}

// encode returns obj as one YAML document, in bytes the caller owns.
func (m *yamlMemo) encode(obj Object) ([]byte, error) {
	raw, err := toJSON(obj)
	if err != nil {
		return nil, err
	}
	key := reflect.TypeOf(obj).String() + "\n" + string(raw)
	m.mu.Lock()
	data, ok := m.seen[key]
	m.mu.Unlock()
	if !ok {
		if data, err = yamlDocument(obj, raw); err != nil {
			return nil, err
		}
		m.mu.Lock()
		if m.seen == nil {
			m.seen = map[string][]byte{}
		}
		m.seen[key] = data
		m.mu.Unlock()
	}
	// Callers may change what they get; the memo keeps its own copy.
	return bytes.Clone(data), nil
}

// EncodeJSON writes objs as a v1 List, indented as kubectl prints it, with
// the same pruning as [EncodeYAML]. A single object is still wrapped in a
// List, so the output's shape does not depend on the count.
func EncodeJSON(w io.Writer, objs ...Object) error {
	items := make([]any, 0, len(objs))
	for _, obj := range objs {
		m, err := toMap(obj)
		if err != nil {
			return err
		}
		items = append(items, m)
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	out, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		return fmt.Errorf("encoding List as JSON: %w", err)
	}
	out = append(out, '\n')
	_, err = w.Write(out)
	return err
}

// EncodeJSONObject writes obj alone, not in a List, indented and pruned
// as [EncodeJSON] writes each item: the shape kubectl get -o json prints
// for one object, and kubectl apply and kubectl-validate read.
func EncodeJSONObject(w io.Writer, obj Object) error {
	m, err := toMap(obj)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(m, "", "    ")
	if err != nil {
		return fmt.Errorf("encoding %s as JSON: %w", describe(obj), err)
	}
	out = append(out, '\n')
	_, err = w.Write(out)
	return err
}

// describe names obj for messages: "Deployment kube-system/calico-typha".
func describe(obj Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = reflect.TypeOf(obj).Elem().Name()
	}
	if ns := obj.GetNamespace(); ns != "" {
		return kind + " " + ns + "/" + obj.GetName()
	}
	return kind + " " + obj.GetName()
}

// toMap returns obj's JSON form as a map, pruned as EncodeYAML documents.
func toMap(obj Object) (map[string]any, error) {
	raw, err := toJSON(obj)
	if err != nil {
		return nil, err
	}
	return mapFromJSON(obj, raw)
}

// toJSON returns obj's JSON, or an error if obj is nil or has no
// apiVersion and kind.
func toJSON(obj Object) ([]byte, error) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return nil, fmt.Errorf("cannot encode a nil object")
	}
	if gvk := obj.GetObjectKind().GroupVersionKind(); gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("cannot encode %s: apiVersion and kind must be set", describe(obj))
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", describe(obj), err)
	}
	return raw, nil
}

// mapFromJSON returns raw, the JSON of obj, as a map, pruned as EncodeYAML
// documents.
func mapFromJSON(obj Object, raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", describe(obj), err)
	}
	// Status is written by the cluster, never by a manifest.
	delete(m, "status")
	pruneStruct(m, reflect.TypeOf(obj).Elem())
	return m, nil
}

// yamlNumbers replaces, in place, each json.Number within v by the value
// go-yaml reads from the same JSON text, and returns v. Encoding the result
// with go-yaml gives the bytes sigs.k8s.io/yaml.JSONToYAML gives for v's
// JSON, which decodes that JSON with go-yaml first.
func yamlNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = yamlNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = yamlNumbers(e)
		}
	case json.Number:
		return yamlNumber(string(v))
	}
	return v
}

// yamlNumber is go-yaml's reading of n, a JSON number, as a plain scalar:
// an int if it fits, else a uint64, else a float64. (JSON numbers have no
// underscores, prefixes or leading zeros, and always match go-yaml's float
// syntax.)
func yamlNumber(n string) any {
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		if i == int64(int(i)) {
			return int(i)
		}
		return i
	}
	if u, err := strconv.ParseUint(n, 10, 64); err == nil {
		return u
	}
	if f, err := strconv.ParseFloat(n, 64); err == nil {
		return f
	}
	return n
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// prune walks v, the JSON form of a value of type t, and removes the
// fields pruneStruct removes from every struct within it.
func prune(v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// A type with its own JSON form (Time, Quantity, IntOrString, FieldsV1,
	// RawExtension, JSONSchemaProps...) is left exactly as it encoded.
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			pruneStruct(m, t)
		}
	case reflect.Slice, reflect.Array:
		if s, ok := v.([]any); ok {
			for _, e := range s {
				prune(e, t.Elem())
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for _, e := range m {
				prune(e, t.Elem())
			}
		}
	}
}

// pruneStruct removes from m, the JSON form of a struct of type t, every
// field whose Go type is a struct (not a pointer or map), tagged omitempty,
// that encoded as {}. encoding/json cannot omit those; the Kubernetes
// types predate omitzero, and the API server treats an absent and an empty
// struct alike. Pointers and maps are kept even when empty: emptyDir: {}
// and managedFields' "f:data": {} mean something.
func pruneStruct(m map[string]any, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || !f.Anonymous && !mayPrune(f.Type) {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				pruneStruct(m, ft)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		v, ok := m[name]
		if !ok {
			continue
		}
		prune(v, ft)
		if ft.Kind() == reflect.Struct && hasOption(opts, "omitempty") {
			if sub, ok := v.(map[string]any); ok && len(sub) == 0 {
				delete(m, name)
			}
		}
	}
}

// mayPrune reports whether a field of type t can hold what pruneStruct
// removes: t is a struct, or a pointer, slice, array or map of one. Other
// fields (strings, numbers, []string...) are passed over without parsing
// their tags, which is most of the cost of pruning.
func mayPrune(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Slice, reflect.Array, reflect.Map:
		return mayPrune(t.Elem())
	}
	return false
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}
