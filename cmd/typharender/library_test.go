package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/values"
)

// TestCLIPrintsWhatTheLibraryReturns: for each input, what the CLI prints
// about it (render, plan and eni-config on stderr, lint on stdout) is,
// line for line, what the library returns for the same input, formatted
// by finding.Finding's methods: the CLI adds nothing and drops nothing.
// The library side calls the library directly, as a Go program would.
func TestCLIPrintsWhatTheLibraryReturns(t *testing.T) {
	t.Parallel()
	input := func(name string) string { return filepath.Join("testdata", "input", name) }
	read := func(t *testing.T, path string) []byte {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	eniConfig := func(t *testing.T, path string) render.Options {
		t.Helper()
		cm, err := render.ReadENIConfig(path, read(t, path))
		if err != nil {
			t.Fatal(err)
		}
		return render.Options{ENIConfig: cm}
	}
	// cluster is the values of --region, --nodes and --kube-version, with
	// --set expressions, as the values layer reads them.
	cluster := func(t *testing.T, region, nodes, version string, sets ...string) render.Options {
		t.Helper()
		v, err := values.Sources{Sets: sets, Settings: []values.Setting{
			{Key: "region", Label: "--region", Value: region}, {Key: "nodes", Label: "--nodes", Value: nodes}, {Key: "kubeVersion", Label: "--kube-version", Value: version},
		}}.Values()
		if err != nil {
			t.Fatal(err)
		}
		return v.Options()
	}
	warnings := func(fs []finding.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Warning())
		}
		return out
	}
	rendered := func(t *testing.T, o render.Options) []string {
		t.Helper()
		res, err := render.Render(o)
		if err != nil {
			t.Fatal(err)
		}
		return warnings(res.Findings)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stdout  bool // compare stdout (lint's text output), not stderr
		library func(t *testing.T) []string
	}{
		{name: "render without findings", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.36.1-aliyun.1"},
			library: func(t *testing.T) []string { return rendered(t, cluster(t, "cn-hangzhou", "1000", "v1.36.1-aliyun.1")) }},
		{name: "render with its own warnings", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "3", "--kube-version", "1.20", "--set", "replicas=5"},
			library: func(t *testing.T) []string { return rendered(t, cluster(t, "cn-hangzhou", "3", "1.20", "replicas=5")) }},
		{name: "render with the rules' findings", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "1.24", "--set", "image.registry=registry.cn-beijing.aliyuncs.com,image.tag=latest"},
			library: func(t *testing.T) []string {
				return rendered(t, cluster(t, "cn-hangzhou", "1000", "1.24", "image.registry=registry.cn-beijing.aliyuncs.com,image.tag=latest"))
			}},
		{name: "render against an eni-config", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1", "--eni-config", input("eni-config-relay-block.yaml")},
			library: func(t *testing.T) []string {
				o := cluster(t, "cn-hangzhou", "1000", "v1.24.6-aliyun.1")
				o.ENIConfig = eniConfig(t, input("eni-config-relay-block.yaml")).ENIConfig
				return rendered(t, o)
			}},
		{name: "render a fleet", args: []string{"render", "--fleet", input("fleet-warns.yaml"), "--output-dir", "$TMP"},
			library: func(t *testing.T) []string {
				r, err := fleet.Render(input("fleet-warns.yaml"), read(t, input("fleet-warns.yaml")), nil)
				if err != nil {
					t.Fatal(err)
				}
				return warnings(r.Findings())
			}},
		{name: "plan", args: []string{"plan", "--mode", "typha", "--region", "cn-hangzhou", "--nodes", "50", "--kube-version", "1.35", "--set", "image.tag=latest", "--eni-config", input("eni-config-relay-block.yaml")},
			library: func(t *testing.T) []string {
				p, err := rollout.Plan(rollout.Options{Mode: render.ModeTypha, Cluster: cluster(t, "cn-hangzhou", "50", "1.35", "image.tag=latest"), ENIConfig: eniConfig(t, input("eni-config-relay-block.yaml")).ENIConfig})
				if err != nil {
					t.Fatal(err)
				}
				return warnings(p.Findings)
			}},
		{name: "eni-config", args: []string{"eni-config", "--mode", "disable-policy", filepath.Join("..", "..", "testdata", "eniconfig", "already-typha.yaml")},
			library: func(t *testing.T) []string {
				e, err := render.EditENIConfig(eniConfig(t, filepath.Join("..", "..", "testdata", "eniconfig", "already-typha.yaml")).ENIConfig, render.ModeDisablePolicy)
				if err != nil {
					t.Fatal(err)
				}
				return append(e.Notes(), warnings(e.Findings)...)
			}},
		{name: "lint", args: []string{"lint", "--nodes", "2", "--kube-version", "v1.20.11-aliyun.1", "--region", "cn-beijing", fx + "typha.yaml", fx + "eni-typha.yaml"}, code: 1, stdout: true,
			library: func(t *testing.T) []string {
				in, err := lint.ReadAll([]string{fx + "typha.yaml", fx + "eni-typha.yaml"}, lint.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				report, err := lint.Lint(in.Objects, lint.Facts{Nodes: 2, KubeVersion: "v1.20.11-aliyun.1", Region: "cn-beijing"})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, f := range report.Findings {
					out = append(out, f.String())
				}
				return out
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := slices.Clone(tc.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "$TMP", t.TempDir())
			}
			var stdout, stderr bytes.Buffer
			if code := run(args, nil, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr.String())
			}
			printed := stderr.String()
			if tc.stdout {
				printed = stdout.String()
			}
			got := strings.Split(strings.TrimSuffix(printed, "\n"), "\n")
			if printed == "" {
				got = nil
			}
			want := tc.library(t)
			if !slices.Equal(got, want) {
				t.Errorf("the CLI prints\n  %s\nthe library returns\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if len(want) == 0 && tc.name != "render without findings" {
				t.Errorf("the case shows nothing: give it an input with findings")
			}
		})
	}
}
