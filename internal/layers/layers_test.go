package layers

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/typharender/typharender"

// layerOf returns the index in Order of the layer that holds the package
// at rel (relative to the module), or -1: the layer that names rel, else
// the first whose "/..." covers it.
func layerOf(rel string) int {
	for i, l := range Order() {
		if slices.Contains(l.Packages, rel) {
			return i
		}
	}
	for i, l := range Order() {
		for _, p := range l.Packages {
			if dir, ok := strings.CutSuffix(p, "/..."); ok && (rel == dir || strings.HasPrefix(rel, dir+"/")) || rel == p {
				return i
			}
		}
	}
	return -1
}

// TestLayering: every package of the module belongs to a layer, and none
// imports a package of a layer above its own.
func TestLayering(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	order := Order()
	packages := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		from := layerOf(pkg)
		if from < 0 {
			t.Errorf("package %s belongs to no layer: add it to Order", pkg)
			continue
		}
		packages++
		for _, imp := range fields[1:] {
			rel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if to := layerOf(rel); to > from {
				t.Errorf("%s (%s) imports %s (%s), a layer above it", pkg, order[from].Name, rel, order[to].Name)
			}
		}
	}
	if packages < 15 {
		t.Fatalf("go list found %d packages: the test does not see the module", packages)
	}
}

// TestLayerOf: the matching itself, on a few paths.
func TestLayerOf(t *testing.T) {
	t.Parallel()
	for rel, want := range map[string]string{
		"internal/yamlnode": "foundations", "finding": "foundations", "rules": "model", "render": "build",
		"values": "use", "fleet": "fleets", "cmd/typharender": "commands", "renderer": "", "internal": "foundations",
	} {
		got := ""
		if i := layerOf(rel); i >= 0 {
			got = Order()[i].Name
		}
		if got != want {
			t.Errorf("layerOf(%q) = %q, want %q", rel, got, want)
		}
	}
}
