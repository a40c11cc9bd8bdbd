package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/golden"
	"github.com/typharender/typharender/internal/treetest"
)

// cmdCase runs the CLI in-process, as Helm's pkg/cmd tests do. The
// command's stdout and stderr are compared with testdata/<golden>.stdout
// and testdata/<golden>.stderr (go test -update rewrites them); a missing
// file stands for an empty stream.
//
// In args, $TMP is replaced by a fresh temporary directory, and in the
// outputs that directory is replaced by $TMP, so goldens are stable.
type cmdCase struct {
	name   string
	args   []string
	stdin  string
	golden string // path under testdata without extension; default <command>/<name>
	code   int    // the exit code
	setup  func(t *testing.T, tmp string)
	after  func(t *testing.T, tmp string) // checks the files a case wrote
}

func runCases(t *testing.T, command string, cases []cmdCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.golden
			if g == "" {
				g = command + "/" + strings.ReplaceAll(tc.name, " ", "-")
			}
			// Absolute, because setup may change the working directory.
			base, err := filepath.Abs(filepath.Join("testdata", filepath.FromSlash(g)))
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, tmp)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(tc.stdin), &stdout, &stderr)
			golden.Check(t, base+".stdout", scrub(stdout.Bytes(), tmp))
			golden.Check(t, base+".stderr", scrub(stderr.Bytes(), tmp))
			if code != tc.code {
				t.Errorf("run(%q) = exit code %d, want %d; stderr:\n%s", tc.args, code, tc.code, stderr.String())
			}
			if tc.after != nil {
				tc.after(t, tmp)
			}
		})
	}
}

func scrub(b []byte, tmp string) []byte {
	b = bytes.ReplaceAll(b, []byte(tmp), []byte("$TMP"))
	return elapsedRE.ReplaceAll(b, []byte("(TIME)\n"))
}

// elapsedRE matches the time at the end of lint's summary line.
var elapsedRE = regexp.MustCompile(`\(([0-9.]+(h|m|s|ms|µs|ns))+\)\n`)

func TestRoot(t *testing.T) {
	runCases(t, "root", []cmdCase{
		{name: "no args", args: nil},
		{name: "help", args: []string{"--help"}},
		{name: "unknown command", args: []string{"rendr"}, code: 2},
		{name: "unknown flag", args: []string{"--verbose"}, code: 2},
	})
}

func TestVersion(t *testing.T) {
	runCases(t, "version", []cmdCase{
		{name: "version", args: []string{"version"}},
		{name: "help", args: []string{"version", "--help"}},
		{name: "extra argument", args: []string{"version", "now"}, code: 2},
	})
}

func TestCompletion(t *testing.T) {
	runCases(t, "completion", []cmdCase{
		{name: "bash", args: []string{"completion", "bash"}},
		{name: "help", args: []string{"completion", "--help"}},
		{name: "unknown shell", args: []string{"completion", "tcsh"}, code: 2},
		// Cobra's hidden __complete command drives the shell scripts.
		{name: "complete mode", args: []string{"__complete", "eni-config", "--mode", ""}},
		{name: "complete output", args: []string{"__complete", "render", "-o", ""}},
		{name: "complete region", args: []string{"__complete", "render", "--region", "cn-sh"}},
	})
}

// failingWriter fails every write, as a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestWriteFailure checks that output that cannot be written exits 1.
func TestWriteFailure(t *testing.T) {
	for _, args := range [][]string{
		{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.30.7-aliyun.1"},
		{"eni-config", "--mode", "typha", "../../testdata/eniconfig/terway-eniip-veth.yaml"},
		{"size", "--nodes", "1000", "-o", "json"},
		{"plan", "--mode", "disable-policy"},
	} {
		var stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), failingWriter{}, &stderr); code != exitFail {
			t.Errorf("run(%q) with a failing stdout = exit code %d, want %d", args, code, exitFail)
		}
		if !strings.Contains(stderr.String(), "Error: writing output: broken pipe") {
			t.Errorf("run(%q) stderr %q does not report the write error", args, stderr.String())
		}
	}
}

// TestFirstCommand: the README's first command, the one .ci/run checks
// against a golden file, renders that golden's bytes and says nothing on
// stderr: a Typha that syncs, with no warning. (It used to warn: the
// guide's v3.20.2 on 1.30.)
func TestFirstCommand(t *testing.T) {
	readme := string(treetest.ReadFile(t, filepath.Join("..", "..", "README.md")))
	_, block, ok := strings.Cut(readme, "```sh\n")
	if !ok {
		t.Fatal("README has no sh block")
	}
	first, _, _ := strings.Cut(block, "\n")
	args, ok := strings.CutPrefix(first, "go run ./cmd/typharender ")
	if !ok {
		t.Fatalf("the README's first command is %q", first)
	}
	ci := string(treetest.ReadFile(t, filepath.Join("..", "..", ".ci", "run")))
	ciCmd := regexp.MustCompile(`go run \./cmd/typharender (render [^\n]*?) \\\n\s*([^\n]*) --check (\S+)`).FindStringSubmatch(ci)
	if ciCmd == nil {
		t.Fatal(".ci/run does not check the first command against a golden")
	}
	if got := ciCmd[1] + " " + ciCmd[2]; got != args {
		t.Errorf(".ci/run checks %q, the README runs %q", got, args)
	}
	var out, errOut bytes.Buffer
	if code := run(strings.Fields(args), nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("the first command warns:\n%s", errOut.String())
	}
	if want := treetest.ReadFile(t, filepath.Join("..", "..", ciCmd[3])); !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the first command does not render %s", ciCmd[3])
	}
	if !bytes.Contains(out.Bytes(), []byte("image: quay.io/calico/typha:v3.24.5")) {
		t.Error("the first command does not render Typha v3.24.5")
	}
}
