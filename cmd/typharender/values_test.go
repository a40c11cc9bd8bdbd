package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/treetest"
	"github.com/typharender/typharender/values"
)

// TestRenderHelpListsValuesKeys checks that render --help gives the values
// keys as the values table generates them.
func TestRenderHelpListsValuesKeys(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"render", "--help"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), values.Help()) {
		t.Errorf("render --help does not hold values.Help():\n%s\nhelp:\n%s", values.Help(), stdout.String())
	}
}

// bigFile writes a file of size bytes, a YAML comment, to tmp/name.
func bigFile(name string, size int) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		t.Helper()
		data := bytes.Repeat([]byte("#"), size)
		data[size-1] = '\n'
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderValuesErrors(t *testing.T) {
	var fleetTooLong strings.Builder
	fleetTooLong.WriteString("clusters:\n")
	for range values.MaxFleetClusters + 1 {
		fleetTooLong.WriteString("- {}\n")
	}
	runCases(t, "render", []cmdCase{
		// One pass: an unknown key hides nothing, and the order is the file's.
		{name: "values file with every problem", args: []string{"render", "-f", "testdata/input/every-problem.yaml"}, code: 2},
		{name: "values files and flags with every problem", args: []string{"render", "-f", "testdata/input/every-problem.yaml", "-f", "testdata/input/bad.yaml", "--set", "image.digest=sha256:abc,imagee.tag=x", "--kube-version", "1.x"}, code: 2},
		{
			name: "fleet with every problem", args: []string{"render", "--fleet", "testdata/input/fleet-every-problem.yaml", "--output-dir", "$TMP/fleet"}, code: 2,
			after: func(t *testing.T, tmp string) {
				if got := treetest.List(t, tmp); len(got) != 0 {
					t.Errorf("wrote %q", got)
				}
			},
		},

		// Input bounds, checked before parsing.
		{name: "values file too large", args: []string{"render", "-f", "$TMP/big.yaml"}, setup: bigFile("big.yaml", values.MaxValuesBytes+1), code: 2},
		{name: "values from stdin too large", args: []string{"render", "-f", "-"}, stdin: strings.Repeat("#", values.MaxValuesBytes+1), code: 2},
		{name: "fleet file too large", args: []string{"render", "--fleet", "$TMP/big.yaml", "--output-dir", "$TMP/fleet"}, setup: bigFile("big.yaml", values.MaxFleetBytes+1), code: 2},
		{name: "fleet with too many clusters", args: []string{"render", "--fleet", "-", "--output-dir", "$TMP/fleet"}, stdin: fleetTooLong.String(), code: 2},
	})
}

// TestValuesAtTheLimit checks that a values file of exactly MaxValuesBytes
// is read.
func TestValuesAtTheLimit(t *testing.T) {
	tmp := t.TempDir()
	data := []byte("region: cn-hangzhou\nnodes: 1000\nkubeVersion: v1.30.7-aliyun.1\n#")
	data = append(data, bytes.Repeat([]byte("#"), values.MaxValuesBytes-len(data)-1)...)
	data = append(data, '\n')
	path := filepath.Join(tmp, "values.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"render", "-f", path}, nil, io.Discard, &stderr); code != 0 {
		t.Errorf("a values file of %d bytes: exit code %d: %s", len(data), code, stderr.String())
	}
}
