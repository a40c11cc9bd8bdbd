package buildinfo

import (
	"runtime/debug"
	"testing"
)

// TestVersionIn: typharender's module version in the binary, whether
// typharender is the main module (the CLI) or a dependency of another
// program that imports it.
func TestVersionIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"the CLI, released", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.2.0"}}, "v1.2.0"},
		{"the CLI from a clone", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, "(devel)"},
		{"the CLI, no version recorded", debug.BuildInfo{Main: debug.Module{Path: ModulePath}}, "(devel)"},
		{"the CLI at a pseudo-version", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.0.0-20261127131136-f257677abcde"}}, "v0.0.0-20261127131136-f257677abcde"},
		{"a program that imports lint", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool", Version: "v0.1.0"},
			Deps: []*debug.Module{{Path: "golang.org/x/text", Version: "v0.3.0"}, {Path: ModulePath, Version: "v1.3.1"}}}, "v1.3.1"},
		{"replaced by another version", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v1.3.1", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.3.2"}}}}, "v1.3.2"},
		{"replaced by a directory", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v1.3.1", Replace: &debug.Module{Path: "../typharender"}}}}, "(devel)"},
		{"not in the build", debug.BuildInfo{Main: debug.Module{Path: "example.com/tool"}}, "(devel)"},
	} {
		if got := VersionIn(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
