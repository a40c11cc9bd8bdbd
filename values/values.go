package values

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/render"
)

// ErrInvalid is wrapped by every [Error].
var ErrInvalid = errors.New("invalid values")

// Source says where a value was set.
type Source struct {
	File string // the values or fleet file; "" for the command line
	Line int    // the line in File, from 1; 0 when unknown
	Flag string // on the command line: "--set key=value" or "--region"
}

func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	}
	return s.Flag
}

// Error reports a value that cannot be applied.
type Error struct {
	Source Source // where it was given
	Key    string // the dotted key, such as "image.tag"; "" for the whole file or expression
	Reason string // what is wrong and what would be accepted
	Err    error  // the underlying error, such as a *render.OptionError
}

func (e *Error) Error() string {
	var b strings.Builder
	if src := e.Source.String(); src != "" {
		b.WriteString(src + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + " ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalid], so that errors.Is finds the
// sentinel as well as the underlying error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Values accumulates settings in the order given; later settings win. The
// zero value holds no settings and is ready to use.
type Values struct {
	opts  render.Options
	src   map[string]Source // dotted key -> where it was last set
	files []string          // the files applied, in order, for sorting errors
}

// Clone returns an independent copy of v.
func (v *Values) Clone() *Values {
	c := &Values{opts: copyOptions(v.opts), src: maps.Clone(v.src), files: slices.Clone(v.files)}
	return c
}

// Options returns the options the values describe, as a fresh copy.
func (v *Values) Options() render.Options { return copyOptions(v.opts) }

// SourceOf returns where key was last set, and whether it was set.
func (v *Values) SourceOf(key string) (Source, bool) {
	s, ok := v.src[key]
	return s, ok
}

func copyOptions(o render.Options) render.Options {
	o.Labels = maps.Clone(o.Labels)
	o.Annotations = maps.Clone(o.Annotations)
	o.Resources = *o.Resources.DeepCopy()
	return o
}

// leaf is one value to apply: a key path and a scalar (or null), or a
// non-scalar that can only be an error or a null group.
type leaf struct {
	path      []string
	value     string
	null      bool
	nonScalar string // "mapping" or "sequence" when the value is not a scalar
	lines     []int  // in a file, the line of each key in path
	src       Source
}

// ApplyFile applies the values file named name, with contents data: one
// YAML mapping (an empty file sets nothing), of at most [MaxValuesBytes].
// Every bad key is reported,
// joined, with its line, in line order; the keys that can be applied are,
// so that [Values.Check] can report what else is wrong in the same pass.
// Apply to a [Values.Clone] for all or nothing.
func (v *Values) ApplyFile(name string, data []byte) error {
	if !slices.Contains(v.files, name) {
		v.files = append(v.files, name)
	}
	if len(data) > MaxValuesBytes {
		return TooLarge(name, int64(len(data)), MaxValuesBytes)
	}
	root, err := parseDocument(name, data)
	if err != nil {
		return err
	}
	if root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &Error{Source: Source{File: name, Line: root.Line}, Reason: fmt.Sprintf("is a YAML %s: want a mapping of keys such as region, nodes, kubeVersion, image.tag", yamlnode.KindName(root))}
	}
	var leaves []leaf
	err = flatten(name, root, nil, &leaves)
	list := errs.Flatten(errors.Join(err, v.applyAll(leaves)))
	v.sortErrors(list)
	return errors.Join(list...)
}

// parseDocument returns the single document in data, or nil for an empty one.
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return nil, &Error{Source: Source{File: name}, Reason: "is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		}
		docs = append(docs, &n)
	}
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, &Error{Source: Source{File: name, Line: docs[1].Line}, Reason: fmt.Sprintf("has %d YAML documents: want one", len(docs))}
	}
	doc := docs[0]
	if len(doc.Content) == 0 {
		return nil, nil
	}
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	return n, nil
}

// flatten appends the leaves of the mapping n under path. Mappings under
// labels, annotations and resources.requests/limits end the walk: their
// keys are data, not schema, and may contain dots.
func flatten(file string, n *yaml.Node, path []string, out *[]leaf) error {
	return flattenLines(file, n, path, nil, out)
}

func flattenLines(file string, n *yaml.Node, path []string, lines []int, out *[]leaf) error {
	var bad []error
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if val.Kind == yaml.AliasNode {
			// An alias to a scalar is its value; aliases to mappings could
			// expand exponentially (a "billion laughs" file), so they are
			// refused.
			if val.Alias == nil || val.Alias.Kind != yaml.ScalarNode {
				bad = append(bad, &Error{Source: Source{File: file, Line: val.Line}, Key: strings.Join(append(slices.Clone(path), k.Value), "."), Reason: "is an alias to a mapping or sequence: want the values written out (aliases to scalars are fine)"})
				continue
			}
			val = val.Alias
		}
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			bad = append(bad, &Error{Source: Source{File: file, Line: k.Line}, Key: strings.Join(path, "."), Reason: "has a key that is not a plain string (or a YAML merge key): want plain keys"})
			continue
		}
		p := append(slices.Clone(path), k.Value)
		pl := append(slices.Clone(lines), k.Line)
		key := strings.Join(p, ".")
		if line, dup := seen[k.Value]; dup {
			bad = append(bad, &Error{Source: Source{File: file, Line: k.Line}, Key: key, Reason: fmt.Sprintf("is set twice in one mapping (first on line %d): want each key once", line)})
			continue
		}
		seen[k.Value] = k.Line
		src := Source{File: file, Line: k.Line}
		switch {
		case val.Kind == yaml.MappingNode && len(val.Content) > 0:
			if err := flattenLines(file, val, p, pl, out); err != nil {
				bad = append(bad, err)
			}
		case val.Kind == yaml.MappingNode:
			// An empty mapping sets nothing, but its key must still exist.
			*out = append(*out, leaf{path: p, nonScalar: "empty", src: src, lines: pl})
		case val.Kind == yaml.SequenceNode:
			*out = append(*out, leaf{path: p, nonScalar: "sequence", src: src, lines: pl})
		case val.Tag == "!!null":
			*out = append(*out, leaf{path: p, null: true, src: src, lines: pl})
		default:
			*out = append(*out, leaf{path: p, value: val.Value, src: src, lines: pl})
		}
	}
	return errors.Join(bad...)
}

// ApplySet applies one --set argument: key=value pairs separated by
// commas, with dotted keys. A backslash escapes a dot in a key
// (labels.app\.kubernetes\.io/name=typha) and a comma in a value. As
// with [Values.ApplyFile], the pairs that can be applied are.
func (v *Values) ApplySet(expr string) error {
	var leaves []leaf
	var bad []error
	for _, pair := range splitEscaped(expr, ',') {
		src := Source{Flag: "--set " + pair}
		k, val, ok := strings.Cut(pair, "=")
		if !ok {
			bad = append(bad, &Error{Source: Source{Flag: "--set " + expr}, Reason: fmt.Sprintf("%q has no '=': want key=value, such as image.tag=v3.20.2", pair)})
			continue
		}
		path := splitEscaped(k, '.')
		for i := range path {
			path[i] = unescape(path[i])
		}
		if slices.Contains(path, "") {
			bad = append(bad, &Error{Source: src, Key: k, Reason: "has an empty key segment: want dotted keys such as image.tag"})
			continue
		}
		val = unescape(val)
		l := leaf{path: path, value: val, src: src}
		if val == "null" {
			l.null = true
		}
		leaves = append(leaves, l)
	}
	return errors.Join(append(bad, v.applyAll(leaves))...)
}

// SetFlag applies value for key from a dedicated flag such as --region.
func (v *Values) SetFlag(key, flag, value string) error {
	return v.applyAll([]leaf{{path: strings.Split(key, "."), value: value, src: Source{Flag: flag}}})
}

// splitEscaped splits s at sep, except where sep follows a backslash.
func splitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unescape removes the backslash from \. and \, and turns \\ into \.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`.,\`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// applyAll applies each leaf that can be applied and returns an error for
// each that cannot, joined.
func (v *Values) applyAll(leaves []leaf) error {
	if v.src == nil {
		v.src = map[string]Source{}
	}
	var bad []error
	seen := map[string]bool{}
	for _, l := range leaves {
		// An unknown key with several values under it is reported once.
		if err := v.apply(l); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			bad = append(bad, err)
		}
	}
	return errors.Join(bad...)
}

// apply sets one leaf, as the row its key names says.
func (v *Values) apply(l leaf) error {
	key := strings.Join(l.path, ".")
	fail := func(reason string) error { return &Error{Source: l.src, Key: key, Reason: reason} }
	m, i, reason := lookup(l.path)
	if i >= 0 {
		// The key up to segment i, the first one not known, on that key's
		// own line.
		src := l.src
		if i < len(l.lines) {
			src.Line = l.lines[i]
		}
		return &Error{Source: src, Key: strings.Join(l.path[:i+1], "."), Reason: "is not a known key: " + reason}
	}
	if m.deep {
		// A file nests mappings; a key with dots on --set is escaped.
		reason := "is nested too deeply: want " + want(l.path)
		if strings.Contains(m.row.example, `\.`) {
			reason += "; on --set escape dots in the key, as in " + m.row.example
		}
		return fail(reason)
	}
	if l.nonScalar == "empty" {
		// As in Helm, an empty mapping overrides nothing (null resets).
		if m.group != nil {
			return nil
		}
		l.nonScalar = "mapping"
	}
	if l.nonScalar != "" {
		return fail(fmt.Sprintf("is a %s: want %s", l.nonScalar, want(l.path)))
	}
	var value *string
	if !l.null {
		value = &l.value
	}
	if m.group != nil {
		if value != nil {
			return fail("is a scalar: want " + want(l.path))
		}
		// null resets every key of the group.
		for _, r := range rowsUnder(m.group) {
			r.set.apply(&v.opts, "", nil, "")
		}
		v.src[key] = l.src
		return nil
	}
	if reason := m.row.set.apply(&v.opts, m.name, value, m.row.accepts); reason != "" {
		return fail(reason)
	}
	v.src[key] = l.src
	return nil
}
