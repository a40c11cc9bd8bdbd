package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// findingRE matches a finding as render prints it ("Warning: [ID] ..."
// or "Warning: [ID] (error) ...") and as lint -o text prints it
// ("file:line: warning [ID] ...").
var findingRE = regexp.MustCompile(`(?m)(?:^Warning: (?:cluster [a-z0-9-]+: )?\[([a-z0-9-]+)\] (\(error\) )?|: (warning|error) \[([a-z0-9-]+)\] )`)

// findings returns the "severity ID" pairs in out, sorted.
func findings(out string) []string {
	var got []string
	for _, m := range findingRE.FindAllStringSubmatch(out, -1) {
		switch {
		case m[1] != "" && m[2] != "":
			got = append(got, "error "+m[1])
		case m[1] != "":
			got = append(got, "warning "+m[1])
		default:
			got = append(got, m[3]+" "+m[4])
		}
	}
	slices.Sort(got)
	return got
}

// TestRenderAndLintAgree: for every rendering in the golden matrix, with
// and without the cluster's eni-config, and with cross-region registries,
// the warnings and errors render prints about its output are exactly what
// lint says about that output with the same facts.
func TestRenderAndLintAgree(t *testing.T) {
	t.Parallel()
	type cluster struct {
		region, version, nodes string
		extra                  []string // more render arguments
	}
	var clusters []cluster
	root := filepath.Join("..", "..", "testdata", "golden")
	goldenName := regexp.MustCompile(`^(\d+\.\d+)-(\d+)\.yaml$`)
	regions, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regions {
		if !r.IsDir() || r.Name() == "eniconfig" {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, r.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			m := goldenName.FindStringSubmatch(f.Name())
			if m == nil {
				t.Fatalf("unexpected golden %s", f.Name())
			}
			clusters = append(clusters, cluster{region: r.Name(), version: m[1], nodes: m[2]})
		}
	}
	if len(clusters) != 126 {
		t.Fatalf("%d renderings in the matrix, want 126", len(clusters))
	}
	for _, registry := range []string{"registry-vpc.cn-beijing.aliyuncs.com", "registry.cn-beijing.aliyuncs.com",
		"registry-cn-beijing-vpc.ack.aliyuncs.com", "registry-intl.ap-southeast-1.aliyuncs.com", "team-registry-vpc.cn-hangzhou.cr.aliyuncs.com"} {
		// Below 1.25, where the default image is in the cluster's own
		// registry, and from 1.25 with a repository of the person's own.
		clusters = append(clusters,
			cluster{region: "cn-hangzhou", version: "1.24", nodes: "1000", extra: []string{"--set", "image.registry=" + registry}},
			cluster{region: "cn-hangzhou", version: "1.30", nodes: "1000", extra: []string{"--set", "image.registry=" + registry + ",image.repository=my-namespace/typha"}})
	}
	// From 1.25: the guide's tag vouched for, a tag that is no release, and
	// a tag the Terway-only rules would refuse, vouched for.
	for _, set := range []string{"image.tag=v3.20.2,vouch.endpointSliceV1=true", "image.tag=latest", "image.tag=v3.32.1,vouch.tierCRD=true,vouch.felixModernPolicyKeys=true"} {
		clusters = append(clusters, cluster{region: "cn-hangzhou", version: "1.35", nodes: "1000", extra: []string{"--set", set}})
	}
	// The day-two keys: the autoscaler owns the replica count (lint sees its
	// Deployment targeting Typha), metrics and zone spread add to the pod.
	for _, set := range []string{"autoscaler.enabled=true", "metrics.enabled=true", "zoneSpread.enabled=true", "autoscaler.enabled=true,metrics.enabled=true,zoneSpread.enabled=true,image.tag=v3.26.4"} {
		clusters = append(clusters, cluster{region: "cn-hangzhou", version: "1.30", nodes: "1000", extra: []string{"--set", set}})
	}
	eni := []string{"", filepath.Join(root, "eniconfig", "terway-eniip-veth-typha.yaml"), filepath.Join(root, "eniconfig", "terway-eniip-typha.yaml")}
	dir := t.TempDir()
	for i, c := range clusters {
		facts := []string{"--region", c.region, "--nodes", c.nodes, "--kube-version", c.version}
		var out, rerr bytes.Buffer
		if code := run(append(append([]string{"render"}, facts...), c.extra...), nil, &out, &rerr); code != 0 {
			t.Fatalf("render %v: exit %d: %s", c, code, rerr.String())
		}
		file := filepath.Join(dir, strings.Join([]string{c.region, c.version, c.nodes, string(rune('a' + i%26))}, "-")+".yaml")
		if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, e := range eni {
			renderArgs := append(append([]string{"render"}, facts...), c.extra...)
			lintArgs := append(append([]string{"lint", "--fail-on", "error"}, facts...), file)
			if e != "" {
				renderArgs = append(renderArgs, "--eni-config", e)
				lintArgs = append(lintArgs, e)
			}
			var rout, rerr, lout, lerr bytes.Buffer
			run(renderArgs, nil, &rout, &rerr)
			run(lintArgs, nil, &lout, &lerr)
			// render states replica findings in its own words (from the
			// same sizing functions); none fire on the matrix's defaults.
			if got, want := findings(rerr.String()), findings(lout.String()); !slices.Equal(got, want) {
				t.Errorf("render %v (eni-config %q) prints %q; lint of its output says %q", renderArgs[1:], e, got, want)
			}
		}
	}
}

// TestFindingWarningPrefix: a finding render prints reads "Warning: [ID]
// message" for a warning, never "Warning: warning [ID]", and says its
// severity only when it is an error.
func TestFindingWarningPrefix(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run([]string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1",
		"--set", "image.registry=registry.cn-beijing.aliyuncs.com",
		"--eni-config", filepath.Join("testdata", "input", "eni-config-relay-block.yaml")}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	stderr := errOut.String()
	if strings.Contains(stderr, "Warning: warning") || strings.Contains(stderr, "Warning: error") {
		t.Errorf("stderr repeats the word warning or puts the severity first:\n%s", stderr)
	}
	for _, want := range []string{"Warning: [image-region-public-endpoint] Deployment kube-system/calico-typha: ", "Warning: [eni-relay-service-value] (error) ConfigMap kube-system/eni-config: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestFailOnOneMeaning: --fail-on means the same on render (one cluster or
// a fleet), plan, lint and size: exit 1 when a warning or finding the
// command reports is at or above the severity, its own warnings counting
// as warnings; the help says so in the same words everywhere.
func TestFailOnOneMeaning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	latest := filepath.Join(dir, "latest.yaml")
	cluster := []string{"--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.35.2-aliyun.1"}
	var out, errOut bytes.Buffer
	if code := run(append([]string{"render", "--set", "image.tag=latest"}, cluster...), nil, &out, &errOut); code != 0 {
		t.Fatalf("render: %d %s", code, errOut.String())
	}
	if err := os.WriteFile(latest, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fleet := filepath.Join("testdata", "input", "fleet-warns.yaml")
	small := []string{"--region", "cn-hangzhou", "--nodes", "50", "--kube-version", "v1.35.2-aliyun.1"}
	for _, tc := range []struct {
		name string
		args []string // without --fail-on
	}{
		// A warning finding: Typha's image at latest.
		{"render", append([]string{"render", "--set", "image.tag=latest"}, cluster...)},
		{"render fleet", []string{"render", "--fleet", fleet, "--output-dir", filepath.Join(dir, "fleet")}},
		{"plan", append([]string{"plan", "--mode", "typha", "--set", "image.tag=latest"}, cluster...)},
		{"lint", append([]string{"lint", "--terway", latest}, cluster...)},
		// A warning of the command's own: Typha is not needed at 50 nodes.
		{"render own warning", append([]string{"render"}, small...)},
		{"plan own warning", append([]string{"plan", "--mode", "typha"}, small...)},
		{"size own warning", []string{"size", "--nodes", "50"}},
	} {
		for sev, want := range map[string]int{"warning": 1, "error": 0} {
			var out, errOut bytes.Buffer
			if code := run(append(slices.Clone(tc.args), "--fail-on", sev), nil, &out, &errOut); code != want {
				t.Errorf("%s --fail-on %s: exit %d, want %d; stderr:\n%s", tc.name, sev, code, want, errOut.String())
			}
		}
	}
	var usage []string
	for _, cmd := range []string{"render", "plan", "lint", "size"} {
		var out bytes.Buffer
		run([]string{cmd, "--help"}, nil, &out, io.Discard)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "--fail-on string") {
				usage = append(usage, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), `(default "error")`)))
			}
		}
	}
	if len(usage) != 4 {
		t.Fatalf("--fail-on in %d helps, want 4: %q", len(usage), usage)
	}
	for _, u := range usage[1:] {
		if strings.Join(strings.Fields(u), " ") != strings.Join(strings.Fields(usage[0]), " ") {
			t.Errorf("--fail-on reads %q here and %q in render's help", u, usage[0])
		}
	}
}
