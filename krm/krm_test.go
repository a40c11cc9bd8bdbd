package krm_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/typharender/typharender/krm"
)

// run runs the function in-process as its command does, with args (a
// functionConfig file and resource files: standalone) or a ResourceList
// on stdin.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := command.Build(krm.Function{Log: &errOut}, command.StandaloneEnabled, true)
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// functionConfig is a functionConfig of kind with spec (YAML, indented
// under spec:).
func functionConfig(kind, spec string) string {
	fc := "apiVersion: " + krm.APIVersion + "\nkind: " + kind + "\nmetadata:\n  name: fn\n"
	if spec == "" {
		return fc
	}
	return fc + "spec:\n" + indent(spec, "  ")
}

func indent(s, by string) string {
	lines := strings.SplitAfter(strings.TrimRight(s, "\n")+"\n", "\n")
	for i, l := range lines {
		if l != "" && l != "\n" && !strings.HasPrefix(l, "#") {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "")
}

// writeConfig writes a functionConfig to a file for standalone runs.
func writeConfig(t *testing.T, fc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fn.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fc), 0o600))
	return path
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

const cluster = "region: cn-hangzhou\nnodes: 1000\nkubeVersion: v1.30.7-aliyun.1\n"

// cluster124 is cluster before 1.25, where the default Typha is the
// guide's image in the cluster's own registry.
const cluster124 = "region: cn-hangzhou\nnodes: 1000\nkubeVersion: v1.24.6-aliyun.1\n"

// cliGolden is a case of cmd/typharender's render tests, whose reviewed
// output is the CLI's.
func cliGolden(name string) (stdout, stderr string) {
	base := filepath.Join("..", "cmd", "typharender", "testdata", "render", name)
	return base + ".stdout", base + ".stderr"
}

// cliWarnings are the lines of a CLI stderr golden, none when the golden
// does not exist (the golden tests write no file for an empty stream).
func cliWarnings(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestRenderAsTheCLI: TyphaRender with spec holding what `typharender
// render` got as a values file or flags writes the same bytes as the CLI
// (its reviewed goldens), and says on stderr what the CLI warns about:
// nothing where the CLI says nothing.
func TestRenderAsTheCLI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec string
		cli        string // the CLI render test whose goldens hold the output
	}{
		{name: "flags", spec: cluster, cli: "default"},
		{name: "values file", spec: mustRead(t, "../cmd/typharender/testdata/input/values.yaml"), cli: "values-file"},
		{name: "unknown region", spec: "region: xx-nowhere-1\nnodes: 1000\nkubeVersion: v1.30.7-aliyun.1\n", cli: "unknown-region-warns"},
		{name: "public registry of another region", spec: cluster124 + "image:\n  registry: registry.cn-beijing.aliyuncs.com\n", cli: "another-region-public-registry"},
		{name: "typha at latest", spec: cluster + "image:\n  tag: latest\n", cli: "typha-at-latest-warns"},
		{name: "a claim that lifts nothing", spec: cluster + "vouch:\n  endpointSliceV1: true\n", cli: "a-claim-that-lifts-nothing-warns"},
		{name: "the guide typha vouched for", spec: cluster + "image:\n  tag: v3.20.2\nvouch:\n  endpointSliceV1: true\n", cli: "the-guide-typha-vouched-for"},
		{name: "escaped keys", spec: cluster + "labels:\n  app.kubernetes.io/name: typha\nannotations:\n  example.com/note: a,b\n", cli: "set-escaped-dots-and-commas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindRender, tc.spec)))
			require.NoError(t, err, stderr)
			wantOut, wantErr := cliGolden(tc.cli)
			assert.Equal(t, mustRead(t, wantOut), stdout)
			warnings := cliWarnings(t, wantErr)
			if len(warnings) == 0 {
				assert.Empty(t, stderr, "the CLI warns about nothing")
				return
			}
			for _, w := range warnings {
				assert.Contains(t, stderr, strings.TrimPrefix(w, "Warning: "))
			}
			assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), len(warnings), "a line per warning, as the CLI prints them:\n%s", stderr)
		})
	}
}

// TestRenderFeatures: every optional feature at once renders the reviewed
// features golden.
func TestRenderFeatures(t *testing.T) {
	t.Parallel()
	spec := cluster + "metrics:\n  enabled: true\nzoneSpread:\n  enabled: true\nautoscaler:\n  enabled: true\nlabels:\n  team: net\n"
	stdout, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindRender, spec)))
	require.NoError(t, err, stderr)
	assert.Equal(t, mustRead(t, "../testdata/features/all/1.30-1000.yaml"), stdout)
}

// TestRenderAlerts: alerts.enabled gives render's PrometheusRule, last,
// the object of the reviewed golden.
func TestRenderAlerts(t *testing.T) {
	t.Parallel()
	spec := cluster + "metrics:\n  enabled: true\nalerts:\n  enabled: true\n"
	stdout, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindRender, spec)))
	require.NoError(t, err, stderr)
	// kyaml writes long lines unfolded: compare the objects.
	docs := strings.Split(stdout, "\n---\n")
	var got, want map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(docs[len(docs)-1]), &got))
	require.NoError(t, yaml.Unmarshal([]byte(mustRead(t, "../testdata/alerts/prometheusrule-1000.yaml")), &want))
	assert.Equal(t, want, got, "the last object is not testdata/alerts/prometheusrule-1000.yaml")
}

// resourceList is the part of a ResourceList the tests read.
type resourceList struct {
	Items   []map[string]any   `yaml:"items"`
	Results []framework.Result `yaml:"results"`
}

func decodeList(t *testing.T, out string) resourceList {
	t.Helper()
	var rl resourceList
	require.NoError(t, yaml.Unmarshal([]byte(out), &rl), out)
	return rl
}

// resourceListOf is a ResourceList with the functionConfig and items
// (YAML documents, each indented as one list item).
func resourceListOf(fc string, items ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	if len(items) == 0 {
		b.WriteString("[]\n")
	}
	for _, it := range items {
		b.WriteString("- " + strings.TrimPrefix(indent(it, "  "), "  "))
	}
	b.WriteString("functionConfig:\n" + indent(fc, "  "))
	return b.String()
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: default\ndata:\n  a: b\n"

func kinds(items []map[string]any) []string {
	var ks []string
	for _, it := range items {
		ks = append(ks, it["kind"].(string))
	}
	return ks
}

// TestRenderResourceList: as kustomize runs it, the function keeps the
// items it is given, appends the rendered objects in render's order, and
// puts each warning in results with its severity, rule and object.
func TestRenderResourceList(t *testing.T) {
	t.Parallel()
	// A tag that names no release: a warning whatever the default image.
	fc := functionConfig(krm.KindRender, cluster+"image:\n  tag: latest\n")
	stdout, stderr, err := run(t, resourceListOf(fc, configMap))
	require.NoError(t, err, stderr)
	rl := decodeList(t, stdout)
	assert.Equal(t, []string{"ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "CustomResourceDefinition"}, kinds(rl.Items))
	require.Len(t, rl.Results, 1, "%+v", rl.Results)
	r := rl.Results[0]
	assert.Equal(t, framework.Warning, r.Severity)
	assert.Equal(t, "typha-image-tag-not-release", r.Tags["rule"])
	require.NotNil(t, r.ResourceRef)
	assert.Equal(t, yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		NameMeta: yaml.NameMeta{Name: "calico-typha", Namespace: "kube-system"}}, *r.ResourceRef)
	assert.Contains(t, r.Message, `has tag "latest"`)
	assert.Equal(t, "warning [typha-image-tag-not-release] "+r.Message+"\n", stderr)
}

// TestRenderFails: invalid values, or a rendering with an error finding,
// fail the function with an error result for each problem, and add
// nothing to the items.
func TestRenderFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec string
		want       []framework.Result // Severity error, ResourceRef the functionConfig unless set
	}{
		{name: "no spec", spec: "", want: []framework.Result{
			{Message: "spec.region is required: want an Alibaba Cloud region ID such as cn-hangzhou", Field: &framework.Field{Path: "spec.region"}},
			{Message: "spec.kubeVersion is required: want the Kubernetes version the cluster reports, such as v1.30.7-aliyun.1", Field: &framework.Field{Path: "spec.kubeVersion"}},
			{Message: "spec.nodes is required: want the cluster's node count, such as 1000", Field: &framework.Field{Path: "spec.nodes"}},
		}},
		{name: "nodes out of range", spec: "region: cn-hangzhou\nnodes: 0\nkubeVersion: v1.30.7-aliyun.1\n", want: []framework.Result{
			{Message: "spec.nodes 0 is out of range: want the cluster's node count, 1 to 100000", Field: &framework.Field{Path: "spec.nodes"}},
		}},
		{name: "spec is a list", spec: "- region\n", want: []framework.Result{
			{Message: "spec is a YAML sequence: want a mapping of keys such as region, nodes, kubeVersion, image.tag", Field: &framework.Field{Path: "spec"}},
		}},
		{name: "error finding", spec: cluster124 + "image:\n  registry: registry-vpc.cn-beijing.aliyuncs.com\n  tag: v3.26.4\n", want: []framework.Result{
			{Message: `Deployment kube-system/calico-typha: container "calico-typha": registry-vpc.cn-beijing.aliyuncs.com is the VPC endpoint of cn-beijing: a cluster in cn-hangzhou cannot reach it, and the pods stay in ErrImagePull; use registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.26.4`,
				Tags: map[string]string{"rule": "image-region-mismatch"},
				ResourceRef: &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
					NameMeta: yaml.NameMeta{Name: "calico-typha", Namespace: "kube-system"}}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fc := functionConfig(krm.KindRender, tc.spec)
			stdout, stderr, err := run(t, resourceListOf(fc, configMap))
			require.Error(t, err)
			assert.True(t, errors.Is(err, krm.ErrFailed), "%v", err)
			rl := decodeList(t, stdout)
			assert.Equal(t, []string{"ConfigMap"}, kinds(rl.Items), "nothing added")
			fnRef := &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: krm.APIVersion, Kind: krm.KindRender}, NameMeta: yaml.NameMeta{Name: "fn"}}
			var want []framework.Result
			for _, w := range tc.want {
				w.Severity = framework.Error
				if w.ResourceRef == nil {
					w.ResourceRef = fnRef
				}
				want = append(want, w)
				assert.Contains(t, stderr, w.Message)
			}
			assert.Equal(t, want, rl.Results)
		})
	}
}

// TestRenderBadValuesAsTheCLI: each problem the CLI reports in a bad
// values file is a result, with the key under spec: one values layer.
func TestRenderBadValuesAsTheCLI(t *testing.T) {
	t.Parallel()
	_, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindRender, mustRead(t, "../cmd/typharender/testdata/input/bad.yaml"))))
	require.ErrorIs(t, err, krm.ErrFailed)
	_, cliErr := cliGolden("bad-values-file")
	prefix := regexp.MustCompile(`^  testdata/input/bad\.yaml:\d+: `)
	lines := strings.Split(strings.TrimSpace(mustRead(t, cliErr)), "\n")[1:] // after "Error: invalid values:"
	require.Len(t, lines, 6)
	for _, l := range lines {
		require.Regexp(t, prefix, l)
		assert.Contains(t, stderr, "error: spec."+prefix.ReplaceAllString(l, "")+"\n")
	}
	assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), len(lines), stderr)
}

// TestRenderRefusedAsTheCLI: what the CLI refuses, the function refuses
// with the same words, one error result per problem on the key under
// spec, and generates nothing: a Typha the version table says cannot serve
// Terway's Felix, and a registry that cannot hold the default image.
func TestRenderRefusedAsTheCLI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, spec, cli string }{
		{"the guide typha from 1.25", cluster + "image:\n  tag: v3.20.2\n", "the-guide-typha-from-1.25-is-refused"},
		{"typha that needs the tier crd", cluster + "image:\n  tag: v3.31.7\n", "typha-that-needs-the-tier-crd-is-refused"},
		{"typha that refuses terway felix", cluster + "image:\n  tag: v3.32.0\n", "typha-that-refuses-terway-felix-is-refused"},
		{"registry style without a repository", cluster + "image:\n  registryStyle: ack\n", "registry-style-ack-from-1.25-needs-a-repository"},
		{"shared registry host without a repository", cluster + "image:\n  registry: registry-vpc.cn-hangzhou.aliyuncs.com\n", "a-shared-registry-host-from-1.25-needs-a-repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := run(t, resourceListOf(functionConfig(krm.KindRender, tc.spec), configMap))
			require.ErrorIs(t, err, krm.ErrFailed)
			rl := decodeList(t, stdout)
			assert.Equal(t, []string{"ConfigMap"}, kinds(rl.Items), "nothing added")
			_, cliErr := cliGolden(tc.cli)
			lines := strings.Split(strings.TrimSpace(mustRead(t, cliErr)), "\n")
			require.Equal(t, "Error: invalid values:", lines[0])
			lines = lines[1:]
			require.Len(t, rl.Results, len(lines), "%+v", rl.Results)
			// "  --set image.tag=v3.20.2: image.tag ..." is the result
			// "spec.image.tag ..." on the field spec.image.tag.
			for i, l := range lines {
				_, msg, ok := strings.Cut(l, ": ")
				require.True(t, ok, l)
				key, _, _ := strings.Cut(msg, " ")
				r := rl.Results[i]
				assert.Equal(t, framework.Error, r.Severity)
				assert.Equal(t, "spec."+msg, r.Message)
				assert.Equal(t, &framework.Field{Path: "spec." + key}, r.Field)
				assert.Contains(t, stderr, "error: spec."+msg+"\n")
			}
			assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), len(lines), stderr)
		})
	}
}

// TestFunctionConfigErrors: a functionConfig the function does not take
// fails it, naming what it takes.
func TestFunctionConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, fc, want string }{
		{"wrong kind", "apiVersion: " + krm.APIVersion + "\nkind: Typha\nmetadata:\n  name: x\n",
			`the functionConfig is apiVersion "typharender.github.io/v1alpha1", kind "Typha": want apiVersion typharender.github.io/v1alpha1 with kind TyphaRender (render) or TyphaLint (lint)`},
		{"wrong apiVersion", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  region: cn-hangzhou\n",
			`the functionConfig is apiVersion "v1", kind "ConfigMap": want apiVersion typharender.github.io/v1alpha1 with kind TyphaRender (render) or TyphaLint (lint)`},
		{"values beside spec", functionConfig(krm.KindRender, cluster) + "values:\n  nodes: 3\n",
			`the functionConfig has the field "values": want apiVersion, kind, metadata and spec (the values go under spec)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := run(t, resourceListOf(tc.fc, configMap))
			require.ErrorIs(t, err, krm.ErrFailed)
			rl := decodeList(t, stdout)
			require.Len(t, rl.Results, 1)
			assert.Equal(t, tc.want, rl.Results[0].Message)
			assert.Equal(t, framework.Error, rl.Results[0].Severity)
			assert.Equal(t, "error: "+tc.want+"\n", stderr)
		})
	}
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := run(t, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
		require.ErrorIs(t, err, krm.ErrFailed)
		assert.Equal(t, "error: the function has no functionConfig: want apiVersion typharender.github.io/v1alpha1 with kind TyphaRender (render) or TyphaLint (lint)\n", stderr)
	})
}

// TestLintAsTheLibrary: TyphaLint over each lint rule's fixtures, with
// the fixture's facts, says what lint's reviewed output for them says,
// finding for finding, and fails the function exactly when a finding is
// an error; on the near misses it says nothing.
func TestLintAsTheLibrary(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("../lint/testdata/rules/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			for _, fixture := range []string{"fires.yaml", "passes.yaml"} {
				path := filepath.Join(dir, fixture)
				data := mustRead(t, path)
				first, _, _ := strings.Cut(data, "\n")
				facts, ok := strings.CutPrefix(first, "# facts:")
				require.True(t, ok, path)
				spec := strings.ReplaceAll(strings.TrimSpace(facts), " ", "\n")
				spec = strings.ReplaceAll(spec, "=", ": ") + "\n"
				_, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindLint, spec)), path)

				var want []string
				if fixture == "fires.yaml" {
					// "file:line: severity [rule] message", as lint prints it.
					for _, l := range strings.Split(strings.TrimSpace(mustRead(t, filepath.Join(dir, "fires.txt"))), "\n") {
						_, finding, ok := strings.Cut(l, ".yaml:")
						require.True(t, ok, l)
						_, finding, _ = strings.Cut(finding, ": ")
						want = append(want, finding)
					}
				}
				var got []string
				for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if l == "" || fixture == "passes.yaml" && alsoFires(data, l) {
						continue
					}
					got = append(got, l)
				}
				nErrors := 0
				for _, w := range want {
					if strings.HasPrefix(w, "error ") {
						nErrors++
					}
				}
				if nErrors > 0 {
					require.ErrorIs(t, err, krm.ErrFailed)
				} else {
					require.NoError(t, err, stderr)
				}
				// A message that points at another object names its file
				// and line; the function names its place among the items.
				at := regexp.MustCompile(`at \S+:\d+: `)
				for i := range want {
					want[i] = at.ReplaceAllString(want[i], "at FILE:LINE: ")
				}
				for i := range got {
					got[i] = at.ReplaceAllString(got[i], "at FILE:LINE: ")
				}
				assert.Equal(t, want, got, path)
			}
		})
	}
}

// alsoFires says whether a finding line ("severity [rule] ...") is of a
// rule a fixture's "# also: ID ..." comment names: lint's rule test lets a
// near miss fire those (a Typha v3.32 that vouches for Felix vouches for
// the Tier CRD too, an info of typha-vouched).
func alsoFires(fixture, line string) bool {
	_, rest, ok := strings.Cut(line, " [")
	if !ok {
		return false
	}
	rule, _, _ := strings.Cut(rest, "]")
	for _, l := range strings.Split(fixture, "\n") {
		if !strings.HasPrefix(l, "#") {
			break
		}
		if ids, ok := strings.CutPrefix(l, "# also:"); ok && slices.Contains(strings.Fields(ids), rule) {
			return true
		}
	}
	return false
}

// TestLintResourceList: as kustomize and kpt run it, TyphaLint returns the
// items unchanged, names the resource (and, from kpt's annotations, the
// file) of each finding, passes over local-config items, and fails on an
// error finding: a typo in a hand-edited Deployment stops the build.
func TestLintResourceList(t *testing.T) {
	t.Parallel()
	docs := strings.Split(mustRead(t, "testdata/kustomize/typo/typha.yaml"), "\n---\n")
	require.Len(t, docs, 2)
	// kpt's annotations on the Service, as if read from typha/service.yaml.
	service := strings.Replace(docs[1], "  labels:", "  annotations:\n    internal.config.kubernetes.io/path: typha/service.yaml\n    internal.config.kubernetes.io/index: '0'\n  labels:", 1)
	// A local-config object with the same typo is not output: not linted.
	local := strings.Replace(docs[0], "  labels:", "  annotations:\n    config.kubernetes.io/local-config: 'true'\n  labels:", 1)
	local = strings.Replace(local, "name: calico-typha\n  namespace", "name: local\n  namespace", 1)
	in := resourceListOf(functionConfig(krm.KindLint, cluster), docs[0], service, local, configMap)
	stdout, stderr, err := run(t, in)
	require.ErrorIs(t, err, krm.ErrFailed)
	assert.Contains(t, err.Error(), "1 error, 0 warnings, 0 info in 3 objects (failOn: error)")

	rl := decodeList(t, stdout)
	assert.Equal(t, decodeList(t, in).Items, rl.Items, "the items are returned unchanged")
	require.Len(t, rl.Results, 1, "%+v", rl.Results)
	r := rl.Results[0]
	assert.Equal(t, framework.Error, r.Severity)
	assert.Equal(t, map[string]string{"rule": "service-target-port-name"}, r.Tags)
	assert.Equal(t, &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: "v1", Kind: "Service"},
		NameMeta: yaml.NameMeta{Name: "calico-typha", Namespace: "kube-system"}}, r.ResourceRef)
	assert.Equal(t, &framework.File{Path: "typha/service.yaml"}, r.File)
	assert.Contains(t, r.Message, "the named ones are calico-typa")
	assert.Equal(t, "error [service-target-port-name] "+r.Message+"\n", stderr)

	// Fixed, the same resources pass.
	fixed := strings.Replace(docs[0], "name: calico-typa\n", "name: calico-typha\n", 1)
	stdout, stderr, err = run(t, resourceListOf(functionConfig(krm.KindLint, cluster), fixed, docs[1]))
	require.NoError(t, err, stderr)
	assert.Empty(t, decodeList(t, stdout).Results)
	assert.Empty(t, stderr)
}

// TestLintFailOn: failOn: warning fails on a warning; the default, error,
// does not.
func TestLintFailOn(t *testing.T) {
	t.Parallel()
	fixture := "../lint/testdata/rules/typha-image-tag-not-release/fires.yaml"
	for _, tc := range []struct {
		failOn string
		fails  bool
	}{{"", false}, {"failOn: error\n", false}, {"failOn: warning\n", true}} {
		_, stderr, err := run(t, "", writeConfig(t, functionConfig(krm.KindLint, cluster+tc.failOn)), fixture)
		assert.Contains(t, stderr, "warning [typha-image-tag-not-release] ")
		if tc.fails {
			assert.ErrorIs(t, err, krm.ErrFailed, tc.failOn)
		} else {
			assert.NoError(t, err, tc.failOn)
		}
	}
}

// TestLintSpecErrors: every problem with TyphaLint's spec is an error
// result, and nothing is linted.
func TestLintSpecErrors(t *testing.T) {
	t.Parallel()
	spec := "nodes: a thousand\nkubeVersion: latest\nregion: cn-hangzhou.evil.example/x\nterway: maybe\nfailOn: info\nfail-on: error\nlabels:\n  a: b\n"
	stdout, stderr, err := run(t, resourceListOf(functionConfig(krm.KindLint, spec), configMap))
	require.ErrorIs(t, err, krm.ErrFailed)
	var got []string
	for _, r := range decodeList(t, stdout).Results {
		assert.Equal(t, framework.Error, r.Severity)
		got = append(got, r.Message)
	}
	assert.Equal(t, []string{
		`spec.nodes "a thousand": want the cluster's node count, 1 to 100000`,
		`spec.kubeVersion: invalid Kubernetes version "latest": it does not have two or three dot-separated numbers; want MAJOR.MINOR[.PATCH] with an optional leading v and vendor suffix, such as 1.21, v1.21.3 or v1.30.7-aliyun.1`,
		`spec.region: Region "cn-hangzhou.evil.example/x": is not a region ID: want lowercase letters, digits and dashes, such as cn-hangzhou, ap-southeast-1 or cn-shanghai-finance-1 (dots, slashes, colons, upper case and spaces would change the image host)`,
		`spec.terway "maybe": want true or false`,
		`spec.failOn "info": want error or warning`,
		`spec.fail-on is not a known key: want nodes, kubeVersion, region, terway and failOn`,
		`spec.labels is not a scalar: want a number, string or boolean`,
	}, got)
	assert.Equal(t, len(got), len(strings.Split(strings.TrimSpace(stderr), "\n")))
}

// TestLintNodesZero: nodes: 0 is refused, as lint --nodes 0 is, not taken
// for "unknown".
func TestLintNodesZero(t *testing.T) {
	t.Parallel()
	_, stderr, err := run(t, resourceListOf(functionConfig(krm.KindLint, "nodes: 0\n"), configMap))
	require.ErrorIs(t, err, krm.ErrFailed)
	assert.Equal(t, "error: spec.nodes: node count 0 is out of range: want a whole number from 1 to 100000\n", stderr)
}
