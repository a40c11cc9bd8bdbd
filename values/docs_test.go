package values

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/render"
)

const (
	tableBegin = "<!-- values table: generated from values/keys.go by make docs -->\n"
	tableEnd   = "<!-- end of values table -->\n"
)

// TestValuesReference checks that docs/reference/values.md holds the
// table Markdown generates; make docs (and make golden) rewrite it.
func TestValuesReference(t *testing.T) {
	golden.CheckSection(t, filepath.Join("..", "docs", "reference", "values.md"), tableBegin, tableEnd, []byte(Markdown()))
}

func TestHelpListsEveryKey(t *testing.T) {
	t.Parallel()
	help := Help()
	rest := help
	for _, r := range rows {
		i := strings.Index(rest, r.key)
		if i < 0 {
			t.Fatalf("Help() does not list %s after the keys before it:\n%s", r.key, help)
		}
		rest = rest[i+len(r.key):]
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > 75 {
			t.Errorf("Help() line longer than 75 columns: %q", line)
		}
	}
}

// TestTableCoversOptions checks that every render.Options field is set by
// a row, so that a new option without a values key fails here.
func TestTableCoversOptions(t *testing.T) {
	t.Parallel()
	fields := map[string]bool{}
	for _, r := range rows {
		fields[r.field] = true
	}
	typ := reflect.TypeFor[render.Options]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if name == "ENIConfig" {
			continue // the cluster's ConfigMap, read from its own file (render --eni-config), not a value
		}
		if name == "Resources" {
			for _, sub := range []string{"Resources.Requests", "Resources.Limits"} {
				if !fields[sub] {
					t.Errorf("no values key sets %s", sub)
				}
			}
			continue
		}
		if ft := typ.Field(i).Type; ft.Kind() == reflect.Struct {
			for j := range ft.NumField() {
				if sub := name + "." + ft.Field(j).Name; !fields[sub] {
					t.Errorf("no values key sets Options.%s: add a row to the values table", sub)
				}
			}
			continue
		}
		if !fields[name] {
			t.Errorf("no values key sets Options.%s: add a row to the values table", name)
		}
	}
}

// TestEveryRow applies each row's example over a valid cluster: it must
// render, change the options, be recorded under its key, and map back to
// its key from its field.
func TestEveryRow(t *testing.T) {
	t.Parallel()
	const cluster = "region=cn-hangzhou,nodes=1000,kubeVersion=v1.30.7-aliyun.1"
	for _, r := range rows {
		t.Run(r.key, func(t *testing.T) {
			t.Parallel()
			var base Values
			if err := base.ApplySet(cluster); err != nil {
				t.Fatal(err)
			}
			v := base.Clone()
			if err := v.ApplySet(r.example); err != nil {
				t.Fatalf("example %s: %v", r.example, err)
			}
			if _, err := v.Render(); err != nil {
				t.Errorf("example %s does not render: %v", r.example, err)
			}
			if reflect.DeepEqual(v.Options(), base.Options()) && r.key != "nodes" && r.key != "region" && r.key != "kubeVersion" {
				t.Errorf("example %s changed no option", r.example)
			}
			key := unescape(r.exampleKey())
			if _, ok := v.SourceOf(key); !ok {
				t.Errorf("SourceOf(%q): not set", key)
			}
			field := r.field
			if r.isMap() {
				field += "[" + strings.TrimPrefix(key, strings.Join(r.prefix(), ".")+".") + "]"
			}
			if got := KeyForField(field); got != key {
				t.Errorf("KeyForField(%q) = %q, want %q", field, got, key)
			}
			for _, text := range []string{r.key, r.field, r.accepts, r.group, r.example, r.doc} {
				if strings.ContainsAny(text, "|\n") {
					t.Errorf("%q would break the values table: no | or newline", text)
				}
			}
			if !strings.Contains(Markdown(), "`"+r.key+"`") {
				t.Errorf("Markdown() has no line for %s", r.key)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	t.Parallel()
	if got := strings.Join(Required(), ","); got != "region,nodes,kubeVersion" {
		t.Errorf("Required() = %s", got)
	}
	var v Values
	if got := strings.Join(v.Missing(), ","); got != "region,nodes,kubeVersion" {
		t.Errorf("Missing() of no values = %s", got)
	}
	if err := v.ApplySet("region=cn-hangzhou,nodes=0"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.Missing(), ","); got != "kubeVersion" {
		t.Errorf("Missing() = %s, want kubeVersion (a 0 that was given is render's to refuse)", got)
	}
}
