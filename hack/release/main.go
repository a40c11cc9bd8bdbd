// Command release cuts a typharender release in a checkout: it turns
// CHANGELOG.md's [Unreleased] section into the release's, and moves every
// place a user pins the release (action.yml's default version, the
// example workflow's uses:, the install lines of README.md and docs/, the
// pre-commit rev:) to it. It writes all of those files or none, and
// commits and tags nothing: it prints the commands that do.
//
//	go run ./hack/release v0.1.0              # dated today (UTC)
//	go run ./hack/release v0.1.0 2026-12-06
//
// Its tests (release_test.go) check the checkout: the pins agree, and name
// the newest release in CHANGELOG.md once there is one.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], ".", time.Now().UTC(), os.Stdout, os.Stderr))
}

// run cuts the release args name in the checkout at root.
func run(args []string, root string, now time.Time, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: go run ./hack/release vX.Y.Z [YYYY-MM-DD]")
		return 2
	}
	date := now.Format(time.DateOnly)
	if len(args) == 2 {
		date = args[1]
	}
	if err := cut(root, args[0], date); err != nil {
		fmt.Fprintln(stderr, "release:", err)
		return 1
	}
	fmt.Fprintf(stdout, `release: CHANGELOG.md has [%s] - %s, and every pin names %s. Review, then:
  git commit -am "Release %s"
  git tag %s          # the library, the CLI, action.yml and the hooks
  git push origin HEAD %s
`, strings.TrimPrefix(args[0], "v"), date, args[0], args[0], args[0], args[0])
	return 0
}

// A pin is a place that names the release users install.
type pin struct {
	File    string // relative to the checkout
	Line    int
	Version string // vX.Y.Z
}

// pinFiles are the files that pin the release, relative to the checkout;
// pinPatterns find the version in them (its first group).
var pinFiles = []string{"action.yml", "README.md", ".pre-commit-hooks.yaml", "docs/*.md", "docs/*.yml"}

const semverPattern = `v\d+\.\d+\.\d+`

var pinPatterns = []*regexp.Regexp{
	regexp.MustCompile(`typharender/typharender(?:/cmd/typharender)?@(` + semverPattern + `)\b`), // go install …@v, uses: …@v
	regexp.MustCompile(`\brev: (` + semverPattern + `)\b`),                                       // pre-commit
	regexp.MustCompile(`--branch (` + semverPattern + `)\b`),                                     // git clone of the release
	regexp.MustCompile(`(?m)^    default: (` + semverPattern + `)$`),                             // action.yml's inputs.version
}

// findPins returns every pin in the checkout at root, in file and line
// order, with each file's contents.
func findPins(root string) ([]pin, map[string][]byte, error) {
	var files []string
	for _, g := range pinFiles {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			return nil, nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	var pins []pin
	contents := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		rel, _ := filepath.Rel(root, f)
		contents[rel] = data
		for i, l := range strings.Split(string(data), "\n") {
			for _, p := range pinPatterns {
				for _, m := range p.FindAllStringSubmatch(l, -1) {
					pins = append(pins, pin{File: rel, Line: i + 1, Version: m[1]})
				}
			}
		}
	}
	return pins, contents, nil
}

// pinnedVersion is the one version every pin names.
func pinnedVersion(pins []pin) (string, error) {
	if len(pins) == 0 {
		return "", errors.New("no file pins a release")
	}
	for _, p := range pins[1:] {
		if p.Version != pins[0].Version {
			return "", fmt.Errorf("the pins disagree: %s:%d names %s, %s:%d names %s", pins[0].File, pins[0].Line, pins[0].Version, p.File, p.Line, p.Version)
		}
	}
	return pins[0].Version, nil
}

var (
	releaseHeading    = regexp.MustCompile(`(?m)^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$`)
	unreleasedHeading = "## [Unreleased]\n"
	versionArg        = regexp.MustCompile(`^` + semverPattern + `$`)
	unreleasedLink    = regexp.MustCompile(`(?m)^\[Unreleased\]: .*\n`)
)

const repoURL = "https://github.com/typharender/typharender"

// newestRelease is the version of the first release heading in the
// changelog, "" before the first release.
func newestRelease(changelog []byte) string {
	if m := releaseHeading.FindSubmatch(changelog); m != nil {
		return string(m[1])
	}
	return ""
}

// cut makes version the release in the checkout at root, dated date.
func cut(root, version, date string) error {
	if !versionArg.MatchString(version) {
		return fmt.Errorf("version %q: want vMAJOR.MINOR.PATCH, such as v0.1.0", version)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", date)
	}
	changelogPath := filepath.Join(root, "CHANGELOG.md")
	changelog, err := os.ReadFile(changelogPath)
	if err != nil {
		return err
	}
	bare := strings.TrimPrefix(version, "v")
	prev := newestRelease(changelog)
	if prev != "" && !newer(bare, prev) {
		return fmt.Errorf("version %s is not newer than the newest release in CHANGELOG.md, %s", version, prev)
	}
	i := bytes.Index(changelog, []byte(unreleasedHeading))
	if i < 0 {
		return errors.New("CHANGELOG.md has no ## [Unreleased] section")
	}
	body := changelog[i+len(unreleasedHeading):]
	if j := bytes.Index(body, []byte("\n## [")); j >= 0 {
		body = body[:j]
	}
	if !bytes.Contains(body, []byte("\n- ")) {
		return errors.New("CHANGELOG.md's [Unreleased] section lists no change: nothing to release")
	}
	pins, contents, err := findPins(root)
	if err != nil {
		return err
	}
	old, err := pinnedVersion(pins)
	if err != nil {
		return err
	}

	// The changelog: a release heading under a new, empty [Unreleased],
	// and the links Keep a Changelog ends with.
	out := bytes.Replace(changelog, []byte(unreleasedHeading), []byte(unreleasedHeading+"\n## ["+bare+"] - "+date+"\n"), 1)
	link := "[" + bare + "]: " + repoURL + "/releases/tag/" + version + "\n"
	if prev != "" {
		link = "[" + bare + "]: " + repoURL + "/compare/v" + prev + "..." + version + "\n"
	}
	newUnreleased := "[Unreleased]: " + repoURL + "/compare/" + version + "...HEAD\n"
	if loc := unreleasedLink.FindIndex(out); loc != nil {
		out = slices.Concat(out[:loc[0]], []byte(newUnreleased+link), out[loc[1]:])
	} else {
		out = append(bytes.TrimRight(out, "\n"), []byte("\n\n"+newUnreleased+link)...)
	}
	writes := map[string][]byte{"CHANGELOG.md": out}

	if old != version {
		for _, p := range pins {
			if _, done := writes[p.File]; done {
				continue
			}
			data := contents[p.File]
			for _, re := range pinPatterns {
				data = re.ReplaceAllFunc(data, func(m []byte) []byte { return bytes.Replace(m, []byte(old), []byte(version), 1) })
			}
			writes[p.File] = data
		}
	}
	// Every file is written beside its original first, then renamed over
	// it: a failure while writing changes nothing.
	var tmps []string
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	names := make([]string, 0, len(writes))
	for name := range writes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(root, name)
		tmp := path + ".release-tmp"
		if err := os.WriteFile(tmp, writes[name], 0o644); err != nil {
			return err
		}
		tmps = append(tmps, tmp)
	}
	for _, name := range names {
		path := filepath.Join(root, name)
		if err := os.Rename(path+".release-tmp", path); err != nil {
			return err
		}
	}
	return nil
}

// newer reports whether MAJOR.MINOR.PATCH a is newer than b.
func newer(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range 3 {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x > y
		}
	}
	return false
}
