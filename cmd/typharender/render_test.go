package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/treetest"
	"github.com/typharender/typharender/render"
)

var cluster = []string{"--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.30.7-aliyun.1"}

func args(a ...[]string) []string { return slices.Concat(a...) }

func TestRender(t *testing.T) {
	matrix := filepath.Join("..", "..", "testdata", "golden", "cn-hangzhou")
	runCases(t, "render", []cmdCase{
		{name: "default", args: args([]string{"render"}, cluster)},
		{name: "json", args: args([]string{"render", "-o", "json"}, cluster)},
		{name: "policy v1beta1 before 1.21", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.20.11-aliyun.1"}},
		{name: "small cluster warns", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "50", "--kube-version", "v1.30.7-aliyun.1"}},
		{name: "unknown region warns", args: []string{"render", "--region", "xx-nowhere-1", "--nodes", "1000", "--kube-version", "v1.30.7-aliyun.1"}},
		{name: "a region one edit from a known one is refused", args: []string{"render", "--region", "cn-shangai", "--nodes", "1000", "--kube-version", "v1.35.2-aliyun.1"}, code: 2},
		{name: "help", args: []string{"render", "--help"}},

		// Field truth: what render says of its own output is what lint says.
		{name: "guide typha at 1.24 has no endpointslice warning", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}},
		{name: "typha in the window", args: args([]string{"render", "--set", "image.tag=v3.26.4"}, cluster)},
		// Refused: the guide's v3.20.2 from 1.25, and what the version table
		// knows cannot serve Terway's Felix; both ways out are named.
		{name: "the guide typha from 1.25 is refused", args: args([]string{"render", "--set", "image.tag=v3.20.2"}, cluster), code: 2},
		{name: "the guide typha vouched for", args: args([]string{"render", "--set", "image.tag=v3.20.2,vouch.endpointSliceV1=true"}, cluster)},
		{name: "typha that needs the tier crd is refused", args: args([]string{"render", "--set", "image.tag=v3.31.7"}, cluster), code: 2},
		{name: "typha that refuses terway felix is refused", args: args([]string{"render", "--set", "image.tag=v3.32.0"}, cluster), code: 2},
		{name: "a claim that lifts nothing warns", args: args([]string{"render", "--set", "vouch.endpointSliceV1=true"}, cluster)},
		{name: "typha at latest warns", args: args([]string{"render", "--set", "image.tag=latest"}, cluster)},
		{name: "another region vpc registry", args: []string{"render", "--set", "image.registry=registry-vpc.cn-beijing.aliyuncs.com", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}},
		{name: "registry style ack below 1.25", args: []string{"render", "--set", "image.registryStyle=ack", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}},
		{name: "registry style ack from 1.25 needs a repository", args: args([]string{"render", "--set", "image.registryStyle=ack"}, cluster), code: 2},
		{name: "a mirror of the default", args: args([]string{"render", "--set", "image.registry=team-registry-vpc.cn-hangzhou.cr.aliyuncs.com"}, cluster)},
		{name: "a shared registry host from 1.25 needs a repository", args: args([]string{"render", "--set", "image.registry=registry-vpc.cn-hangzhou.aliyuncs.com"}, cluster), code: 2},
		{name: "registry style with a registry", args: args([]string{"render", "--set", "image.registryStyle=intl,image.registry=mirror.example.com"}, cluster), code: 2},
		{name: "another region public registry", args: []string{"render", "--set", "image.registry=registry.cn-beijing.aliyuncs.com", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}},
		{name: "eni-config with ipvlan", args: args([]string{"render", "--eni-config", filepath.Join(fixtures, "terway-eniip.yaml")}, cluster)},
		{name: "eni-config with ebpf", args: args([]string{"render", "--eni-config", "testdata/input/eni-config-ebpf.yaml"}, cluster)},
		{name: "eni-config with a relay block", args: args([]string{"render", "--eni-config", "testdata/input/eni-config-relay-block.yaml"}, cluster)},
		{name: "fail on warning", args: args([]string{"render", "--fail-on", "warning", "--set", "image.tag=latest"}, cluster), code: 1},
		{name: "fail on error passes warnings", args: args([]string{"render", "--fail-on", "error", "--set", "image.tag=latest"}, cluster)},
		{name: "fail on error", args: []string{"render", "--fail-on", "error", "--set", "image.registry=registry-vpc.cn-beijing.aliyuncs.com", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}, code: 1},
		{name: "eni-config with fleet", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "out", "--eni-config", "x.yaml"}, code: 2},

		// Values: -f files in order, then --set in order, then flags.
		{name: "values file", args: []string{"render", "-f", "testdata/input/values.yaml"}},
		{name: "later file wins", args: []string{"render", "-f", "testdata/input/values.yaml", "-f", "testdata/input/override.yaml"}},
		// values.yaml has tag v3.24.5 and 1200 nodes: --set wins over it, and
		// --nodes over --set (1500 nodes -> 8 replicas; 200 would give 3).
		{name: "set wins over file and flag over set", args: []string{"render", "-f", "testdata/input/values.yaml", "--set", "image.tag=v3.26.4,nodes=100", "--set", "nodes=200", "--nodes", "1500"}},
		{name: "replicas 0 is refused", args: args([]string{"render", "--set", "replicas=0"}, cluster), code: 2},
		{name: "later set wins", args: args([]string{"render", "--set", "replicas=7,logSeverity=debug", "--set", "replicas=9"}, cluster)},
		{name: "values from stdin", args: []string{"render", "-f", "-"}, stdin: "region: cn-hangzhou\nnodes: 1000\nkubeVersion: v1.30.7-aliyun.1\nreplicas: 6\n"},
		{name: "set escaped dots and commas", args: args([]string{"render", "--set", `labels.app\.kubernetes\.io/name=typha,annotations.example\.com/note=a\,b`}, cluster)},
		{name: "set null restores the default", args: []string{"render", "-f", "testdata/input/override.yaml", "--set", "replicas=null,image=null", "--region", "cn-hangzhou", "--kube-version", "v1.30.7-aliyun.1"}},

		// Errors name the key, the file and the line.
		{name: "bad values file", args: []string{"render", "-f", "testdata/input/bad.yaml"}, code: 2},
		{name: "unknown set key", args: args([]string{"render", "--set", "image.tagg=v1,replica=3"}, cluster), code: 2},
		{name: "set without equals", args: args([]string{"render", "--set", "image.tag"}, cluster), code: 2},
		{name: "two documents", args: []string{"render", "-f", "testdata/input/two-docs.yaml"}, code: 2},
		{name: "broken yaml", args: []string{"render", "-f", "testdata/input/broken.yaml"}, code: 2},
		{name: "values file is a list", args: []string{"render", "-f", "testdata/input/list.yaml"}, code: 2},
		{name: "missing values file", args: []string{"render", "-f", "testdata/input/nope.yaml"}, code: 2},
		{name: "missing required", args: []string{"render"}, code: 2},
		{name: "bad nodes", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1k", "--kube-version", "v1.30.7-aliyun.1"}, code: 2},
		{name: "every bad option", args: []string{"render", "--region", "cn-hangzhou.evil.example/x", "--nodes", "0", "--kube-version", "v1.15.12", "--set", "image.digest=sha256:abc,logSeverity=loud,labels.k8s-app=other"}, code: 2},
		{name: "bad output format", args: args([]string{"render", "-o", "yml"}, cluster), code: 2},
		{name: "extra argument", args: args([]string{"render", "calico-typha.yaml"}, cluster), code: 2},
		{name: "stdin twice", args: []string{"render", "-f", "-", "--check", "-"}, stdin: "region: cn-hangzhou\nnodes: 1000\nkubeVersion: v1.30.7-aliyun.1\n", code: 2},

		// --check: the golden check for CI.
		{name: "check equal", args: args([]string{"render", "--check", filepath.Join(matrix, "1.30-1000.yaml")}, cluster)},
		{name: "check differs", args: args([]string{"render", "--check", filepath.Join(matrix, "1.30-5000.yaml")}, cluster), code: 1},
		{name: "check from stdin", args: args([]string{"render", "--check", "-"}, cluster), stdin: string(mustRead(t, filepath.Join(matrix, "1.30-1000.yaml")))},
		{name: "check json differs from yaml", args: args([]string{"render", "-o", "json", "--check", filepath.Join(matrix, "1.30-1000.yaml")}, cluster), code: 1},
		{name: "check missing file", args: args([]string{"render", "--check", "testdata/input/nope.yaml"}, cluster), code: 2},
		{name: "check with output dir", args: args([]string{"render", "--check", "x.yaml", "--output-dir", "x"}, cluster), code: 2},
		{
			name: "check crlf", args: args([]string{"render", "--check", "$TMP/calico-typha.yaml"}, cluster), code: 1,
			setup: func(t *testing.T, tmp string) {
				crlf := bytes.ReplaceAll(mustRead(t, filepath.Join(matrix, "1.30-1000.yaml")), []byte("\n"), []byte("\r\n"))
				if err := os.WriteFile(filepath.Join(tmp, "calico-typha.yaml"), crlf, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			// CRLF and a real difference: the whole diff.
			name: "check crlf and stale", args: args([]string{"render", "--check", "$TMP/calico-typha.yaml"}, cluster), code: 1,
			setup: func(t *testing.T, tmp string) {
				crlf := bytes.ReplaceAll(mustRead(t, filepath.Join(matrix, "1.30-5000.yaml")), []byte("\n"), []byte("\r\n"))
				if err := os.WriteFile(filepath.Join(tmp, "calico-typha.yaml"), crlf, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{name: "check stale from stdin", args: args([]string{"render", "-f", "testdata/input/values.yaml", "--set", `annotations.example\.com/note=two words`, "--check", "-"}), stdin: string(mustRead(t, filepath.Join(matrix, "1.30-1000.yaml"))), code: 1},
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// objectFileNames are the files --output-dir writes for one cluster.
var objectFileNames = []string{
	"00-service-calico-typha.yaml",
	"01-deployment-calico-typha.yaml",
	"02-poddisruptionbudget-calico-typha.yaml",
	"03-customresourcedefinition-bgppeers.crd.projectcalico.org.yaml",
	"kustomization.yaml",
}

// checkOutputDir checks that dir holds exactly the files of a rendering
// with o, each the object's own YAML.
func checkOutputDir(t *testing.T, dir string, o render.Options) {
	t.Helper()
	if got := treetest.List(t, dir); !slices.Equal(got, objectFileNames) {
		t.Fatalf("files in %s = %q, want %q", dir, got, objectFileNames)
	}
	res, err := render.Render(o)
	if err != nil {
		t.Fatal(err)
	}
	for i, obj := range res.Objects() {
		var want bytes.Buffer
		if err := render.EncodeYAML(&want, obj); err != nil {
			t.Fatal(err)
		}
		if got := treetest.ReadFile(t, filepath.Join(dir, objectFileNames[i])); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s differs from the object's YAML:\n%s", objectFileNames[i], got)
		}
	}
	want := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
	for _, n := range objectFileNames[:4] {
		want += "- " + n + "\n"
	}
	if got := string(treetest.ReadFile(t, filepath.Join(dir, "kustomization.yaml"))); got != want {
		t.Errorf("kustomization.yaml:\n%s\nwant:\n%s", got, want)
	}
}

// noTempLeft checks that no temporary file or directory of a write is
// left in dir: .NAME.typharender-*, or .NAME.tmp-* as earlier versions
// named them.
func noTempLeft(t *testing.T, dir string) {
	t.Helper()
	for _, p := range treetest.List(t, dir) {
		base := filepath.Base(filepath.Clean(p))
		if strings.HasPrefix(base, ".") && (strings.Contains(base, ".typharender-") || strings.Contains(base, ".tmp-")) {
			t.Errorf("left behind in %s: %s", dir, p)
		}
	}
}

func TestRenderOutputDir(t *testing.T) {
	hangzhou := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}
	writeOld := func(t *testing.T, tmp string) {
		// A previous rendering, for 5000 nodes.
		if code := run(args([]string{"render", "--region", "cn-hangzhou", "--nodes", "5000", "--kube-version", "v1.30.7-aliyun.1", "--output-dir", filepath.Join(tmp, "out")}), nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
			t.Fatalf("setup: exit code %d", code)
		}
	}
	runCases(t, "render", []cmdCase{
		{
			name: "output dir", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster),
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "out"), hangzhou)
				noTempLeft(t, tmp)
			},
		},
		{
			name: "output dir replaces a previous rendering", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster),
			golden: "render/output-dir-replaces-a-previous-rendering",
			setup:  writeOld,
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "out"), hangzhou)
				noTempLeft(t, tmp)
			},
		},
		{
			name: "output dir keeps files typharender did not write", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster),
			golden: "render/output-dir-replaces-a-previous-rendering",
			setup: func(t *testing.T, tmp string) {
				writeOld(t, tmp)
				for _, name := range []string{"README.md", ".gitkeep", "notes/keep.yaml"} {
					p := filepath.Join(tmp, "out", filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte("mine\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			},
			after: func(t *testing.T, tmp string) {
				out := filepath.Join(tmp, "out")
				for _, name := range []string{"README.md", ".gitkeep", "notes/keep.yaml"} {
					if got := string(treetest.ReadFile(t, filepath.Join(out, filepath.FromSlash(name)))); got != "mine\n" {
						t.Errorf("%s = %q, want it untouched", name, got)
					}
				}
				if !bytes.Contains(treetest.ReadFile(t, filepath.Join(out, objectFileNames[1])), []byte("replicas: 5")) {
					t.Error("the Deployment is not the new rendering's")
				}
				noTempLeft(t, tmp)
			},
		},
		{
			name: "output dir removes files typharender wrote before", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster),
			setup: func(t *testing.T, tmp string) {
				writeOld(t, tmp)
				// As an older rendering with one more object would have left it.
				out := filepath.Join(tmp, "out")
				if err := os.WriteFile(filepath.Join(out, "04-configmap-calico-typha.yaml"), []byte("old\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "out"), hangzhou)
				noTempLeft(t, tmp)
			},
		},
		{
			name: "output dir leaves unchanged files alone", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster),
			golden: "render/output-dir-replaces-a-previous-rendering",
			setup: func(t *testing.T, tmp string) {
				writeOld(t, tmp)
				// Mark the files the new rendering does not change: the
				// Service, PDB and CRD are the same for 5000 nodes.
				for _, n := range objectFileNames {
					if err := os.Chmod(filepath.Join(tmp, "out", n), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			},
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "out"), hangzhou)
				for i, n := range objectFileNames {
					st, err := os.Stat(filepath.Join(tmp, "out", n))
					if err != nil {
						t.Fatal(err)
					}
					changed := i == 1 // the Deployment: 5 replicas, not 25
					if kept := st.Mode().Perm() == 0o600; kept == changed {
						t.Errorf("%s: mode %v; want it rewritten only if its content changed (%v)", n, st.Mode().Perm(), changed)
					}
				}
			},
		},
		{
			name: "output dir with a kustomization typharender did not write", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster), code: 2,
			setup: func(t *testing.T, tmp string) {
				writeOld(t, tmp)
				k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: prod-\nresources:\n- 00-service-calico-typha.yaml\n"
				if err := os.WriteFile(filepath.Join(tmp, "out", "kustomization.yaml"), []byte(k), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) {
				if !bytes.Contains(treetest.ReadFile(t, filepath.Join(tmp, "out", objectFileNames[1])), []byte("replicas: 25")) {
					t.Error("the previous Deployment was overwritten")
				}
				if !bytes.Contains(treetest.ReadFile(t, filepath.Join(tmp, "out", "kustomization.yaml")), []byte("namePrefix")) {
					t.Error("the person's kustomization.yaml was overwritten")
				}
				noTempLeft(t, tmp)
			},
		},
		{
			name: "output dir with a directory where a file goes", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster), code: 2,
			setup: func(t *testing.T, tmp string) {
				if err := os.MkdirAll(filepath.Join(tmp, "out", objectFileNames[2]), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); !slices.Equal(got, []string{"out/", "out/" + objectFileNames[2] + "/"}) {
					t.Errorf("left %q", got)
				}
			},
		},
		{
			name: "output dir is a file", args: args([]string{"render", "--output-dir", "$TMP/out"}, cluster), code: 2,
			setup: func(t *testing.T, tmp string) {
				if err := os.WriteFile(filepath.Join(tmp, "out"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) { noTempLeft(t, tmp) },
		},
		{
			name: "output dir invalid values writes nothing", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "0", "--kube-version", "v1.30.7-aliyun.1", "--output-dir", "$TMP/out"}, code: 2,
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); len(got) != 0 {
					t.Errorf("wrote %q", got)
				}
			},
		},
		{
			name: "output dir under a file", args: args([]string{"render", "--output-dir", "$TMP/file/out"}, cluster), code: 2,
			setup: func(t *testing.T, tmp string) {
				if err := os.WriteFile(filepath.Join(tmp, "file"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); !slices.Equal(got, []string{"file"}) {
					t.Errorf("left %q", got)
				}
			},
		},
		{
			name: "output dir is the working directory", args: args([]string{"render", "--output-dir", "."}, cluster),
			setup: func(t *testing.T, tmp string) {
				if err := os.Mkdir(filepath.Join(tmp, "out"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(tmp, "out", "go.mod"), []byte("module x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Chdir(filepath.Join(tmp, "out"))
			},
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); len(got) != 7 || !slices.Contains(got, "out/go.mod") || !slices.Contains(got, "out/kustomization.yaml") {
					t.Errorf("left %q, want the rendering beside go.mod", got)
				}
			},
		},
		{name: "output dir json", args: args([]string{"render", "-o", "json", "--output-dir", "$TMP/out"}, cluster), code: 2},
	})
}

func TestRenderFleet(t *testing.T) {
	runCases(t, "render", []cmdCase{
		{
			name: "fleet", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--set", "logSeverity=warning"},
			after: func(t *testing.T, tmp string) {
				dir := filepath.Join(tmp, "fleet")
				for _, c := range []struct {
					name string
					o    render.Options
				}{
					{"prod-hangzhou", render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", LogSeverity: "warning"}},
					{"prod-singapore", render.Options{Region: "ap-southeast-1", Nodes: 5000, KubeVersion: "v1.28.3-aliyun.1", Tag: "v3.28.5", LogSeverity: "warning"}},
					{"legacy-beijing", render.Options{Region: "cn-beijing", Nodes: 300, KubeVersion: "v1.20.11-aliyun.1", LogSeverity: "warning"}},
				} {
					checkOutputDir(t, filepath.Join(dir, c.name), c.o)
				}
				if got := len(treetest.List(t, dir)); got != 3*(1+len(objectFileNames)) {
					t.Errorf("%d entries in %s, want 3 directories of %d files", got, dir, len(objectFileNames))
				}
				noTempLeft(t, tmp)
			},
		},
		{
			// One line instead of a line per file; the files are the same.
			name: "fleet quiet", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--quiet"},
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "fleet", "prod-hangzhou"), render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"})
			},
		},
		{
			name: "quiet removes", args: []string{"render", "-q", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "1.30", "--output-dir", "$TMP/out"},
			setup: func(t *testing.T, tmp string) {
				writeFiles(t, tmp, map[string]string{"out/99-old-object.yaml": "# written by an older typharender\n"})
			},
		},
		{
			name: "fleet with a bad entry writes nothing", args: []string{"render", "--fleet", "testdata/input/fleet-bad.yaml", "--output-dir", "$TMP/fleet"}, code: 2,
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); len(got) != 0 {
					t.Errorf("wrote %q", got)
				}
			},
		},
		{
			name: "fleet from stdin", args: []string{"render", "--fleet", "-", "--output-dir", "$TMP/fleet"}, stdin: string(mustRead(t, "testdata/input/fleet.yaml")),
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "fleet", "prod-singapore"), render.Options{Region: "ap-southeast-1", Nodes: 5000, KubeVersion: "v1.28.3-aliyun.1", Tag: "v3.28.5"})
			},
		},
		{
			name: "fleet removes clusters no longer in it", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet"},
			setup: func(t *testing.T, tmp string) {
				fleet := filepath.Join(tmp, "fleet")
				// Written before: a cluster since removed from the fleet,
				// one with a README, and what is not typharender's at all.
				renderInto(t, filepath.Join(fleet, "gone"))
				renderInto(t, filepath.Join(fleet, "gone-readme"))
				for _, name := range []string{"README.md", "gone-readme/README.md", "docs/00-service-x.yaml", "prod-hangzhou/NOTES"} {
					p := filepath.Join(fleet, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte("mine\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			},
			after: func(t *testing.T, tmp string) {
				fleet := filepath.Join(tmp, "fleet")
				checkOutputDir(t, filepath.Join(fleet, "prod-singapore"), render.Options{Region: "ap-southeast-1", Nodes: 5000, KubeVersion: "v1.28.3-aliyun.1", Tag: "v3.28.5"})
				var kept []string
				for _, p := range treetest.List(t, fleet) {
					if !strings.HasPrefix(p, "prod-") && !strings.HasPrefix(p, "legacy-") {
						kept = append(kept, p)
					}
				}
				want := []string{"README.md", "docs/", "docs/00-service-x.yaml", "gone-readme/", "gone-readme/README.md"}
				if !slices.Equal(kept, want) {
					t.Errorf("besides the fleet's clusters: %q, want %q", kept, want)
				}
				if got := string(treetest.ReadFile(t, filepath.Join(fleet, "prod-hangzhou", "NOTES"))); got != "mine\n" {
					t.Errorf("prod-hangzhou/NOTES = %q", got)
				}
				noTempLeft(t, tmp)
			},
		},
		// Every cluster's warnings, lint's findings included, with its name;
		// --fail-on means for a fleet what it means for one cluster.
		{name: "fleet warns with each cluster name", args: []string{"render", "--fleet", "testdata/input/fleet-warns.yaml", "--output-dir", "$TMP/fleet"},
			after: func(t *testing.T, tmp string) {
				checkOutputDir(t, filepath.Join(tmp, "fleet", "staging-shanghai"), render.Options{Region: "cn-shanghai", Nodes: 300, KubeVersion: "v1.35.2-aliyun.1", Tag: "latest"})
			}},
		{name: "fleet fails on warning and writes nothing", args: []string{"render", "--fleet", "testdata/input/fleet-warns.yaml", "--output-dir", "$TMP/fleet", "--fail-on", "warning"}, code: 1,
			after: func(t *testing.T, tmp string) {
				if _, err := os.Stat(filepath.Join(tmp, "fleet")); !os.IsNotExist(err) {
					t.Errorf("wrote %s under --fail-on: %v", filepath.Join(tmp, "fleet"), err)
				}
			}},
		{name: "fleet passes fail on error", args: []string{"render", "--fleet", "testdata/input/fleet-warns.yaml", "--output-dir", "$TMP/fleet", "--fail-on", "error", "--quiet"}},
		// A re-render writes only what changed, and says so: it used to say
		// "wrote" for every file, changed or not.
		{name: "fleet rendered again writes only what changed", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--set", "logSeverity=debug"},
			setup: func(t *testing.T, tmp string) {
				if code := run([]string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", filepath.Join(tmp, "fleet")}, nil, io.Discard, io.Discard); code != 0 {
					t.Fatalf("setup: exit %d", code)
				}
			}},
		{name: "fleet rendered again quiet", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--quiet"},
			setup: func(t *testing.T, tmp string) {
				if code := run([]string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", filepath.Join(tmp, "fleet")}, nil, io.Discard, io.Discard); code != 0 {
					t.Fatalf("setup: exit %d", code)
				}
			}},
		{name: "fleet needs output dir", args: []string{"render", "--fleet", "testdata/input/fleet.yaml"}, code: 2},
		{name: "fleet with cluster flags", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--region", "cn-hangzhou", "--nodes", "5"}, code: 2},
		{name: "fleet of the wrong shape", args: []string{"render", "--fleet", "testdata/input/fleet-shape.yaml", "--output-dir", "$TMP/fleet"}, code: 2},
		{name: "fleet with bad common values", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/fleet", "--set", "replicas=2"}, code: 0},
	})
}

// writeRendering writes a rendering with extra args into tmp/out, as a
// case's setup.
func writeRendering(extra ...string) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		t.Helper()
		var stderr bytes.Buffer
		a := append([]string{"render", "--output-dir", filepath.Join(tmp, "out")}, extra...)
		if code := run(a, nil, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("setup %q: exit code %d: %s", a, code, stderr.String())
		}
	}
}

// renderInto writes the rendering of cluster into dir, as a case's setup.
func renderInto(t *testing.T, dir string) {
	t.Helper()
	var stderr bytes.Buffer
	a := args([]string{"render", "--output-dir", dir}, cluster)
	if code := run(a, nil, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("setup %q: exit code %d: %s", a, code, stderr.String())
	}
}

func TestRenderCheckDir(t *testing.T) {
	fleet := []string{"--fleet", "testdata/input/fleet.yaml"}
	runCases(t, "render", []cmdCase{
		{name: "check dir equal", args: args([]string{"render", "--check", "$TMP/out"}, cluster), setup: writeRendering(cluster...)},
		{
			name: "check dir differs", args: args([]string{"render", "--check", "$TMP/out"}, cluster), code: 1,
			setup: writeRendering("--region", "cn-hangzhou", "--nodes", "5000", "--kube-version", "v1.30.7-aliyun.1"),
		},
		{
			name: "check dir extra and missing files", args: args([]string{"render", "--check", "$TMP/out"}, cluster), code: 1,
			setup: func(t *testing.T, tmp string) {
				writeRendering(cluster...)(t, tmp)
				// The README is not typharender's: not compared. The
				// ConfigMap file is, and --output-dir would remove it.
				for _, name := range []string{"README.md", "04-configmap-x.yaml"} {
					if err := os.WriteFile(filepath.Join(tmp, "out", name), []byte("mine\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Remove(filepath.Join(tmp, "out", "kustomization.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, tmp string) {
				// A check writes nothing.
				if got := treetest.List(t, filepath.Join(tmp, "out")); !slices.Contains(got, "README.md") || !slices.Contains(got, "04-configmap-x.yaml") || slices.Contains(got, "kustomization.yaml") {
					t.Errorf("files = %q", got)
				}
			},
		},
		{name: "check fleet dir equal", args: args([]string{"render", "--check", "$TMP/out"}, fleet), setup: writeRendering(fleet...)},
		{name: "check fleet dir stale", args: args([]string{"render", "--check", "$TMP/out"}, fleet), code: 1, setup: writeRendering(args(fleet, []string{"--set", "logSeverity=debug"})...)},
		{name: "check fleet with a file", args: args([]string{"render", "--check", "testdata/input/values.yaml"}, fleet), code: 2},
		{name: "check dir json", args: args([]string{"render", "-o", "json", "--check", "$TMP"}, cluster), code: 2},
		{
			name: "check dir crlf", args: args([]string{"render", "--check", "$TMP/out"}, cluster), code: 1,
			setup: func(t *testing.T, tmp string) {
				writeRendering(cluster...)(t, tmp)
				p := filepath.Join(tmp, "out", objectFileNames[0])
				if err := os.WriteFile(p, bytes.ReplaceAll(treetest.ReadFile(t, p), []byte("\n"), []byte("\r\n")), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "check dir with a kustomization typharender did not write", args: args([]string{"render", "--check", "$TMP/out"}, cluster), code: 1,
			setup: func(t *testing.T, tmp string) {
				writeRendering(cluster...)(t, tmp)
				k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: prod-\nresources:\n- 00-service-calico-typha.yaml\n"
				if err := os.WriteFile(filepath.Join(tmp, "out", "kustomization.yaml"), []byte(k), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "check fleet dir with a removed cluster", args: args([]string{"render", "--check", "$TMP/out"}, fleet), code: 1,
			setup: func(t *testing.T, tmp string) {
				writeRendering(fleet...)(t, tmp)
				renderInto(t, filepath.Join(tmp, "out", "old-cluster"))
			},
		},
	})
}

// TestRenderOutputDirAlerts: with alerts.enabled the directory holds the
// PrometheusRule last, as its golden, and kustomization.yaml lists it.
func TestRenderOutputDirAlerts(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := run(args([]string{"render", "--set", "metrics.enabled=true,alerts.enabled=true", "--output-dir", out}, cluster), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	const name = "04-prometheusrule-calico-typha.yaml"
	want := append(append([]string{}, objectFileNames[:4]...), name, "kustomization.yaml")
	if got := treetest.List(t, out); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	golden := treetest.ReadFile(t, filepath.Join("..", "..", "testdata", "alerts", "prometheusrule-1000.yaml"))
	if got := treetest.ReadFile(t, filepath.Join(out, name)); !bytes.Equal(got, golden) {
		t.Errorf("%s differs from testdata/alerts/prometheusrule-1000.yaml:\n%s", name, got)
	}
	if k := string(treetest.ReadFile(t, filepath.Join(out, "kustomization.yaml"))); !strings.HasSuffix(k, "- "+name+"\n") {
		t.Errorf("kustomization.yaml does not list %s last:\n%s", name, k)
	}
}
