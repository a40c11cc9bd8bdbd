package lint_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
)

type objPos struct {
	Kind, Name string
	Line       int
}

func positions(objs []*rules.Object) []objPos {
	out := []objPos{}
	for _, o := range objs {
		out = append(out, objPos{Kind: o.Kind, Name: o.Name, Line: o.Line})
	}
	return out
}

func TestParse(t *testing.T) {
	t.Parallel()
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "1.30"})
	require.NoError(t, err)
	var list bytes.Buffer
	require.NoError(t, render.EncodeJSON(&list, res.Service, res.Deployment))
	tests := []struct {
		name string
		in   string
		want []objPos
	}{
		{name: "multi-document", in: "# header\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n---\n# comments only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n...\n",
			want: []objPos{{"Service", "a", 3}, {"ConfigMap", "b", 10}}},
		{name: "JSON List from render", in: list.String(),
			want: []objPos{{"Service", "calico-typha", 4}, {"Deployment", "calico-typha", 28}}},
		{name: "YAML List", in: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
			want: []objPos{{"Service", "a", 4}, {"ConfigMap", "b", 7}}},
		{name: "typed List", in: "apiVersion: v1\nkind: ServiceList\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n",
			want: []objPos{{"Service", "a", 4}}},
		{name: "empty List", in: "apiVersion: v1\nkind: List\nitems: []\n", want: []objPos{}},
		{name: "null items", in: "apiVersion: v1\nkind: List\nitems:\n", want: []objPos{}},
		{name: "empty", in: "", want: []objPos{}},
		{name: "aliases within limits", in: "apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: &l {k8s-app: calico-typha}}\nspec: {selector: *l}\n",
			want: []objPos{{"Service", "a", 1}}},
		{name: "tabs in JSON", in: "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\"\n}\n", want: []objPos{{"Service", "", 1}}},
		// kubectl accepts JSON objects one after the other.
		{name: "concatenated JSON", in: "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}}{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}}\n\n{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Secret\",\n  \"metadata\": {\"name\": \"c\"}\n}\n",
			want: []objPos{{"Service", "a", 1}, {"ConfigMap", "b", 1}, {"Secret", "c", 4}}},
		{name: "JSON objects one per line", in: "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"}}\n{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"b\"}}\n",
			want: []objPos{{"Service", "a", 1}, {"Service", "b", 2}}},
		{name: "document marker with content", in: "--- {apiVersion: v1, kind: Service, metadata: {name: a}}\n--- \napiVersion: v1\nkind: Service\nmetadata: {name: b}\n",
			want: []objPos{{"Service", "a", 1}, {"Service", "b", 3}}},
		{name: "dashes inside a line", in: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: |\n    ---\n    y\n---\napiVersion: v1\nkind: Service\n",
			want: []objPos{{"ConfigMap", "a", 1}, {"Service", "", 9}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := lint.Parse("in.yaml", []byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, positions(objs))
			for _, o := range objs {
				assert.Equal(t, "in.yaml", o.File)
			}
		})
	}
}

func TestObjectString(t *testing.T) {
	t.Parallel()
	objs, err := lint.Parse("x", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: kube-system}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Service\n"))
	require.NoError(t, err)
	require.Len(t, objs, 3)
	assert.Equal(t, "Service kube-system/a", objs[0].String())
	assert.Equal(t, "Namespace b", objs[1].String())
	assert.Equal(t, "Service (unnamed)", objs[2].String())
}

// TestParseErrors: every kind of bad input is a ReadError with the file,
// the line where there is one, and the reason.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	bomb, err := os.ReadFile(filepath.Join("testdata", "alias-bomb.yaml"))
	require.NoError(t, err)
	deep := "apiVersion: v1\nkind: ConfigMap\nx: " + strings.Repeat("[", lint.MaxDepth) + strings.Repeat("]", lint.MaxDepth) + "\n"
	wide := "apiVersion: v1\nkind: ConfigMap\nx: [" + strings.Repeat("1,", lint.MaxNodes) + "1]\n"
	tests := []struct {
		name   string
		in     string
		line   int
		reason string
	}{
		{name: "malformed YAML", in: "apiVersion: v1\nkind: Service\nmetadata:\n  name: [a\n", line: 4, reason: "document 1 is not valid YAML or JSON"},
		{name: "bad indentation", in: "apiVersion: v1\n kind: Service\n", line: 2, reason: "not valid YAML"},
		{name: "malformed second document", in: "apiVersion: v1\nkind: Service\n---\nkind: [\n", line: 5, reason: "document 2 is not valid YAML"},
		{name: "malformed JSON", in: "{\"apiVersion\": \"v1\",\n \"kind\": \"Service\",,}\n", line: 2, reason: "not valid YAML or JSON"},
		{name: "helm values", in: "replicaCount: 3\nimage:\n  tag: v1\n", line: 1, reason: "document 1 is not a Kubernetes object: it has no apiVersion or no kind"},
		{name: "no kind", in: "apiVersion: v1\nmetadata: {name: a}\n", line: 1, reason: "no apiVersion or no kind"},
		{name: "kind not a string", in: "apiVersion: v1\nkind: {a: b}\n", line: 1, reason: "no apiVersion or no kind"},
		{name: "sequence", in: "- a\n- b\n", line: 1, reason: "want a mapping with apiVersion and kind, got a sequence"},
		{name: "scalar", in: "just some text\n", line: 1, reason: `got a scalar "just some text"`},
		{name: "List item not an object", in: "apiVersion: v1\nkind: List\nitems:\n- 42\n", line: 4, reason: "document 1, List item 0 is not a Kubernetes object"},
		{name: "List items not a sequence", in: "apiVersion: v1\nkind: List\nitems: {a: b}\n", line: 3, reason: "items is a mapping, not a sequence"},
		{name: "binary", in: "apiVersion: v1\nkind: Service\n\x00\x01\x02", line: 3, reason: "NUL byte: it is a binary file"},
		{name: "invalid UTF-8", in: "apiVersion: v1\nkind: \xff\xfe\n", reason: "not valid YAML or JSON"},
		{name: "control character", in: "apiVersion: v1\nkind: Service\x07\n", reason: "control characters are not allowed"},
		{name: "duplicate key", in: "apiVersion: v1\nkind: ConfigMap\ndata:\n  disable_network_policy: \"false\"\n  disable_network_policy: \"true\"\n", line: 5, reason: `has the key "disable_network_policy" twice in one mapping (first at line 4)`},
		{name: "unknown anchor", in: "apiVersion: v1\nkind: Service\nspec: *nope\n", reason: "unknown anchor 'nope' referenced"},
		{name: "too deep", in: deep, line: 3, reason: "nests deeper than 100 levels (MaxDepth)"},
		{name: "alias bomb", in: string(bomb), line: 11, reason: "expands to more than 200000 YAML nodes (MaxNodes), aliases followed"},
		{name: "too many nodes", in: wide, line: 3, reason: "more than 200000 YAML nodes"},
		{name: "very deep for the parser", in: "x: " + strings.Repeat("[", 20_000), line: 0, reason: "exceeded max depth of 10000"},
		// go-yaml names no line for a problem on the first line.
		{name: "scanner problem on line 1", in: "a: b: c\n", line: 1, reason: "mapping values are not allowed in this context"},
		{name: "bad character on line 1", in: "@foo\n", line: 1, reason: "found character that cannot start any token"},
		{name: "scanner problem on line 1 of document 2", in: "apiVersion: v1\nkind: Service\n--- a: b: c\n", line: 3, reason: "document 2 is not valid YAML"},
		{name: "unknown anchor has its line", in: "apiVersion: v1\nkind: Service\nspec: *nope\n", line: 3, reason: "unknown anchor 'nope' referenced"},
		{name: "second JSON object malformed", in: "{\"apiVersion\": \"v1\", \"kind\": \"Service\"}\n{\"apiVersion\": \"v1\",,}\n", line: 2, reason: "not valid YAML or JSON"},
		{name: "too many documents", in: strings.Repeat("---\n", lint.MaxDocuments+1), reason: "more than 1000 YAML documents (MaxDocuments)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := lint.Parse("bad.yaml", []byte(tc.in))
			require.Error(t, err)
			assert.Nil(t, objs)
			assert.ErrorIs(t, err, lint.ErrRead)
			var re *lint.ReadError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "bad.yaml", re.File)
			if tc.line > 0 {
				assert.Equal(t, tc.line, re.Line, err.Error())
			}
			assert.Contains(t, err.Error(), tc.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "bad.yaml:"), err.Error())
		})
	}
}

// TestAliasCycle: an anchor whose value refers to itself is refused, by
// the parser or by MaxDepth, never followed for ever.
func TestAliasCycle(t *testing.T) {
	t.Parallel()
	_, err := lint.Parse("cycle.yaml", []byte("apiVersion: v1\nkind: ConfigMap\ndata: &d {x: *d}\n"))
	require.Error(t, err)
	assert.ErrorIs(t, err, lint.ErrRead)
}

func TestReadLimit(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("# padding\n"), lint.MaxInputBytes/10+1)
	_, err := lint.Read("big.yaml", bytes.NewReader(big))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "big.yaml: is larger than 33554432 bytes (MaxInputBytes)")
	_, err = lint.Parse("big.yaml", big)
	assert.ErrorIs(t, err, lint.ErrRead)

	// Exactly at the limit is read: 512 documents of 64 KiB.
	doc := "---\n" + strings.Repeat("#", 64<<10-5) + "\n"
	at := strings.Repeat(doc, lint.MaxInputBytes/len(doc))
	require.Len(t, at, lint.MaxInputBytes)
	objs, err := lint.Read("limit.yaml", strings.NewReader(at))
	require.NoError(t, err)
	assert.Empty(t, objs)
}

// TestDocumentLimit: one document may hold MaxDocumentBytes, whatever the
// size of the file; past it the error names the line the document starts on.
func TestDocumentLimit(t *testing.T) {
	t.Parallel()
	obj := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	pad := func(n int) string { return strings.Repeat("#", n-1) + "\n" }
	head := "---\n" + obj
	at := head + pad(lint.MaxDocumentBytes-len(head))
	objs, err := lint.Parse("crds.yaml", []byte(obj+at+at))
	require.NoError(t, err)
	assert.Equal(t, []objPos{{"ConfigMap", "a", 1}, {"ConfigMap", "a", 5}, {"ConfigMap", "a", 10}}, positions(objs))

	_, err = lint.Parse("crds.yaml", []byte(obj+at+"#\n"))
	require.Error(t, err)
	assert.EqualError(t, err, "crds.yaml:4: document 2 is larger than 2097152 bytes (MaxDocumentBytes), more than any object the API server stores")
}

// TestInputNodesLimit: documents each within MaxNodes, together past
// MaxInputNodes, are refused at the document that crosses it.
func TestInputNodesLimit(t *testing.T) {
	t.Parallel()
	doc := "---\napiVersion: v1\nkind: ConfigMap\nx: [" + strings.Repeat("1,", lint.MaxNodes-20) + "1]\n"
	n := lint.MaxInputNodes / (lint.MaxNodes - 10)
	_, err := lint.Parse("dense.yaml", []byte(strings.Repeat(doc, n)))
	require.NoError(t, err)
	_, err = lint.Parse("dense.yaml", []byte(strings.Repeat(doc, n+1)))
	require.ErrorIs(t, err, lint.ErrRead)
	assert.EqualError(t, err, fmt.Sprintf("dense.yaml:%d: brings the YAML nodes of the input past 1000000 (MaxInputNodes), aliases followed: split it into several files", 1+n*4+1))
}

// TestRealBundle: Calico's operator-crds.yaml (2.6 MB, past the old
// 2 MiB limit) reads whole.
func TestRealBundle(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("testdata", "upstream", "calico-v3.31.7", "operator-crds.yaml.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	data, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Greater(t, len(data), 2<<20)
	objs, err := lint.Parse("operator-crds.yaml", data)
	require.NoError(t, err)
	require.NotEmpty(t, objs)
	for _, o := range objs {
		assert.Equal(t, "CustomResourceDefinition", o.Kind)
	}
	r, err := lint.Lint(objs, lint.Facts{KubeVersion: "v1.30.7-aliyun.1"})
	require.NoError(t, err)
	assert.Empty(t, r.Findings)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("device not ready") }

func TestReadFailure(t *testing.T) {
	t.Parallel()
	_, err := lint.Read(lint.StdinName, failingReader{})
	require.Error(t, err)
	assert.EqualError(t, err, "<stdin>: cannot be read: device not ready")
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func svc(name string) string {
	return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\n"
}

func TestReadPaths(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"b.yaml":             svc("b"),
		"a.yml":              svc("a"),
		"sub/c.json":         `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "c"}}`,
		"sub/deeper/d.YAML":  svc("d"),
		"README.md":          "not read",
		"values.txt":         "not read",
		"sub/.hidden/e.yaml": svc("e"),
	})
	explicit := filepath.Join(dir, "values.txt")
	require.NoError(t, os.WriteFile(explicit, []byte(svc("explicit")), 0o644))
	objs, err := lint.ReadPaths([]string{dir, "-", explicit}, strings.NewReader(svc("stdin")))
	require.NoError(t, err)
	var names, files []string
	for _, o := range objs {
		names = append(names, o.Name)
		rel, _ := filepath.Rel(dir, o.File)
		if o.File == lint.StdinName {
			rel = o.File
		}
		files = append(files, filepath.ToSlash(rel))
	}
	// sub/.hidden is a hidden directory: passed over.
	assert.Equal(t, []string{"a", "b", "c", "d", "stdin", "explicit"}, names)
	assert.Equal(t, []string{"a.yml", "b.yaml", "sub/c.json", "sub/deeper/d.YAML", "<stdin>", "values.txt"}, files)
}

// TestReadAllRealTree: a repository as people keep it, with a Helm chart,
// CI workflows and a kustomization beside the manifests.
func TestReadAllRealTree(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"deploy/typha.yaml":                 svc("typha"),
		"deploy/kustomization.yaml":         "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [typha.yaml]\n",
		"charts/typha/Chart.yaml":           "apiVersion: v2\nname: typha\nversion: 0.1.0\n",
		"charts/typha/values.yaml":          "replicaCount: 3\n",
		"charts/typha/templates/svc.yaml":   "{{- if .Values.enabled }}\napiVersion: v1\n{{- end }}\n",
		".github/workflows/ci.yml":          "on: [push]\njobs: {}\n",
		"deploy/.backup.yaml":               "kind: [\n",
		"deploy/list-of-things.yaml":        "- a\n- b\n",
		"deploy/mixed.yaml":                 "replicaCount: 3\n---\n" + svc("mixed"),
		"generated/cluster-a/00-typha.yaml": svc("generated"),
	})
	rel := func(in *lint.Inputs) (names []string) {
		for _, o := range in.Objects {
			names = append(names, o.Name)
		}
		return names
	}
	in, err := lint.ReadAll([]string{dir}, lint.ReadOptions{Exclude: []string{"templates", "generated/*"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"", "mixed", "typha"}, rel(in)) // the Kustomization has no name
	assert.Equal(t, 6, in.Files)
	notes := strings.Join(in.Notes, "\n")
	for _, want := range []string{
		filepath.Join(dir, ".github") + ": skipped hidden directory",
		filepath.Join(dir, "charts", "typha", "Chart.yaml") + ":1: skipped document 1: not a Kubernetes object (no apiVersion and kind)",
		filepath.Join(dir, "charts", "typha", "values.yaml") + ":1: skipped document 1",
		filepath.Join(dir, "deploy", ".backup.yaml") + ": skipped hidden file",
		filepath.Join(dir, "deploy", "list-of-things.yaml") + ":1: skipped document 1",
		filepath.Join(dir, "deploy", "mixed.yaml") + ":1: skipped document 1",
	} {
		assert.Contains(t, notes, want)
	}
	assert.NotContains(t, notes, "templates", "excluded: no note")
	assert.Len(t, in.Notes, 6)

	// Without the excludes the Helm template is an error that says how
	// to pass it over.
	_, err = lint.ReadAll([]string{dir}, lint.ReadOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "svc.yaml:1: document 1 is not valid YAML or JSON")
	assert.Contains(t, err.Error(), "exclude it from the walk")

	// A file named explicitly is read as given: a values file is an error,
	// and a hidden directory named explicitly is walked.
	_, err = lint.ReadAll([]string{filepath.Join(dir, "charts", "typha", "values.yaml")}, lint.ReadOptions{})
	require.ErrorIs(t, err, lint.ErrRead)
	assert.Contains(t, err.Error(), "values.yaml:1: document 1 is not a Kubernetes object")
	_, err = lint.ReadAll([]string{filepath.Join(dir, ".github")}, lint.ReadOptions{})
	require.NoError(t, err)

	// Excludes match names anywhere, or paths below the directory given.
	in, err = lint.ReadAll([]string{dir}, lint.ReadOptions{Exclude: []string{"charts", "*.yaml"}})
	require.Error(t, err, "nothing left to read")
	assert.Contains(t, err.Error(), "is a directory with no .yaml, .yml or .json file in it")
	assert.Empty(t, in.Objects)
	in, err = lint.ReadAll([]string{dir}, lint.ReadOptions{Exclude: []string{"charts/typha/templates/*", "deploy/mixed.yaml", "generated"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"", "typha"}, rel(in))

	_, err = lint.ReadAll([]string{dir}, lint.ReadOptions{Exclude: []string{"[oops"}})
	require.ErrorIs(t, err, lint.ErrPattern)
	assert.EqualError(t, err, `bad exclude pattern "[oops": want a glob such as *.json, charts/*/values.yaml or templates`)
}

func TestReadPathsErrors(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"good.yaml":  svc("good"),
		"bad.yaml":   "kind: [\n",
		"empty/x.md": "",
	})
	objs, err := lint.ReadPaths([]string{
		filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "missing.yaml"),
		filepath.Join(dir, "empty"), "-", "-",
	}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, lint.ErrRead)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.Len(t, objs, 1, "the readable inputs are still read")
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(dir, "bad.yaml") + ":2: document 1 is not valid YAML or JSON",
		filepath.Join(dir, "missing.yaml") + ": cannot be read: no such file or directory",
		filepath.Join(dir, "empty") + ": is a directory with no .yaml, .yml or .json file in it",
		`<stdin>: "-" is given more than once`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestReadPathsSymlinks(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"real/a.yaml": svc("a"), "other/b.yaml": svc("b")})
	require.NoError(t, os.Symlink(filepath.Join(dir, "other", "b.yaml"), filepath.Join(dir, "real", "link.yaml")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "real", "loop"))) // a cycle
	require.NoError(t, os.Symlink(filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "real", "dangling.yaml")))
	objs, err := lint.ReadPaths([]string{filepath.Join(dir, "real")}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dangling.yaml: is a symlink that cannot be followed: no such file or directory")
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	assert.Equal(t, []string{"a", "b"}, names)
}

func TestMaxObjects(t *testing.T) {
	t.Parallel()
	item := "- {apiVersion: v1, kind: ConfigMap}\n"
	list := "apiVersion: v1\nkind: List\nitems:\n" + strings.Repeat(item, lint.MaxObjects)
	objs, err := lint.Parse("list.yaml", []byte(list))
	require.NoError(t, err)
	assert.Len(t, objs, lint.MaxObjects)

	_, err = lint.Parse("list.yaml", []byte(list+item))
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("list.yaml:%d: brings the objects read past 10000 (MaxObjects)", 4+lint.MaxObjects))

	// Across inputs.
	dir := writeTree(t, map[string]string{"a.yaml": list, "b.yaml": svc("one-too-many")})
	objs, err = lint.ReadPaths([]string{dir}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b.yaml: brings the objects read past 10000 (MaxObjects)")
	assert.Len(t, objs, lint.MaxObjects)
}

func TestMaxFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range lint.MaxFiles + 1 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%05d.yaml", i)), nil, 0o644))
	}
	_, err := lint.ReadPaths([]string{dir}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "10000.yaml: is past the 10000 files read (MaxFiles)")
	assert.Equal(t, 1, strings.Count(err.Error(), "(MaxFiles)"), "reported once")
}
