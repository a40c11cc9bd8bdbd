package krm_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kustomizeEnv names the kustomize binary the kustomize tests run;
// hack/examples.sh (make examples) installs a pinned one and sets it.
const kustomizeEnv = "TYPHARENDER_KUSTOMIZE"

// binaries are the function and the CLI, built once for the kustomize
// tests into a directory that goes first on kustomize's PATH (the
// functionConfigs say path: typharender-krm).
var binaries = struct {
	once sync.Once
	dir  string
	err  error
}{}

func buildBinaries(t *testing.T) string {
	t.Helper()
	binaries.once.Do(func() {
		dir, err := os.MkdirTemp("", "typharender-krm-test-")
		if err != nil {
			binaries.err = err
			return
		}
		binaries.dir = dir
		for _, b := range []struct{ moduleDir, pkg string }{{".", "./cmd/typharender-krm"}, {"..", "./cmd/typharender"}} {
			cmd := exec.Command("go", "build", "-o", dir, b.pkg)
			cmd.Dir = b.moduleDir
			if out, err := cmd.CombinedOutput(); err != nil {
				binaries.err = &buildError{b.pkg, err, out}
				return
			}
		}
	})
	require.NoError(t, binaries.err)
	return binaries.dir
}

type buildError struct {
	pkg string
	err error
	out []byte
}

func (e *buildError) Error() string {
	return "go build " + e.pkg + ": " + e.err.Error() + "\n" + string(e.out)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// kustomize runs kustomize build with exec functions on dir.
func kustomize(t *testing.T, dir string, withFunctions bool) (stdout, stderr string, err error) {
	t.Helper()
	bin := os.Getenv(kustomizeEnv)
	if bin == "" {
		t.Skipf("%s is not set: run make examples, which installs kustomize and runs these tests", kustomizeEnv)
	}
	args := []string{"build"}
	if withFunctions {
		args = append(args, "--enable-alpha-plugins", "--enable-exec")
	}
	cmd := exec.Command(bin, append(args, dir)...)
	cmd.Env = append(os.Environ(), "PATH="+buildBinaries(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// renderedByTheCLI is what `typharender render -f` writes for the spec of
// the TyphaRender functionConfig in fnFile, as kustomize build outputs it
// from a kustomization that lists it as a resource.
func renderedByTheCLI(t *testing.T, fnFile string) string {
	t.Helper()
	fc, err := yaml.ReadFile(fnFile)
	require.NoError(t, err)
	spec, err := fc.Pipe(yaml.Lookup("spec"))
	require.NoError(t, err)
	values, err := spec.String()
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "values.yaml"), []byte(values), 0o600))
	var out, errOut bytes.Buffer
	cmd := exec.Command(filepath.Join(buildBinaries(t), "typharender"), "render", "-f", filepath.Join(dir, "values.yaml"))
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), errOut.String())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rendered.yaml"), out.Bytes(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- rendered.yaml\n"), 0o600))
	built, stderr, err := kustomize(t, dir, false)
	require.NoError(t, err, stderr)
	return built
}

// TestKustomizeRendersAsTheCLI: kustomize build of a TyphaRender generator
// (the example under examples/ and one with values from every group of
// keys) outputs the objects `typharender render` writes for the same
// values, byte for byte once kustomize has normalised both.
func TestKustomizeRendersAsTheCLI(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../examples/kustomize", "testdata/kustomize/values"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			got, stderr, err := kustomize(t, dir, true)
			require.NoError(t, err, stderr)
			want := renderedByTheCLI(t, filepath.Join(dir, "typha.yaml"))
			assert.Equal(t, want, got)
			assert.GreaterOrEqual(t, strings.Count(got, "\nkind: "), 3, "the Typha objects, not an empty build:\n%s", got)
		})
	}
}

// TestKustomizeLint: TyphaLint as the last transformer passes hand-edited
// Typha manifests unchanged, and fails the build on a typo in them.
func TestKustomizeLint(t *testing.T) {
	t.Parallel()
	t.Run("passes", func(t *testing.T) {
		t.Parallel()
		got, stderr, err := kustomize(t, "testdata/kustomize/hand-edited", true)
		require.NoError(t, err, stderr)
		// As kustomize outputs the same resources with no function.
		dir := t.TempDir()
		data, err := os.ReadFile("testdata/kustomize/hand-edited/typha.yaml")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "typha.yaml"), data, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- typha.yaml\n"), 0o600))
		want, stderr, err := kustomize(t, dir, false)
		require.NoError(t, err, stderr)
		assert.Equal(t, want, got)
	})
	t.Run("typo fails the build", func(t *testing.T) {
		t.Parallel()
		got, stderr, err := kustomize(t, "testdata/kustomize/typo", true)
		require.Error(t, err)
		assert.Empty(t, got)
		assert.Contains(t, stderr, `error [service-target-port-name] Service kube-system/calico-typha: port calico-typha has targetPort "calico-typha", but no container port of Deployment kube-system/calico-typha carries that name (the named ones are calico-typa)`)
		assert.Contains(t, stderr, "typharender KRM function failed: 1 error, 0 warnings")
	})
}

// TestKustomizeBadValues: invalid values in a TyphaRender fail the build
// with the values layer's message.
func TestKustomizeBadValues(t *testing.T) {
	t.Parallel()
	got, stderr, err := kustomize(t, "testdata/kustomize/bad-values", true)
	require.Error(t, err)
	assert.Empty(t, got)
	assert.Contains(t, stderr, "error: spec.image.tagg is not a known key: want image.registry, image.registryStyle, image.repository, image.tag or image.digest\n")
}
