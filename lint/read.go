package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/yamlnode"
)

// Input limits. Each bounds the memory or time one hostile input can
// cost; an input past a limit is an error naming the file, the line where
// known, and the limit.
const (
	// MaxInputBytes is the largest file, or standard input, that is read:
	// 2 MiB, above the 1.5 MiB etcd stores per object. go-yaml holds a
	// whole document in memory, about 120 bytes per byte of the densest
	// input ("[1,1,1,...]"), so this bounds a read to about 250 MB.
	MaxInputBytes = 2 << 20
	// MaxDocuments is the most YAML documents one input may hold.
	MaxDocuments = 1000
	// MaxDepth is the deepest nesting of mappings and sequences in one
	// document. Kubernetes objects nest about 15 levels deep.
	MaxDepth = 100
	// MaxNodes is the most YAML nodes one document may expand to, aliases
	// followed: the guard against alias bombs ("billion laughs").
	MaxNodes = 200_000
	// MaxObjects is the most Kubernetes objects read across all inputs,
	// List items included.
	MaxObjects = 10_000
	// MaxFiles is the most files read from the directories given.
	MaxFiles = 10_000
)

// StdinName is the file name findings and errors use for standard input.
const StdinName = "<stdin>"

// ErrRead is wrapped by every [ReadError].
var ErrRead = errors.New("cannot read manifest")

// ReadError reports an input that cannot be linted: unreadable, not YAML
// or JSON, not a Kubernetes object, or past an input limit.
type ReadError struct {
	File   string // the path as given, or StdinName
	Line   int    // 1-based; 0 when no line applies
	Reason string // what is wrong and what would be accepted
	Err    error  // the underlying error, if any
}

func (e *ReadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// Unwrap returns the underlying error, if any.
func (e *ReadError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrRead], so that errors.Is finds the
// sentinel as well as the underlying error.
func (e *ReadError) Is(target error) bool { return target == ErrRead }

// Object is one Kubernetes object read from a manifest, with where it
// came from. Rules read its fields through the YAML node tree, so every
// finding can name the line of the field it is about.
type Object struct {
	File       string // the path as given, or StdinName
	Line       int    // the line the object starts on
	APIVersion string
	Kind       string
	Name       string // metadata.name; may be empty
	Namespace  string // metadata.namespace; empty when not set

	root *yaml.Node // the object's mapping node
}

// String names the object for messages: "Deployment kube-system/calico-typha".
func (o *Object) String() string {
	name := o.Name
	if name == "" {
		name = "(unnamed)"
	}
	if o.Namespace != "" {
		return o.Kind + " " + o.Namespace + "/" + name
	}
	return o.Kind + " " + name
}

// Read reads every Kubernetes object in one input: multi-document YAML, or
// JSON, with v1 List objects expanded into their items. name is the file
// name to report. Empty documents are skipped.
func Read(name string, r io.Reader) ([]*Object, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, &ReadError{File: name, Reason: "cannot be read: " + err.Error(), Err: err}
	}
	if len(data) > MaxInputBytes {
		return nil, &ReadError{File: name, Reason: fmt.Sprintf("is larger than %d bytes (MaxInputBytes): split it, or lint the Typha and eni-config manifests on their own", MaxInputBytes)}
	}
	return Parse(name, data)
}

// Parse is [Read] for data already in memory; it refuses data larger than
// [MaxInputBytes] all the same.
func Parse(name string, data []byte) ([]*Object, error) {
	if len(data) > MaxInputBytes {
		return nil, &ReadError{File: name, Reason: fmt.Sprintf("is larger than %d bytes (MaxInputBytes)", MaxInputBytes)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, &ReadError{File: name, Line: 1 + bytes.Count(data[:i], []byte("\n")), Reason: "holds a NUL byte: it is a binary file, not YAML or JSON"}
	}
	p := parser{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := decode(dec, &n)
		if errors.Is(err, io.EOF) {
			return p.objs, nil
		}
		if err != nil {
			return nil, yamlError(name, doc, err)
		}
		if doc > MaxDocuments {
			return nil, &ReadError{File: name, Line: n.Line, Reason: fmt.Sprintf("has more than %d YAML documents (MaxDocuments)", MaxDocuments)}
		}
		if err := p.document(&n, doc); err != nil {
			return nil, err
		}
	}
}

// FromObjects returns the Objects [Lint] checks for objects already in
// memory, such as the typed k8s.io/api objects render builds: each is
// encoded as JSON (so it must have apiVersion and kind set) and read as
// [Parse] reads a file called name, the objects one document after the
// other, so a finding's Line counts lines of that indented JSON. Lint the
// encoded YAML with Parse instead when findings should point into it.
func FromObjects(name string, objs ...any) ([]*Object, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		data, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return nil, &ReadError{File: name, Reason: fmt.Sprintf("object %d cannot be encoded as JSON: %v", i+1, err), Err: err}
		}
		buf.WriteString("---\n")
		buf.Write(data)
		buf.WriteByte('\n')
	}
	return Parse(name, buf.Bytes())
}

// decode runs the YAML decoder, turning a panic inside it into an error:
// an input must never crash the caller. The fuzz target checks that no
// input reaches the recover.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errParserPanic, r)
		}
	}()
	return dec.Decode(n)
}

var errParserPanic = errors.New("the YAML parser failed")

// yamlLineRE is compiled on first use: only a YAML error needs it.
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

// isParserProblem reports whether msg is a problem go-yaml v3's parser
// (not its scanner) reports. For those it prints a 0-based line (and none
// for the first line), where scanner errors print a 1-based one;
// yamlError corrects it.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// yamlError turns a go-yaml error into a ReadError with the line it names.
func yamlError(file string, doc int, err error) *ReadError {
	msg := err.Error()
	line := 0
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if isParserProblem(msg) {
		line++
	}
	return &ReadError{File: file, Line: line, Reason: fmt.Sprintf("document %d is not valid YAML or JSON: %s", doc, msg), Err: err}
}

type parser struct {
	file string
	objs []*Object
}

// document checks one parsed document against the limits and collects the
// objects in it.
func (p *parser) document(doc *yaml.Node, index int) error {
	if doc.Kind == 0 || (doc.Kind == yaml.DocumentNode && len(doc.Content) == 0) {
		return nil // an empty document, or comments only
	}
	root := doc
	if doc.Kind == yaml.DocumentNode {
		root = doc.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	budget := MaxNodes
	if err := p.check(root, 1, &budget); err != nil {
		return err
	}
	return p.object(root, fmt.Sprintf("document %d", index), 0)
}

// check walks n, following aliases, and fails past MaxDepth or MaxNodes,
// or on a duplicate mapping key. An alias cycle fails on depth.
func (p *parser) check(n *yaml.Node, depth int, budget *int) error {
	return p.walk(n, depth, budget, 0)
}

// walk is check; via is the line of the outermost alias being followed, 0
// outside one, so that an alias bomb is reported where it goes off.
func (p *parser) walk(n *yaml.Node, depth int, budget *int, via int) error {
	if depth > MaxDepth {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("nests deeper than %d levels (MaxDepth)", MaxDepth)}
	}
	*budget--
	if *budget < 0 {
		line := n.Line
		if via != 0 {
			line = via
		}
		return &ReadError{File: p.file, Line: line, Reason: fmt.Sprintf("expands to more than %d YAML nodes (MaxNodes), aliases followed: an alias bomb, or a document too large to lint", MaxNodes)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return &ReadError{File: p.file, Line: n.Line, Reason: "has an alias to no anchor"}
		}
		if via == 0 {
			via = n.Line
		}
		return p.walk(n.Alias, depth+1, budget, via)
	case yaml.MappingNode:
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				if first, dup := seen[k.Value]; dup {
					return &ReadError{File: p.file, Line: k.Line, Reason: fmt.Sprintf("has the key %q twice in one mapping (first at line %d): the API server rejects it, and tools disagree on which value wins", k.Value, first)}
				}
				seen[k.Value] = k.Line
			}
		}
		fallthrough
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if err := p.walk(c, depth+1, budget, via); err != nil {
				return err
			}
		}
	}
	return nil
}

// object collects the Kubernetes object at n, or the items of a List.
func (p *parser) object(n *yaml.Node, where string, depth int) error {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("%s is not a Kubernetes object: want a mapping with apiVersion and kind, got a %s", where, yamlnode.KindName(n))}
	}
	apiVersion, kind := scalar(get(n, "apiVersion")), scalar(get(n, "kind"))
	if apiVersion == "" || kind == "" {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("%s is not a Kubernetes object: it has no apiVersion or no kind (a Helm values file or a kustomize patch cannot be linted; lint the rendered manifests)", where)}
	}
	if kind == "List" || (strings.HasSuffix(kind, "List") && get(n, "items") != nil) {
		items := resolve(get(n, "items"))
		if items == nil || (items.Kind == yaml.ScalarNode && items.Tag == "!!null") {
			return nil
		}
		if items.Kind != yaml.SequenceNode {
			return &ReadError{File: p.file, Line: items.Line, Reason: fmt.Sprintf("%s is a %s whose items is a %s, not a sequence of objects", where, kind, yamlnode.KindName(items))}
		}
		for i, item := range items.Content {
			if err := p.object(item, fmt.Sprintf("%s, %s item %d", where, kind, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if len(p.objs) >= MaxObjects {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("brings the objects read past %d (MaxObjects)", MaxObjects)}
	}
	meta := get(n, "metadata")
	p.objs = append(p.objs, &Object{
		File: p.file, Line: n.Line, APIVersion: apiVersion, Kind: kind,
		Name: scalar(get(meta, "name")), Namespace: scalar(get(meta, "namespace")),
		root: n,
	})
	return nil
}

// resolve follows an alias to its anchor.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < MaxDepth; i++ {
		n = n.Alias
	}
	return n
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// keyNode returns the key node of key in mapping n, for its line.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return k
		}
	}
	return nil
}

// path follows keys from n.
func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = get(n, k)
	}
	return n
}

// scalar returns the value of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// items returns the elements of a sequence node, aliases resolved.
func items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, resolve(c))
	}
	return out
}

// stringMap returns a mapping of scalars as a Go map; non-scalar values
// are left out.
func stringMap(n *yaml.Node) map[string]string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := resolve(n.Content[i+1]); v.Kind == yaml.ScalarNode {
			m[scalar(n.Content[i])] = v.Value
		}
	}
	return m
}

// lineOf returns n's line, or fallback when n is nil.
func lineOf(n *yaml.Node, fallback int) int {
	if n == nil || n.Line == 0 {
		return fallback
	}
	return n.Line
}

// ReadPaths reads every input in paths: "-" is stdin, a directory is
// walked recursively in lexical order for .yaml, .yml and .json files, and
// a file is read whatever its name. It reads all of them and returns the
// objects of those it could read and every error, joined.
func ReadPaths(paths []string, stdin io.Reader) ([]*Object, error) {
	var (
		objs   []*Object
		errs   []error
		nfiles int
	)
	add := func(got []*Object, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		if len(objs)+len(got) > MaxObjects {
			errs = append(errs, &ReadError{File: got[0].File, Reason: fmt.Sprintf("brings the objects read past %d (MaxObjects)", MaxObjects)})
			return
		}
		objs = append(objs, got...)
	}
	readFile := func(path string) {
		nfiles++
		if nfiles > MaxFiles {
			if nfiles == MaxFiles+1 {
				errs = append(errs, &ReadError{File: path, Reason: fmt.Sprintf("is past the %d files read (MaxFiles): lint fewer directories at once", MaxFiles)})
			}
			return
		}
		f, err := os.Open(path)
		if err != nil {
			errs = append(errs, &ReadError{File: path, Reason: "cannot be opened: " + pathErr(err), Err: err})
			return
		}
		defer f.Close()
		add(Read(path, f))
	}
	stdinRead := false
	for _, path := range paths {
		if path == "-" {
			if stdinRead {
				errs = append(errs, &ReadError{File: StdinName, Reason: `"-" is given more than once: standard input can be read once`})
				continue
			}
			stdinRead = true
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			add(Read(StdinName, stdin))
			continue
		}
		info, err := os.Stat(path)
		if err != nil {
			errs = append(errs, &ReadError{File: path, Reason: "cannot be read: " + pathErr(err), Err: err})
			continue
		}
		if !info.IsDir() {
			readFile(path)
			continue
		}
		var files []string
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &ReadError{File: p, Reason: "cannot be read: " + pathErr(err), Err: err})
				return nil
			}
			if !hasExt(p) || d.IsDir() {
				return nil
			}
			// A symlink to a file is read; WalkDir does not follow
			// symlinks to directories, so a link cycle cannot loop.
			if d.Type().IsRegular() {
				files = append(files, p)
			} else if info, err := os.Stat(p); err != nil {
				errs = append(errs, &ReadError{File: p, Reason: "is a symlink that cannot be followed: " + pathErr(err), Err: err})
			} else if info.Mode().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &ReadError{File: path, Reason: "cannot be walked: " + pathErr(err), Err: err})
		}
		sort.Strings(files)
		if len(files) == 0 {
			errs = append(errs, &ReadError{File: path, Reason: "is a directory with no .yaml, .yml or .json file in it"})
		}
		for _, f := range files {
			readFile(f)
		}
	}
	return objs, errors.Join(errs...)
}

// hasExt reports whether p has an extension read from directories:
// .yaml, .yml or .json, in any case.
func hasExt(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// pathErr returns the reason of a *fs.PathError without repeating the path.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
