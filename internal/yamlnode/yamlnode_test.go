package yamlnode

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestKindName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{"a: 1", "mapping"},
		{"- 1", "sequence"},
		{"~", "null"},
		{"hello", `scalar "hello"`},
		{strings.Repeat("x", 50), `scalar "` + strings.Repeat("x", 40) + `..."`},
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &doc); err != nil {
			t.Fatal(err)
		}
		if got := KindName(doc.Content[0]); got != tc.want {
			t.Errorf("KindName(%q) = %q, want %q", tc.doc, got, tc.want)
		}
	}
}
