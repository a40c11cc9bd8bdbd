package lint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes through the reader, every rule and every
// output format: no input may panic (the reader's recover around the YAML
// parser must never fire either), an error must be a ReadError with a
// file name, and what is read must lint and print.
func FuzzRead(f *testing.F) {
	for _, dir := range []string{"testdata/fixtures", "../testdata/guide", "../testdata/eniconfig", "../testdata/golden/eniconfig"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "---\n---\n", "# only a comment\n", "\x00", "\xff\xfe",
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"calico-typha"}}]}`,
		"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: eni-config}, data: {disable_network_policy: False}}]\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\napiVersion: v1\nkind: Service\n",
		"apiVersion: v1\nkind: Service\nspec: {ports: [{name: calico-typha, port: 5474}], selector: &s {k: v}}\nx: *s\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: calico-typha}\nspec: {replicas: 1, selector: {matchExpressions: [{key: a, operator: In, values: [b]}]}, template: {spec: {containers: [{name: calico-typha, image: 'a/{REGION-ID}'}]}}}\n",
		"apiVersion: v1\nkind: Service\nkind: Service\n",
		strings.Repeat("[", 200),
		`{"apiVersion":"v1","kind":"Service"}{"apiVersion":"v1",` + "\n" + `"kind":"ConfigMap"}`,
		"--- {apiVersion: v1, kind: Service}\n--- \n---\tx\n----\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse("fuzz.yaml", data)
		if err != nil {
			if errors.Is(err, errParserPanic) {
				t.Fatalf("the YAML parser panicked: %v", err)
			}
			var re *ReadError
			if !errors.As(err, &re) || re.File != "fuzz.yaml" || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error is not a ReadError naming the file: %#v", err)
			}
			return
		}
		r, err := Lint(objs, Facts{Nodes: 3, KubeVersion: "1.24", Region: "cn-hangzhou"})
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range r.Findings {
			if fd.Line < 1 || fd.File != "fuzz.yaml" {
				t.Fatalf("finding without a position: %+v", fd)
			}
		}
		for _, format := range Formats() {
			var buf bytes.Buffer
			if err := Write(&buf, format, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
	})
}
