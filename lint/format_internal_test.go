package lint

import (
	"runtime/debug"
	"testing"
)

// TestToolVersion: SARIF's tool.driver.version is typharender's module
// version in the binary, whether typharender is the main module (the CLI)
// or a dependency of another program that imports lint.
func TestToolVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"the CLI, released", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.0"}}, "v1.2.0"},
		{"the CLI from a clone", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, "(devel)"},
		{"a program that imports lint", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool", Version: "v0.1.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/text", Version: "v0.3.0"}, {Path: modulePath, Version: "v1.3.1"}}}, "v1.3.1"},
		{"replaced by another version", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v1.3.1", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.3.2"}}}}, "v1.3.2"},
		{"replaced by a directory", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v1.3.1", Replace: &debug.Module{Path: "../typharender"}}}}, "(devel)"},
		{"not in the build", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"}}, "(devel)"},
	} {
		if got := moduleVersionIn(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
