package values

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

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
	opts render.Options
	src  map[string]Source // dotted key -> where it was last set
}

// Clone returns an independent copy of v.
func (v *Values) Clone() *Values {
	c := &Values{opts: copyOptions(v.opts), src: maps.Clone(v.src)}
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
// YAML mapping (an empty file sets nothing). Every bad key is reported,
// joined, with its line; on error v is unchanged.
func (v *Values) ApplyFile(name string, data []byte) error {
	root, err := parseDocument(name, data)
	if err != nil {
		return err
	}
	if root == nil {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &Error{Source: Source{File: name, Line: root.Line}, Reason: fmt.Sprintf("is a YAML %s: want a mapping of keys such as region, nodes, kubeVersion, image.tag", kindName(root))}
	}
	var leaves []leaf
	if err := flatten(name, root, nil, &leaves); err != nil {
		return err
	}
	return v.applyAll(leaves)
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

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.AliasNode:
		return "alias"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return "scalar"
}

// flatten appends the leaves of the mapping n under path. Mappings under
// labels, annotations and resources.requests/limits end the walk: their
// keys are data, not schema, and may contain dots.
func flatten(file string, n *yaml.Node, path []string, out *[]leaf) error {
	return flattenLines(file, n, path, nil, out)
}

func flattenLines(file string, n *yaml.Node, path []string, lines []int, out *[]leaf) error {
	var errs []error
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if val.Kind == yaml.AliasNode {
			// An alias to a scalar is its value; aliases to mappings could
			// expand exponentially (a "billion laughs" file), so they are
			// refused.
			if val.Alias == nil || val.Alias.Kind != yaml.ScalarNode {
				errs = append(errs, &Error{Source: Source{File: file, Line: val.Line}, Key: strings.Join(append(slices.Clone(path), k.Value), "."), Reason: "is an alias to a mapping or sequence: want the values written out (aliases to scalars are fine)"})
				continue
			}
			val = val.Alias
		}
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			errs = append(errs, &Error{Source: Source{File: file, Line: k.Line}, Key: strings.Join(path, "."), Reason: "has a key that is not a plain string (or a YAML merge key): want plain keys"})
			continue
		}
		p := append(slices.Clone(path), k.Value)
		pl := append(slices.Clone(lines), k.Line)
		key := strings.Join(p, ".")
		if line, dup := seen[k.Value]; dup {
			errs = append(errs, &Error{Source: Source{File: file, Line: k.Line}, Key: key, Reason: fmt.Sprintf("is set twice in one mapping (first on line %d): want each key once", line)})
			continue
		}
		seen[k.Value] = k.Line
		src := Source{File: file, Line: k.Line}
		switch {
		case val.Kind == yaml.MappingNode && len(val.Content) > 0:
			if err := flattenLines(file, val, p, pl, out); err != nil {
				errs = append(errs, err)
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
	return errors.Join(errs...)
}

// ApplySet applies one --set argument: key=value pairs separated by
// commas, with dotted keys. A backslash escapes a dot in a key
// (labels.app\.kubernetes\.io/name=typha) and a comma in a value. On
// error v is unchanged.
func (v *Values) ApplySet(expr string) error {
	var leaves []leaf
	var errs []error
	for _, pair := range splitEscaped(expr, ',') {
		src := Source{Flag: "--set " + pair}
		k, val, ok := strings.Cut(pair, "=")
		if !ok {
			errs = append(errs, &Error{Source: Source{Flag: "--set " + expr}, Reason: fmt.Sprintf("%q has no '=': want key=value, such as image.tag=v3.20.2", pair)})
			continue
		}
		path := splitEscaped(k, '.')
		for i := range path {
			path[i] = unescape(path[i])
		}
		if slices.Contains(path, "") {
			errs = append(errs, &Error{Source: src, Key: k, Reason: "has an empty key segment: want dotted keys such as image.tag"})
			continue
		}
		val = unescape(val)
		l := leaf{path: path, value: val, src: src}
		if val == "null" {
			l.null = true
		}
		leaves = append(leaves, l)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return v.applyAll(leaves)
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

// applyAll applies leaves to a copy of v and keeps it only when every leaf
// applied.
func (v *Values) applyAll(leaves []leaf) error {
	next := v.Clone()
	if next.src == nil {
		next.src = map[string]Source{}
	}
	var errs []error
	seen := map[string]bool{}
	for _, l := range leaves {
		// An unknown key with several values under it is reported once.
		if err := next.apply(l); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	*v = *next
	return nil
}

const topKeys = "region, nodes, kubeVersion, image, replicas, labels, annotations, resources, logSeverity"

// apply sets one leaf: the explicit mapping from keys to Options fields.
func (v *Values) apply(l leaf) error {
	key := strings.Join(l.path, ".")
	fail := func(reason string) error { return &Error{Source: l.src, Key: key, Reason: reason} }
	// unknown reports the key up to segment i, the first one not known,
	// on that key's own line.
	unknown := func(i int, reason string) error {
		src := l.src
		if i < len(l.lines) {
			src.Line = l.lines[i]
		}
		return &Error{Source: src, Key: strings.Join(l.path[:i+1], "."), Reason: "is not a known key: " + reason}
	}
	o := &v.opts
	p := l.path
	if i, reason := firstUnknown(p); i >= 0 {
		return unknown(i, reason)
	}
	if l.nonScalar == "empty" {
		// As in Helm, an empty mapping overrides nothing (null resets).
		if isGroup(p) {
			return nil
		}
		l.nonScalar = "mapping"
	}
	if l.nonScalar != "" {
		return fail(fmt.Sprintf("is a %s: want %s", l.nonScalar, want(p)))
	}
	str := func(field *string) error {
		if l.null {
			*field = ""
		} else {
			*field = l.value
		}
		v.src[key] = l.src
		return nil
	}
	num := func(field *int) error {
		if l.null {
			*field = 0
			v.src[key] = l.src
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(l.value))
		if err != nil {
			return fail(fmt.Sprintf("%q is not a whole number: want %s", l.value, want(p)))
		}
		*field = n
		v.src[key] = l.src
		return nil
	}
	switch p[0] {
	case "region":
		if len(p) == 1 {
			return str(&o.Region)
		}
	case "nodes":
		if len(p) == 1 {
			return num(&o.Nodes)
		}
	case "kubeVersion":
		if len(p) == 1 {
			return str(&o.KubeVersion)
		}
	case "replicas":
		if len(p) == 1 {
			return num(&o.Replicas)
		}
	case "logSeverity":
		if len(p) == 1 {
			return str(&o.LogSeverity)
		}
	case "image":
		if len(p) == 1 && l.null {
			o.Registry, o.Repository, o.Tag, o.Digest = "", "", "", ""
			v.src[key] = l.src
			return nil
		}
		if len(p) == 2 {
			switch p[1] {
			case "registry":
				return str(&o.Registry)
			case "repository":
				return str(&o.Repository)
			case "tag":
				return str(&o.Tag)
			case "digest":
				return str(&o.Digest)
			}
		}
		if len(p) == 1 {
			return fail("is a scalar: want a mapping with registry, repository, tag or digest")
		}
	case "labels", "annotations":
		m := &o.Labels
		if p[0] == "annotations" {
			m = &o.Annotations
		}
		switch {
		case len(p) == 1 && l.null:
			*m = nil
			v.src[key] = l.src
			return nil
		case len(p) == 1:
			return fail("is a scalar: want " + want(p))
		case len(p) > 2:
			// A file nests mappings; a key with dots on --set is escaped.
			return fail(fmt.Sprintf("is nested too deeply: want %s.<key>: value; on --set escape dots in the key, as in %s.app\\.kubernetes\\.io/name=typha", p[0], p[0]))
		case l.null:
			delete(*m, p[1])
		default:
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[p[1]] = l.value
		}
		v.src[key] = l.src
		return nil
	case "resources":
		if len(p) == 1 && l.null {
			o.Resources = corev1.ResourceRequirements{}
			v.src[key] = l.src
			return nil
		}
		if len(p) >= 2 && (p[1] == "requests" || p[1] == "limits") {
			list := &o.Resources.Requests
			if p[1] == "limits" {
				list = &o.Resources.Limits
			}
			switch {
			case len(p) == 2 && l.null:
				*list = nil
				v.src[key] = l.src
				return nil
			case len(p) == 2:
				return fail("is a scalar: want " + want(p))
			case len(p) > 3:
				return fail("is nested too deeply: want " + want(p[:2]))
			}
			name := corev1.ResourceName(p[2])
			if !resourceName(name) {
				return fail(fmt.Sprintf("%q is not a resource name: want cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource such as example.com/device", p[2]))
			}
			if l.null {
				delete(*list, name)
				v.src[key] = l.src
				return nil
			}
			q, err := resource.ParseQuantity(strings.TrimSpace(l.value))
			if err != nil {
				return fail(fmt.Sprintf("%q is not a quantity: want a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi", l.value))
			}
			if *list == nil {
				*list = corev1.ResourceList{}
			}
			(*list)[name] = q
			v.src[key] = l.src
			return nil
		}
		if len(p) == 1 {
			return fail("is a scalar: want a mapping with requests and limits")
		}
	}
	// firstUnknown has accepted p, so every known path returned above.
	return unknown(0, "want one of "+topKeys)
}

// firstUnknown returns the index of the first segment of p that is not a
// known key, with what would be accepted there; -1 when p is known.
func firstUnknown(p []string) (int, string) {
	switch p[0] {
	case "region", "nodes", "kubeVersion", "replicas", "logSeverity":
		if len(p) > 1 {
			return 1, p[0] + " is a scalar, not a mapping"
		}
	case "image":
		if len(p) > 1 && !slices.Contains([]string{"registry", "repository", "tag", "digest"}, p[1]) {
			return 1, "want image.registry, image.repository, image.tag or image.digest"
		}
		if len(p) > 2 {
			return 2, "image." + p[1] + " is a string, not a mapping"
		}
	case "labels", "annotations":
		// Any key: too deep a path has its own message.
	case "resources":
		if len(p) > 1 && p[1] != "requests" && p[1] != "limits" {
			return 1, "want resources.requests.<name> or resources.limits.<name>, such as resources.requests.cpu"
		}
	default:
		return 0, "want one of " + topKeys
	}
	return -1, ""
}

func isGroup(p []string) bool {
	switch strings.Join(p, ".") {
	case "image", "labels", "annotations", "resources", "resources.requests", "resources.limits":
		return true
	}
	return false
}

// want says what a key accepts.
func want(p []string) string {
	switch strings.Join(p, ".") {
	case "region":
		return "an Alibaba Cloud region ID such as cn-hangzhou"
	case "nodes":
		return "the cluster's node count, such as 1000"
	case "kubeVersion":
		return "the Kubernetes version the cluster reports, such as v1.30.7-aliyun.1"
	case "replicas":
		return "a replica count such as 5, or null for the recommendation"
	case "logSeverity":
		return "debug, info, warning, error or fatal"
	case "image":
		return "a mapping with registry, repository, tag or digest"
	case "labels":
		return "a mapping of label keys to values"
	case "annotations":
		return "a mapping of annotation keys to values"
	case "resources":
		return "a mapping with requests and limits"
	case "resources.requests", "resources.limits":
		return "a mapping of resource names to quantities, such as cpu: 250m"
	}
	switch {
	case len(p) == 2 && p[0] == "image":
		return "a string"
	case len(p) == 2 && (p[0] == "labels" || p[0] == "annotations"):
		return "a string value"
	case len(p) == 3 && p[0] == "resources":
		return "a quantity such as 250m or 512Mi"
	}
	return "one of " + topKeys
}

// resourceName reports whether name is a container resource Kubernetes
// accepts: a standard name, hugepages-<size>, or a domain-prefixed name.
func resourceName(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
		return true
	}
	s := string(name)
	return strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) || strings.Contains(s, "/")
}
