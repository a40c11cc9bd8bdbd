package schemacheck

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The GitHub Action (../../action.yml) and the workflow that uses it
// (../../docs/github-actions-lint.yml) are checked here against
// SchemaStore's schemas (testdata/schemastore, see its README), and the
// action's shell steps are run with bash as a runner would run them. What
// only GitHub can run (expressions, actions/setup-go, upload-sarif, the
// runner itself) is not tested: docs/github-action.md says so.

const (
	actionFile   = "../../action.yml"
	workflowFile = "../../docs/github-actions-lint.yml"
)

// storeSchema compiles one of SchemaStore's schemas in testdata/schemastore.
func storeSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "schemastore", name))
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	url := "https://json.schemastore.org/" + name
	require.NoError(t, c.AddResource(url, doc))
	sch, err := c.Compile(url)
	require.NoError(t, err)
	return sch
}

// readYAML decodes a YAML file as GitHub reads it (YAML 1.2: on: is a
// key, not true) into JSON values for the validator.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, yaml.Unmarshal(data, &v))
	return v
}

// validateValue validates v, a tree of maps, slices and scalars, as JSON.
func validateValue(t *testing.T, sch *jsonschema.Schema, v any) error {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return sch.Validate(inst)
}

// clone deep-copies a decoded document, to break a copy of it.
func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// checkSchema validates the YAML file against one of SchemaStore's
// schemas, then checks that the schema rejects each broken copy of it.
func checkSchema(t *testing.T, schema, file string, broken map[string]func(doc map[string]any)) {
	t.Helper()
	sch := storeSchema(t, schema)
	doc := readYAML(t, file)
	require.NoError(t, validateValue(t, sch, doc))
	for name, breakIt := range broken {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			copied := clone(t, doc)
			breakIt(copied)
			assert.Error(t, validateValue(t, sch, copied))
		})
	}
}

// TestActionMetadataSchema: action.yml is valid against SchemaStore's
// github-action.json, and the schema rejects broken copies of it.
func TestActionMetadataSchema(t *testing.T) {
	t.Parallel()
	checkSchema(t, "github-action.json", actionFile, map[string]func(a map[string]any){
		"an input without description": func(a map[string]any) { delete(dig(a, "inputs", "paths").(map[string]any), "description") },
		"an output without value":      func(a map[string]any) { delete(dig(a, "outputs", "exit-code").(map[string]any), "value") },
		"a run step without shell":     func(a map[string]any) { delete(dig(a, "runs", "steps", 1).(map[string]any), "shell") },
		"an unknown key":               func(a map[string]any) { a["input"] = map[string]any{} },
		"runs using node":              func(a map[string]any) { dig(a, "runs").(map[string]any)["using"] = "node" },
	})
}

// TestWorkflowSchema: the example workflow is valid against SchemaStore's
// github-workflow.json, and the schema rejects broken copies of it.
func TestWorkflowSchema(t *testing.T) {
	t.Parallel()
	checkSchema(t, "github-workflow.json", workflowFile, map[string]func(w map[string]any){
		"no on":                      func(w map[string]any) { delete(w, "on") },
		"a job without runs-on":      func(w map[string]any) { delete(dig(w, "jobs", "lint").(map[string]any), "runs-on") },
		"a bad permission":           func(w map[string]any) { w["permissions"].(map[string]any)["security-events"] = "admin" },
		"a step with uses and shell": func(w map[string]any) { dig(w, "jobs", "lint", "steps", 1).(map[string]any)["shell"] = "bash" },
	})
}

var (
	// pinnedUse is a third-party action pinned to a commit, with the
	// release it is in a comment, as security guidance asks.
	pinnedUse = regexp.MustCompile(`^\s*(- )?uses: ([\w.-]+/[\w.-]+(/[\w./-]+)?)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$`)
	// ownUse is this repository's action, pinned to its release tag.
	ownUse = regexp.MustCompile(`^\s*(- )?uses: typharender/typharender@(v\d+\.\d+\.\d+)$`)
)

// TestUsesPinned: every action the action and the workflow use is pinned
// to a commit (with its release in a comment), except typharender's own,
// which the workflow pins to the release the action defaults to.
func TestUsesPinned(t *testing.T) {
	t.Parallel()
	action := readYAML(t, actionFile)
	defaultVersion := dig(action, "inputs", "version", "default").(string)
	seen := map[string]string{} // action -> commit
	for _, file := range []string{actionFile, workflowFile} {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		uses := 0
		for i, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, "uses:") || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			uses++
			if m := ownUse.FindStringSubmatch(line); m != nil {
				assert.Equal(t, defaultVersion, m[2], "%s:%d: the workflow uses the release the action installs by default", file, i+1)
				continue
			}
			m := pinnedUse.FindStringSubmatch(line)
			if !assert.NotNil(t, m, "%s:%d: %q: want uses: OWNER/REPO[/PATH]@<40-hex commit> # vX.Y.Z", file, i+1, line) {
				continue
			}
			if prev, ok := seen[m[2]]; ok {
				assert.Equal(t, prev, m[4], "%s:%d: %s pinned to two commits", file, i+1, m[2])
			}
			seen[m[2]] = m[4]
		}
		assert.NotZero(t, uses, file)
	}
	assert.Contains(t, seen, "actions/setup-go")
	assert.Contains(t, seen, "github/codeql-action/upload-sarif")
}

// step is one step of the composite action.
type step struct {
	Name string            `yaml:"name"`
	ID   string            `yaml:"id"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
}

func actionStep(t *testing.T, name string) step {
	t.Helper()
	data, err := os.ReadFile(actionFile)
	require.NoError(t, err)
	var a struct {
		Runs struct {
			Steps []step `yaml:"steps"`
		} `yaml:"runs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &a))
	for _, s := range a.Runs.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", name)
	return step{}
}

// runner is a scratch stand-in for what a runner gives a step: a temp
// directory, GITHUB_OUTPUT and GITHUB_PATH files, and a PATH.
type runner struct {
	dir, temp, output, path string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{dir: dir, temp: filepath.Join(dir, "runner-temp"), output: filepath.Join(dir, "output"), path: filepath.Join(dir, "path")}
	require.NoError(t, os.Mkdir(r.temp, 0o755))
	for _, f := range []string{r.output, r.path} {
		require.NoError(t, os.WriteFile(f, nil, 0o644))
	}
	return r
}

// run runs a step's script as GitHub runs a bash step
// (bash --noprofile --norc -eo pipefail FILE), with env and PATH first on
// the search path, in the test's working directory.
func (r *runner) run(t *testing.T, s step, env map[string]string, path string) (stdout string, code int) {
	t.Helper()
	script := filepath.Join(r.dir, "step.sh")
	require.NoError(t, os.WriteFile(script, []byte(s.Run), 0o644))
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Env = []string{"PATH=" + path + string(os.PathListSeparator) + os.Getenv("PATH"),
		"RUNNER_TEMP=" + r.temp, "GITHUB_OUTPUT=" + r.output, "GITHUB_PATH=" + r.path}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return out.String(), 0
}

// outputs reads GITHUB_OUTPUT's name=value lines.
func (r *runner) outputs(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(r.output)
	require.NoError(t, err)
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}

// cli is typharender built from this checkout, once.
var cli = struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}{}

func buildCLI(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		cli.dir, cli.err = os.MkdirTemp("", "typharender-action-test-")
		if cli.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", cli.dir, "./cmd/typharender")
		cmd.Dir = filepath.Join("..", "..")
		cli.out, cli.err = cmd.CombinedOutput()
	})
	require.NoError(t, cli.err, string(cli.out))
	return cli.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
	os.Exit(code)
}

// lintEnv is the Lint step's env with the action's defaults and some
// inputs set.
func lintEnv(inputs map[string]string) map[string]string {
	env := map[string]string{"PATHS": "", "NODES": "", "KUBE_VERSION": "", "REGION": "", "TERWAY": "false", "EXCLUDE": "", "FAIL_ON": "error"}
	for k, v := range inputs {
		env[k] = v
	}
	return env
}

// TestActionLintStep runs the action's Lint step with typharender built
// from this checkout: annotations on stdout, the exit code and the SARIF
// file in the step's outputs, a SARIF log valid against SARIF 2.1.0 with
// the findings; no report for unreadable input; paths split on white space
// and never globbed.
func TestActionLintStep(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	lintStep := actionStep(t, "Lint")
	sarif := sarifSchema(t)
	fires := "../testdata/rules/service-target-port-name/fires.yaml"
	passes := "../testdata/rules/service-target-port-name/passes.yaml"
	for _, tc := range []struct {
		name     string
		inputs   map[string]string
		code     string // the exit-code output
		stdout   string // a line the step prints
		results  int    // SARIF results; -1: no SARIF file
		resultID string
	}{
		{name: "findings", inputs: map[string]string{"PATHS": fires}, code: "1",
			stdout: "::error file=" + fires + ",line=", results: 1, resultID: "service-target-port-name"},
		{name: "clean", inputs: map[string]string{"PATHS": passes}, code: "0", results: 0},
		{name: "two paths on two lines, facts, terway and an exclude", inputs: map[string]string{
			"PATHS": " " + passes + "\n  ../testdata/fixtures \n", "NODES": "1000", "KUBE_VERSION": "v1.30.7-aliyun.1",
			"REGION": "cn-hangzhou", "TERWAY": "true", "EXCLUDE": "eni-*.yaml\n\nservice-*.yaml\npdb-v1beta1.yaml\npdb-v2.yaml\ndeployment-*.yaml\n"},
			code: "0", results: 0},
		{name: "fail-on warning", inputs: map[string]string{"PATHS": "../testdata/rules/typha-image-tag-not-release/fires.yaml",
			"KUBE_VERSION": "v1.30.7-aliyun.1", "FAIL_ON": "warning"}, code: "1", stdout: "::warning file=", results: 1, resultID: "typha-image-tag-not-release"},
		{name: "a missing file", inputs: map[string]string{"PATHS": "nope.yaml"}, code: "2", stdout: "nope.yaml", results: -1},
		{name: "a glob is not expanded", inputs: map[string]string{"PATHS": "../testdata/rules/*/fires.yaml"}, code: "2",
			stdout: "../testdata/rules/*/fires.yaml", results: -1},
		{name: "no paths", inputs: map[string]string{"PATHS": " \n "}, code: "2",
			stdout: "::error title=typharender::input paths is empty", results: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t)
			stdout, code := r.run(t, lintStep, lintEnv(tc.inputs), bin)
			require.Equal(t, 0, code, "the step records the exit code and leaves failing to a later step:\n%s", stdout)
			out := r.outputs(t)
			assert.Equal(t, tc.code, out["exit-code"], stdout)
			assert.Contains(t, stdout, tc.stdout)
			if tc.results < 0 {
				assert.NotContains(t, out, "sarif-file")
				return
			}
			require.Equal(t, filepath.Join(r.temp, "typharender.sarif"), out["sarif-file"])
			data, err := os.ReadFile(out["sarif-file"])
			require.NoError(t, err)
			require.NoError(t, validate(t, sarif, data))
			var log struct {
				Runs []struct {
					Results []struct {
						RuleID string `json:"ruleId"`
					} `json:"results"`
				} `json:"runs"`
			}
			require.NoError(t, json.Unmarshal(data, &log))
			require.Len(t, log.Runs, 1)
			require.Len(t, log.Runs[0].Results, tc.results)
			for _, res := range log.Runs[0].Results {
				assert.Equal(t, tc.resultID, res.RuleID)
			}
		})
	}
}

// TestActionFailStep: the last step fails the job with lint's exit code.
func TestActionFailStep(t *testing.T) {
	t.Parallel()
	failStep := actionStep(t, "Fail on findings")
	for _, code := range []int{1, 2} {
		r := newRunner(t)
		stdout, got := r.run(t, failStep, map[string]string{"CODE": strconv.Itoa(code)}, "")
		assert.Equal(t, code, got, stdout)
	}
}

// TestActionInstallStep runs the Install step with a stand-in for go that
// records its arguments and installs a stand-in typharender: a release is
// installed with go install …@VERSION into RUNNER_TEMP and put on
// GITHUB_PATH; anything that is not a pinned version is refused before go
// runs. (The real go install of a tagged module is make release-check's.)
func TestActionInstallStep(t *testing.T) {
	t.Parallel()
	install := actionStep(t, "Install typharender")
	fake := t.TempDir()
	goScript := `#!/usr/bin/env bash
echo "$@" >> "$FAKE_GO_LOG"
mkdir -p "$GOBIN"
printf '#!/usr/bin/env bash\necho "typharender %s"\n' "${2##*@}" > "$GOBIN/typharender"
chmod +x "$GOBIN/typharender"
`
	require.NoError(t, os.WriteFile(filepath.Join(fake, "go"), []byte(goScript), 0o755))

	t.Run("a release", func(t *testing.T) {
		t.Parallel()
		r := newRunner(t)
		log := filepath.Join(r.dir, "go.log")
		stdout, code := r.run(t, install, map[string]string{"VERSION": "v0.1.0", "FAKE_GO_LOG": log}, fake)
		require.Equal(t, 0, code, stdout)
		calls, err := os.ReadFile(log)
		require.NoError(t, err)
		assert.Equal(t, "install github.com/typharender/typharender/cmd/typharender@v0.1.0\n", string(calls))
		path, err := os.ReadFile(r.path)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(r.temp, "typharender-v0.1.0")+"\n", string(path))
		assert.Contains(t, stdout, "typharender v0.1.0")
	})
	for _, v := range []string{"latest", "main", "0.1.0", "v0.1", "v0.1.0; rm -rf /", ""} {
		t.Run("refuses "+v, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t)
			log := filepath.Join(r.dir, "go.log")
			stdout, code := r.run(t, install, map[string]string{"VERSION": v, "FAKE_GO_LOG": log}, fake)
			assert.Equal(t, 2, code, stdout)
			assert.Contains(t, stdout, "::error title=typharender::input version")
			assert.NoFileExists(t, log, "go must not run")
		})
	}
}
