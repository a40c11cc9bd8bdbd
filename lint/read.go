package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	slashpath "path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/rules"
)

// Input limits. Each bounds the memory or time one hostile input can
// cost; an input past a limit is an error naming the file, the line where
// known, and the limit.
const (
	// MaxInputBytes is the largest file, or standard input, that is read:
	// 32 MiB, room for the largest CRD bundles projects ship (Calico's
	// operator-crds.yaml is 2.6 to 3.5 MB) several times over. The file is
	// held in memory once; its documents are parsed one at a time.
	MaxInputBytes = 32 << 20
	// MaxDocumentBytes is the largest single YAML document or JSON value:
	// 2 MiB, above the 1.5 MiB etcd stores per object and the largest CRD
	// upstream ships (Calico's Installation, 1.55 MB). go-yaml holds a
	// whole document in memory, about 120 bytes per byte of the densest
	// input ("[1,1,1,...]"), so this bounds the parse of one document to
	// about 250 MB, whatever the size of the file.
	MaxDocumentBytes = 2 << 20
	// MaxDocuments is the most YAML documents one input may hold.
	MaxDocuments = 1000
	// MaxDepth is the deepest nesting of mappings and sequences in one
	// document. Kubernetes objects nest about 15 levels deep.
	MaxDepth = 100
	// MaxNodes is the most YAML nodes one document may expand to, aliases
	// followed: the guard against alias bombs ("billion laughs").
	MaxNodes = 200_000
	// MaxInputNodes is the most YAML nodes one input may hold over all
	// its documents, aliases followed: what the objects of one input keep
	// in memory, about 250 MB at most. Real bundles are far below it:
	// Calico's operator-crds.yaml (2.6 MB) holds 42,000 nodes.
	MaxInputNodes = 1_000_000
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

// Read reads every Kubernetes object in one input: multi-document YAML, or
// JSON, with v1 List objects expanded into their items. name is the file
// name to report. Empty documents are skipped.
func Read(name string, r io.Reader) ([]*rules.Object, error) {
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
func Parse(name string, data []byte) ([]*rules.Object, error) {
	objs, _, err := parse(name, data, false)
	return objs, err
}

// parse reads the objects of one input. With skipOthers (a file found by
// walking a directory) a document that is not a Kubernetes object (no
// apiVersion or kind, or not a mapping) is passed over with a note, not
// refused.
func parse(name string, data []byte, skipOthers bool) ([]*rules.Object, []string, error) {
	if len(data) > MaxInputBytes {
		return nil, nil, &ReadError{File: name, Reason: fmt.Sprintf("is larger than %d bytes (MaxInputBytes)", MaxInputBytes)}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, nil, &ReadError{File: name, Line: 1 + bytes.Count(data[:i], []byte("\n")), Reason: "holds a NUL byte: it is a binary file, not YAML or JSON"}
	}
	p := parser{file: name, skipOthers: skipOthers}
	doc := 0
	for _, ch := range split(data) {
		if len(ch.data) > MaxDocumentBytes {
			return nil, nil, &ReadError{File: name, Line: ch.line, Reason: fmt.Sprintf("document %d is larger than %d bytes (MaxDocumentBytes), more than any object the API server stores", doc+1, MaxDocumentBytes)}
		}
		dec := yaml.NewDecoder(bytes.NewReader(ch.data))
		for {
			var n yaml.Node
			err := decode(dec, &n)
			if errors.Is(err, io.EOF) {
				break
			}
			doc++
			if err != nil {
				return nil, nil, yamlError(name, doc, err, ch)
			}
			shiftLines(&n, ch.line-1)
			if doc > MaxDocuments {
				return nil, nil, &ReadError{File: name, Line: n.Line, Reason: fmt.Sprintf("has more than %d YAML documents (MaxDocuments)", MaxDocuments)}
			}
			if err := p.document(&n, doc); err != nil {
				return nil, nil, err
			}
		}
	}
	return p.objs, p.notes, nil
}

// chunk is a part of an input parsed on its own: one YAML document (from
// its --- line to the next), or one of several concatenated JSON values.
type chunk struct {
	data []byte
	line int // the line of the input it starts on
}

// split cuts an input into chunks, so that each is parsed on its own and
// MaxDocumentBytes bounds the memory of one parse. A YAML document
// marker, --- at the start of a line, ends the document before it
// wherever it appears (YAML 1.2, 9.1.4: c-forbidden), so cutting there is
// what the parser would do. An input that starts with { is read as a
// stream of JSON values, as kubectl reads one; when it is not one, it is
// parsed as YAML, whose error says what is wrong.
func split(data []byte) []chunk {
	if chunks, ok := splitJSON(data); ok {
		return chunks
	}
	var out []chunk
	start, startLine, line := 0, 1, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		if i > start && isDocumentStart(data[i:next]) {
			out = append(out, chunk{data: data[start:i], line: startLine})
			start, startLine = i, line
		}
		line++
		i = next
	}
	return append(out, chunk{data: data[start:], line: startLine})
}

// isDocumentStart reports whether a line is a YAML document marker: ---
// followed by white space or the end of the line.
func isDocumentStart(l []byte) bool {
	rest, ok := bytes.CutPrefix(l, []byte("---"))
	return ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\n')
}

// splitJSON cuts a stream of JSON objects ({...}{...} or one per line)
// into one chunk each; ok is false when data is not such a stream.
func splitJSON(data []byte) ([]chunk, bool) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []chunk
	prev, line := 0, 1
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(raw) == 0 || raw[0] != '{' {
			return nil, false
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		line += bytes.Count(data[prev:start], []byte("\n"))
		out = append(out, chunk{data: data[start:end], line: line})
		line += bytes.Count(data[start:end], []byte("\n"))
		prev = end
	}
	return out, len(out) > 1
}

// shiftLines adds by to the line of every node of the tree at n: its
// chunk started on line by+1 of the input. Aliases point into the same
// tree, so following Content alone visits every node once.
func shiftLines(n *yaml.Node, by int) {
	if by == 0 || n == nil {
		return
	}
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
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

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlError turns a go-yaml error into a ReadError with the line it names,
// counted in the input ch is part of.
func yamlError(file string, doc int, err error, ch chunk) *ReadError {
	msg := err.Error()
	line := 0
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if isParserProblem(msg) {
			line++
		}
	} else if msg = strings.TrimPrefix(msg, "yaml: "); strings.HasPrefix(msg, "exceeded max depth") || errors.Is(err, errParserPanic) {
		line = 0 // no position applies
	} else if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		// The decoder names no line: find the alias.
		if i := bytes.Index(ch.data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(ch.data[:i], []byte("\n"))
		}
	} else {
		// go-yaml leaves the line out when its 0-based mark is 0: line 1.
		line = 1
	}
	if line > 0 {
		line += ch.line - 1
	}
	return &ReadError{File: file, Line: line, Reason: fmt.Sprintf("document %d is not valid YAML or JSON: %s", doc, msg), Err: err}
}

type parser struct {
	file       string
	skipOthers bool // pass over documents that are not Kubernetes objects, with a note
	objs       []*rules.Object
	notes      []string
	nodes      int // the nodes of the documents so far, for MaxInputNodes
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
	if p.nodes += MaxNodes - budget; p.nodes > MaxInputNodes {
		return &ReadError{File: p.file, Line: root.Line, Reason: fmt.Sprintf("brings the YAML nodes of the input past %d (MaxInputNodes), aliases followed: split it into several files", MaxInputNodes)}
	}
	if p.skipOthers && depthZeroNotObject(root) {
		p.notes = append(p.notes, fmt.Sprintf("%s:%d: skipped document %d: not a Kubernetes object (no apiVersion and kind), such as a Helm values file or a CI workflow", p.file, root.Line, index))
		return nil
	}
	return p.object(root, fmt.Sprintf("document %d", index), 0)
}

// depthZeroNotObject reports whether a document's root is not a
// Kubernetes object: not a mapping, or without apiVersion or kind.
func depthZeroNotObject(root *yaml.Node) bool {
	n := yn.Resolve(root)
	return n.Kind != yaml.MappingNode || yn.Scalar(yn.Get(n, "apiVersion")) == "" || yn.Scalar(yn.Get(n, "kind")) == ""
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
	n = yn.Resolve(n)
	if n.Kind != yaml.MappingNode {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("%s is not a Kubernetes object: want a mapping with apiVersion and kind, got a %s", where, yn.KindName(n))}
	}
	apiVersion, kind := yn.Scalar(yn.Get(n, "apiVersion")), yn.Scalar(yn.Get(n, "kind"))
	if apiVersion == "" || kind == "" {
		return &ReadError{File: p.file, Line: n.Line, Reason: fmt.Sprintf("%s is not a Kubernetes object: it has no apiVersion or no kind (a Helm values file or a kustomize patch cannot be linted; lint the rendered manifests)", where)}
	}
	if kind == "List" || (strings.HasSuffix(kind, "List") && yn.Get(n, "items") != nil) {
		items := yn.Resolve(yn.Get(n, "items"))
		if items == nil || (items.Kind == yaml.ScalarNode && items.Tag == "!!null") {
			return nil
		}
		if items.Kind != yaml.SequenceNode {
			return &ReadError{File: p.file, Line: items.Line, Reason: fmt.Sprintf("%s is a %s whose items is a %s, not a sequence of objects", where, kind, yn.KindName(items))}
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
	p.objs = append(p.objs, rules.NewObject(p.file, n))
	return nil
}

// ReadPaths reads every input in paths: "-" is stdin, a directory is
// walked recursively in lexical order for .yaml, .yml and .json files, and
// a file is read whatever its name. It reads all of them and returns the
// objects of those it could read and every error, joined. It is
// [ReadAll] with stdin and no other option.
func ReadPaths(paths []string, stdin io.Reader) ([]*rules.Object, error) {
	in, err := ReadAll(paths, ReadOptions{Stdin: stdin})
	return in.Objects, err
}

// ReadOptions are how [ReadAll] reads. The zero value reads no stdin and
// excludes nothing.
type ReadOptions struct {
	Stdin io.Reader // what "-" reads; nil: empty
	// Exclude are glob patterns (path.Match syntax) for what directory
	// walks pass over: a pattern without a slash is matched against each
	// file and directory name, one with a slash against the path relative
	// to the directory given, slash-separated. A matching directory is
	// not entered. Files named explicitly are always read.
	Exclude []string
}

// Inputs is what [ReadAll] read.
type Inputs struct {
	Objects []*rules.Object
	Files   int   // files read, standard input included
	Bytes   int64 // bytes read
	// Notes say what a directory walk passed over: hidden files and
	// directories, and documents that are not Kubernetes objects, one line
	// each ("path:line: ..."), in the order they were met.
	Notes []string
}

// ErrPattern is wrapped by the error for a bad [ReadOptions.Exclude] pattern.
var ErrPattern = errors.New("bad exclude pattern")

// ReadAll reads every input in paths as [ReadPaths] does. A directory is
// walked recursively in lexical order for .yaml, .yml and .json files,
// passing over hidden files and directories (names starting with "."),
// what opts.Exclude matches, and documents that are not Kubernetes
// objects (a Helm values file, a CI workflow), each with a note; a file
// named explicitly is read whatever its name, and a document in it that is
// not a Kubernetes object is an error. At most [MaxFiles] files are read.
func ReadAll(paths []string, opts ReadOptions) (*Inputs, error) {
	in := &Inputs{}
	var errs []error
	for _, pat := range opts.Exclude {
		if _, err := slashpath.Match(pat, ""); err != nil || pat == "" {
			return in, fmt.Errorf("%w %q: want a glob such as *.json, charts/*/values.yaml or templates", ErrPattern, pat)
		}
	}
	add := func(got []*rules.Object, notes []string, err error) {
		in.Notes = append(in.Notes, notes...)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if len(in.Objects)+len(got) > MaxObjects {
			errs = append(errs, &ReadError{File: got[0].File, Reason: fmt.Sprintf("brings the objects read past %d (MaxObjects)", MaxObjects)})
			return
		}
		in.Objects = append(in.Objects, got...)
	}
	readInput := func(name string, r io.Reader, walked bool) {
		data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
		if err != nil {
			errs = append(errs, &ReadError{File: name, Reason: "cannot be read: " + err.Error(), Err: err})
			return
		}
		in.Files++
		in.Bytes += int64(len(data))
		if len(data) > MaxInputBytes {
			errs = append(errs, &ReadError{File: name, Reason: fmt.Sprintf("is larger than %d bytes (MaxInputBytes): split it, or lint the Typha and eni-config manifests on their own", MaxInputBytes)})
			return
		}
		objs, notes, err := parse(name, data, walked)
		if err != nil && walked {
			var re *ReadError
			if errors.As(err, &re) && strings.Contains(re.Reason, "not valid YAML") {
				re.Reason += " (if it is not a manifest, such as a Helm template, exclude it from the walk)"
			}
		}
		add(objs, notes, err)
	}
	nfiles := 0
	readFile := func(path string, walked bool) {
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
		readInput(path, f, walked)
	}
	stdinRead := false
	for _, root := range paths {
		if root == "-" {
			if stdinRead {
				errs = append(errs, &ReadError{File: StdinName, Reason: `"-" is given more than once: standard input can be read once`})
				continue
			}
			stdinRead = true
			stdin := opts.Stdin
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			readInput(StdinName, stdin, false)
			continue
		}
		info, err := os.Stat(root)
		if err != nil {
			errs = append(errs, &ReadError{File: root, Reason: "cannot be read: " + pathErr(err), Err: err})
			continue
		}
		if !info.IsDir() {
			readFile(root, false)
			continue
		}
		var files []string
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &ReadError{File: p, Reason: "cannot be read: " + pathErr(err), Err: err})
				return nil
			}
			if p != root {
				if strings.HasPrefix(d.Name(), ".") {
					what := "file"
					if d.IsDir() {
						what = "directory"
					}
					in.Notes = append(in.Notes, fmt.Sprintf("%s: skipped hidden %s", p, what))
					return skip(d)
				}
				if excluded(opts.Exclude, root, p, d.Name()) {
					return skip(d)
				}
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
			errs = append(errs, &ReadError{File: root, Reason: "cannot be walked: " + pathErr(err), Err: err})
		}
		sort.Strings(files)
		if len(files) == 0 {
			errs = append(errs, &ReadError{File: root, Reason: "is a directory with no .yaml, .yml or .json file in it (hidden and excluded ones are passed over)"})
		}
		for _, f := range files {
			readFile(f, true)
		}
	}
	return in, errors.Join(errs...)
}

// skip passes over d in a walk: a directory is not entered.
func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// excluded reports whether a pattern of exclude matches the entry p
// (named name) of the walk of root.
func excluded(exclude []string, root, p, name string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		rel = p
	}
	rel = filepath.ToSlash(rel)
	for _, pat := range exclude {
		target := name
		if strings.Contains(pat, "/") {
			target = rel
		}
		if ok, _ := slashpath.Match(pat, target); ok {
			return true
		}
	}
	return false
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
