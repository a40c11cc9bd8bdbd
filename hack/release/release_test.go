package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../.."

// TestPinsAgree: every place a user pins a release names the same
// version; action.yml's default version is among them; and once
// CHANGELOG.md has a release, they name the newest. (Before the first
// release they name the version it will have.)
func TestPinsAgree(t *testing.T) {
	t.Parallel()
	pins, _, err := findPins(root)
	require.NoError(t, err)
	version, err := pinnedVersion(pins)
	require.NoError(t, err)
	files := map[string]bool{}
	for _, p := range pins {
		files[p.File] = true
	}
	for _, f := range []string{"action.yml", "docs/github-actions-lint.yml", "README.md", ".pre-commit-hooks.yaml"} {
		assert.True(t, files[f], "%s pins no release", f)
	}
	action, err := os.ReadFile(filepath.Join(root, "action.yml"))
	require.NoError(t, err)
	assert.Contains(t, string(action), "\n    default: "+version+"\n", "action.yml's version input defaults to the pinned release")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "go install github.com/typharender/typharender/cmd/typharender@"+version)

	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	require.NoError(t, err)
	if released := newestRelease(changelog); released != "" {
		assert.Equal(t, "v"+released, version, "the pins name the newest release in CHANGELOG.md")
	} else {
		t.Logf("CHANGELOG.md has no release yet; the pins name the first, %s", version)
	}
}

// checkout copies the changelog and the pinned files of this checkout
// into a temporary one.
func checkout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	_, contents, err := findPins(root)
	require.NoError(t, err)
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	require.NoError(t, err)
	contents["CHANGELOG.md"] = changelog
	// Right after a release [Unreleased] is empty: give it a change to
	// release.
	if !strings.Contains(unreleasedBody(string(changelog)), "\n- ") {
		contents["CHANGELOG.md"] = []byte(strings.Replace(string(changelog), "## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n- A fix.\n", 1))
	}
	for name, data := range contents {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return dir
}

// unreleasedBody is what the changelog lists under [Unreleased].
func unreleasedBody(changelog string) string {
	_, body, _ := strings.Cut(changelog, "## [Unreleased]\n")
	if i := strings.Index(body, "\n## ["); i >= 0 {
		body = body[:i]
	}
	return body
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// TestCut cuts this checkout's next release in a copy of it, then the
// one after: the [Unreleased] changes move under the release's heading
// below a new, empty [Unreleased], the links follow Keep a Changelog,
// and every pin moves to the release, so that TestPinsAgree's rule holds.
func TestCut(t *testing.T) {
	t.Parallel()
	dir := checkout(t)
	pins, _, err := findPins(dir)
	require.NoError(t, err)
	pinned, err := pinnedVersion(pins)
	require.NoError(t, err)

	before := mustRead(t, filepath.Join(dir, "CHANGELOG.md"))
	first := pinned
	if prev := newestRelease([]byte(before)); prev != "" {
		// After the first release: cut the next patch release.
		first = "v" + bumpPatch(t, prev)
	}
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{first, "2026-12-06"}, dir, time.Time{}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "git tag "+first)

	bare := strings.TrimPrefix(first, "v")
	after := mustRead(t, filepath.Join(dir, "CHANGELOG.md"))
	unreleased := unreleasedBody(before)
	assert.Contains(t, after, "## [Unreleased]\n\n## ["+bare+"] - 2026-12-06\n"+unreleased, "the changes move under the release")
	assert.Contains(t, after, "\n[Unreleased]: https://github.com/typharender/typharender/compare/"+first+"...HEAD\n")
	assert.Equal(t, bare, newestRelease([]byte(after)))
	pins, _, err = findPins(dir)
	require.NoError(t, err)
	v, err := pinnedVersion(pins)
	require.NoError(t, err)
	assert.Equal(t, first, v)

	// The same release again, or an older one, is refused; so is a
	// release with nothing in [Unreleased].
	for _, args := range [][]string{{first}, {"v0.0.1"}, {bumpMinor(t, bare)}} {
		errOut.Reset()
		assert.Equal(t, 1, run(args, dir, time.Now(), &out, &errOut), args)
	}
	assert.Contains(t, errOut.String(), "lists no change: nothing to release")

	// The next one, with a change: the pins move, and the links compare.
	next := bumpMinor(t, bare)
	changelog := strings.Replace(mustRead(t, filepath.Join(dir, "CHANGELOG.md")), "## [Unreleased]\n", "## [Unreleased]\n\n### Added\n- Something.\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte(changelog), 0o644))
	errOut.Reset()
	require.Equal(t, 0, run([]string{next, "2027-01-02"}, dir, time.Time{}, &out, &errOut), errOut.String())
	after = mustRead(t, filepath.Join(dir, "CHANGELOG.md"))
	nextBare := strings.TrimPrefix(next, "v")
	assert.Contains(t, after, "## [Unreleased]\n\n## ["+nextBare+"] - 2027-01-02\n\n### Added\n- Something.\n\n## ["+bare+"] - 2026-12-06\n")
	assert.Contains(t, after, "\n[Unreleased]: https://github.com/typharender/typharender/compare/"+next+"...HEAD\n["+nextBare+"]: https://github.com/typharender/typharender/compare/"+first+"..."+next+"\n")
	assert.Equal(t, 1, strings.Count(after, "[Unreleased]: "))
	pins, contents, err := findPins(dir)
	require.NoError(t, err)
	v, err = pinnedVersion(pins)
	require.NoError(t, err)
	assert.Equal(t, next, v)
	assert.Contains(t, string(contents["action.yml"]), "\n    default: "+next+"\n")
	for name, data := range contents {
		assert.NotContains(t, string(data), "typharender/typharender@"+first, name)
	}
}

// TestCutRefuses: a malformed version or date, or pins that disagree,
// change nothing.
func TestCutRefuses(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args  []string
		setup func(dir string)
		want  string
	}{
		"no v":         {args: []string{"0.9.0"}, want: `version "0.9.0": want vMAJOR.MINOR.PATCH`},
		"two parts":    {args: []string{"v0.9"}, want: `version "v0.9": want vMAJOR.MINOR.PATCH`},
		"a bad date":   {args: []string{"v0.9.0", "06/12/2026"}, want: `date "06/12/2026": want YYYY-MM-DD`},
		"no arguments": {args: nil, want: "usage: go run ./hack/release vX.Y.Z [YYYY-MM-DD]"},
		"pins disagree": {args: []string{"v0.9.0"}, want: "the pins disagree", setup: func(dir string) {
			path := filepath.Join(dir, ".pre-commit-hooks.yaml")
			data, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(data), "rev: v", "rev: v9", 1)), 0o644)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := checkout(t)
			if tc.setup != nil {
				tc.setup(dir)
			}
			before := mustRead(t, filepath.Join(dir, "CHANGELOG.md"))
			var out, errOut bytes.Buffer
			assert.NotEqual(t, 0, run(tc.args, dir, time.Now(), &out, &errOut))
			assert.Contains(t, errOut.String(), tc.want)
			assert.Equal(t, before, mustRead(t, filepath.Join(dir, "CHANGELOG.md")))
		})
	}
}

func TestNewer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"0.1.1", "0.1.0", true}, {"0.10.0", "0.9.9", true}, {"1.0.0", "0.99.99", true}, {"0.1.0", "0.1.0", false}, {"0.1.0", "0.2.0", false}} {
		assert.Equal(t, tc.want, newer(tc.a, tc.b), "%s > %s", tc.a, tc.b)
	}
}

func bumpPatch(t *testing.T, bare string) string {
	t.Helper()
	var maj, min, patch int
	_, err := fmt.Sscanf(bare, "%d.%d.%d", &maj, &min, &patch)
	require.NoError(t, err)
	return strconv.Itoa(maj) + "." + strconv.Itoa(min) + "." + strconv.Itoa(patch+1)
}

func bumpMinor(t *testing.T, bare string) string {
	t.Helper()
	var maj, min, patch int
	_, err := fmt.Sscanf(bare, "%d.%d.%d", &maj, &min, &patch)
	require.NoError(t, err)
	return "v" + strconv.Itoa(maj) + "." + strconv.Itoa(min+1) + ".0"
}
