// Package buildinfo says which version of typharender a binary holds, as
// the Go build recorded it: the CLI's version command and lint's SARIF
// tool.driver.version both read it.
package buildinfo

import "runtime/debug"

// ModulePath is typharender's module.
const ModulePath = "github.com/typharender/typharender"

// Version returns typharender's module version in the running binary,
// whether typharender is the main module (the CLI) or a dependency of the
// program that imports it; "(devel)" when the build records none (a build
// from a clone, a test binary). The same binary always gives the same
// answer.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return VersionIn(bi)
}

// VersionIn is [Version] for the build information bi.
func VersionIn(bi *debug.BuildInfo) string {
	m := &bi.Main
	if m.Path != ModulePath {
		m = nil
		for _, d := range bi.Deps {
			if d.Path == ModulePath {
				m = d
				break
			}
		}
	}
	if m != nil && m.Replace != nil {
		m = m.Replace
	}
	if m == nil || m.Version == "" {
		return "(devel)"
	}
	return m.Version
}
