package sizing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/typharender/typharender/sizing"
)

func TestReadNodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data   string
		total, felix int
		skipped      []string // the names of the nodes left out
		err          string
	}{
		{"yaml list", "apiVersion: v1\nkind: List\nitems:\n- kind: Node\n  metadata: {name: a}\n- metadata: {name: b}\n", 2, 2, nil, ""},
		{"json nodelist", `{"kind":"NodeList","items":[{"metadata":{"name":"a","labels":{"type":"virtual-kubelet"}}},{"metadata":{"name":"b"}}]}`, 2, 1, []string{"a"}, ""},
		{"one node", "kind: Node\nmetadata:\n  name: a\n", 1, 1, nil, ""},
		{"only a virtual node", `{"kind":"NodeList","items":[{"metadata":{"name":"a","labels":{"type":"virtual-kubelet"}}}]}`, 1, 0, []string{"a"}, "none of the 1 node runs Felix"},
		{"empty list", `{"kind":"List","items":[]}`, 0, 0, nil, "holds no nodes"},
		{"pods", `{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"}}]}`, 0, 0, nil, "item 0 is a Pod, not a Node"},
		{"a deployment", "kind: Deployment\n", 0, 0, nil, "holds a Deployment, not nodes"},
		{"no kind", "{}", 0, 0, nil, "has no kind"},
		{"not yaml", "{", 0, 0, nil, "is not JSON or YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := sizing.ReadNodes([]byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if tt.total == 0 && !strings.Contains(err.Error(), "kubectl get nodes -o json") {
					t.Errorf("error %v does not say what is wanted", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var skipped []string
			for _, s := range c.Skipped {
				skipped = append(skipped, s.Name)
			}
			if c.Total != tt.total || c.Felix != tt.felix || !slices.Equal(skipped, tt.skipped) {
				t.Errorf("count %d total, %d Felix, left out %q; want %d, %d, %q", c.Total, c.Felix, skipped, tt.total, tt.felix, tt.skipped)
			}
		})
	}
}
