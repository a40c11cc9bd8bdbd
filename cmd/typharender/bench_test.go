package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fleetFile writes a fleet file of n clusters, spread over regions,
// Kubernetes versions (both PodDisruptionBudget APIs) and sizes, and
// returns its path.
func fleetFile(b *testing.B, n int) string {
	b.Helper()
	regions := []string{"cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "cn-beijing"}
	versions := []string{"v1.20.11-aliyun.1", "v1.24.6-aliyun.1", "v1.30.7-aliyun.1", "v1.36.1-aliyun.1"}
	var f strings.Builder
	f.WriteString("clusters:\n")
	for i := range n {
		fmt.Fprintf(&f, "- name: cluster-%05d\n  region: %s\n  nodes: %d\n  kubeVersion: %s\n",
			i, regions[i%len(regions)], 150+(i*37)%5000, versions[(i/len(regions))%len(versions)])
	}
	path := filepath.Join(b.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(f.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkFleet10000: `typharender render --fleet` of 10,000 clusters into
// a new directory (50,000 files), in process, from reading the fleet file
// to the last file written (target: under 3 s).
func BenchmarkFleet10000(b *testing.B) {
	const clusters = 10_000
	fleet := fleetFile(b, clusters)
	out := b.TempDir()
	b.ReportAllocs()
	for i := range b.N {
		dir := filepath.Join(out, fmt.Sprint(i))
		if code := run([]string{"render", "--fleet", fleet, "--output-dir", dir}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit code %d", code)
		}
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(clusters)*float64(b.N)/b.Elapsed().Seconds(), "clusters/s")
}

// BenchmarkLintFleet10000: `typharender lint --fleet` over the 10,000
// clusters render --fleet wrote (50,000 files), in process, each cluster
// with its own facts, from reading the fleet file to the report written
// (target: under 10 s; docs/cli.md gives the number).
func BenchmarkLintFleet10000(b *testing.B) {
	const clusters = 10_000
	fleet := fleetFile(b, clusters)
	dir := filepath.Join(b.TempDir(), "fleet")
	if code := run([]string{"render", "--fleet", fleet, "--output-dir", dir, "--quiet"}, nil, io.Discard, io.Discard); code != 0 {
		b.Fatalf("render --fleet: exit code %d", code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var stdout strings.Builder
		// Some clusters of the fleet have findings (exit 1); none may be
		// unreadable (exit 2).
		if code := run([]string{"lint", "--fleet", fleet, dir}, nil, &stdout, io.Discard); code == exitUsage {
			b.Fatalf("exit code %d", code)
		}
	}
	b.ReportMetric(float64(clusters)*float64(b.N)/b.Elapsed().Seconds(), "clusters/s")
}
