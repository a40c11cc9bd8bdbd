package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/typharender/typharender/internal/diff"
	"github.com/typharender/typharender/render"
)

// file is one file to write, with a slash-separated path relative to the
// output directory.
type file struct {
	path string
	data []byte
}

// kustomization is the file --output-dir writes beside the objects.
const kustomization = "kustomization.yaml"

// objectFile matches the names objectFiles gives: NN-<kind>-<name>.yaml.
var objectFile = regexp.MustCompile(`^[0-9]{2}-[a-z]+-[a-z0-9.-]+\.yaml$`)

// objectFiles returns one YAML file per object, named NN-<kind>-<name>.yaml
// in the order given (the order to apply them), and a kustomization.yaml
// that lists them in that order. A fleet passes its yamlMemo; nil encodes
// every object.
func objectFiles(objs []render.Object, memo *yamlMemo) ([]file, error) {
	files := make([]file, 0, len(objs)+1)
	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for i, obj := range objs {
		kind := strings.ToLower(obj.GetObjectKind().GroupVersionKind().Kind)
		name := fmt.Sprintf("%02d-%s-%s.yaml", i, kind, obj.GetName())
		data, err := memo.encode(obj)
		if err != nil {
			return nil, err
		}
		files = append(files, file{path: name, data: data})
		fmt.Fprintf(&k, "- %s\n", name)
	}
	return append(files, file{path: kustomization, data: []byte(k.String())}), nil
}

// yamlMemo encodes objects as YAML for one fleet and keeps the bytes of
// each distinct object: clusters share most of theirs (the CRD always; the
// Service, the PodDisruptionBudget and often the Deployment with every
// cluster of the same version, size and region), and the YAML is a function
// of the object's type and JSON form, which are the key. Safe for
// concurrent use; shared bytes are only read.
type yamlMemo struct {
	mu   sync.Mutex
	seen map[string][]byte
}

func newYAMLMemo() *yamlMemo { return &yamlMemo{seen: map[string][]byte{}} }

// encode returns obj as YAML, as render.EncodeYAML writes it.
func (m *yamlMemo) encode(obj render.Object) ([]byte, error) {
	var key string
	if m != nil {
		if j, err := json.Marshal(obj); err == nil { // else EncodeYAML reports it
			key = reflect.TypeOf(obj).String() + "\n" + string(j)
			m.mu.Lock()
			data, ok := m.seen[key]
			m.mu.Unlock()
			if ok {
				return data, nil
			}
		}
	}
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, obj); err != nil {
		return nil, err
	}
	if key != "" {
		m.mu.Lock()
		m.seen[key] = buf.Bytes()
		m.mu.Unlock()
	}
	return buf.Bytes(), nil
}

// writeTree makes dir hold exactly files, atomically: it writes them into
// a temporary directory beside dir and renames it into place, so a failure
// leaves dir as it was. An existing dir is replaced only when it holds
// nothing but files typharender writes (a fleet's: directories of them);
// anything else is an error, so nothing a person put there is lost.
func writeTree(dir string, files []file, fleet bool) error {
	dir = filepath.Clean(dir)
	flag := "--output-dir " + dir
	// The directory is renamed as a whole, so it cannot be the working
	// directory or hold it.
	if abs, err := filepath.Abs(dir); err == nil {
		if wd, err := os.Getwd(); err == nil && (wd == abs || strings.HasPrefix(wd, abs+string(filepath.Separator))) {
			return fmt.Errorf("%s: is the working directory or holds it: want a directory below it, such as typha/", flag)
		}
	}
	info, err := os.Stat(dir)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w: want a path to a new or existing directory", flag, unwrapPathError(err))
	case exists && !info.IsDir():
		return fmt.Errorf("%s: is a file: want a directory, new or holding only typharender's output", flag)
	case exists:
		if foreign := foreignFiles(dir, fleet); len(foreign) > 0 {
			return fmt.Errorf("%s: holds %s, which typharender did not write: want a new or empty directory, or one holding only typharender's output (NN-<kind>-<name>.yaml and kustomization.yaml%s)", flag, quoteList(foreign), map[bool]string{true: " in one directory per cluster"}[fleet])
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return failure(fmt.Errorf("%s: %w", flag, err))
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return failure(fmt.Errorf("%s: %w", flag, err))
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left to remove
	if err := os.Chmod(tmp, 0o755); err != nil {
		return failure(fmt.Errorf("%s: %w", flag, err))
	}
	// A fleet is tens of thousands of files: write them on every core.
	if err := parallel(len(files), func(i int) error {
		p := filepath.Join(tmp, filepath.FromSlash(files[i].path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return failure(fmt.Errorf("%s: %w", flag, err))
		}
		if err := os.WriteFile(p, files[i].data, 0o644); err != nil {
			return failure(fmt.Errorf("%s: %w", flag, err))
		}
		return nil
	}); err != nil {
		return err
	}
	if !exists {
		if err := os.Rename(tmp, dir); err != nil {
			return failure(fmt.Errorf("%s: %w", flag, err))
		}
		return nil
	}
	// Swap: move the old directory aside (to a name beside the unique
	// temporary one), the new one in, then delete the old one.
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return failure(fmt.Errorf("%s: %w", flag, err))
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return failure(fmt.Errorf("%s: %w; the previous contents are in %s", flag, err, old))
		}
		return failure(fmt.Errorf("%s: %w", flag, err))
	}
	if err := os.RemoveAll(old); err != nil {
		return failure(fmt.Errorf("%s: written, but removing the previous contents in %s: %w", flag, old, err))
	}
	return nil
}

// foreignFiles lists what in dir typharender would not have written.
func foreignFiles(dir string, fleet bool) []string {
	var foreign []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []string{dir + " (unreadable: " + unwrapPathError(err).Error() + ")"}
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case fleet && e.IsDir():
			foreign = append(foreign, foreignFiles(p, false)...)
		case !fleet && e.Type().IsRegular() && (e.Name() == kustomization || objectFile.MatchString(e.Name())):
		default:
			foreign = append(foreign, p)
		}
	}
	return foreign
}

func quoteList(paths []string) string {
	const show = 3
	q := make([]string, 0, show)
	for i, p := range paths {
		if i == show {
			q = append(q, fmt.Sprintf("and %d more", len(paths)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", p))
	}
	return strings.Join(q, ", ")
}

// joinPath joins dir and a slash-separated relative path for messages.
func joinPath(dir, rel string) string {
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// checkTree compares dir with files, as writeTree would leave it: a
// unified diff for each file that differs, and a line for each file
// missing from dir or only in it. Any difference exits 1.
func checkTree(s streams, dir string, files []file) error {
	dir = filepath.Clean(dir)
	want := make(map[string]bool, len(files))
	var out strings.Builder
	differ := 0
	for _, f := range files {
		want[f.path] = true
		p := joinPath(dir, f.path)
		got, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(&out, "Only in rendered: %s\n", f.path)
			differ++
		case err != nil:
			return fmt.Errorf("--check %s: %w", dir, err)
		default:
			if d := diff.Unified(p, "rendered/"+f.path, got, f.data); d != "" {
				out.WriteString(d)
				differ++
			}
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() || want[filepath.ToSlash(rel)] {
			return nil
		}
		fmt.Fprintf(&out, "Only in %s: %s\n", dir, filepath.ToSlash(rel))
		differ++
		return nil
	})
	if err != nil {
		return fmt.Errorf("--check %s: %w", dir, err)
	}
	if differ == 0 {
		return nil
	}
	if _, err := io.WriteString(s.Out, out.String()); err != nil {
		return writeErr(err)
	}
	what := "files differ"
	if differ == 1 {
		what = "file differs"
	}
	return failure(fmt.Errorf("--check %s: %d %s from the rendering (diff on stdout); to accept, render again with --output-dir %s", dir, differ, what, dir))
}
