package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/versioning"
)

// The day-two features on the command line: node counts and versions
// from kubectl output, rollbacks, metrics and the autoscaler in plans.
var (
	nodesJSON   = filepath.Join("testdata", "input", "nodes-1200.json")
	versionJSON = filepath.Join("testdata", "input", "version.json")
	fewNodes    = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: cn-hangzhou.192.168.0.10
    labels: {kubernetes.io/os: linux}
- apiVersion: v1
  kind: Node
  metadata:
    name: virtual-kubelet-cn-hangzhou-h
    labels: {kubernetes.io/os: linux, type: virtual-kubelet}
- apiVersion: v1
  kind: Node
  metadata:
    name: cn-hangzhou.192.168.0.11
  status:
    nodeInfo: {operatingSystem: windows}
`
	onlyVirtual = "kind: List\nitems:\n- kind: Node\n  metadata:\n    name: vk\n    labels: {type: virtual-kubelet}\n"
)

func TestDayTwo(t *testing.T) {
	eni := func(name string) string { return filepath.Join(fixtures, name) }
	fromKubectl := []string{"--region", "cn-hangzhou", "--nodes-from", nodesJSON, "--kube-version-from", versionJSON}
	runCases(t, "day2", []cmdCase{
		// --nodes-from and --kube-version-from: 1,200 nodes, 1,000 run Felix.
		{name: "render from kubectl", args: args([]string{"render"}, fromKubectl)},
		{name: "render nodes yaml from stdin", args: []string{"render", "--region", "cn-hangzhou", "--nodes-from", "-", "--kube-version", "1.30"}, stdin: fewNodes},
		{name: "size from kubectl", args: []string{"size", "--nodes-from", nodesJSON}},
		{name: "lint from kubectl", args: []string{"lint", "--nodes-from", nodesJSON, "--kube-version-from", versionJSON, "--verbose", "../../testdata/golden/cn-hangzhou/1.30-1000.yaml"}},
		{name: "plan from kubectl with metrics", args: args([]string{"plan", "--mode", "typha", "--set", "metrics.enabled=true"}, fromKubectl)},
		{name: "plan autoscaler", args: args([]string{"plan", "--mode", "typha", "--set", "autoscaler.enabled=true"}, cluster)},
		{name: "render all features", args: args([]string{"render", "--set", "autoscaler.enabled=true,metrics.enabled=true,zoneSpread.enabled=true"}, cluster)},

		// Rollbacks.
		{name: "rollback typha", args: []string{"plan", "--mode", "rollback", "--from", "typha"}},
		{name: "rollback typha exact", args: []string{"plan", "--mode", "rollback", "--from", "typha", "--eni-config", eni("already-typha.yaml"), "--eni-config-backup", eni("policy-disabled.yaml"), "--terway-daemonset", "terway-eni"}},
		{name: "rollback typha metrics json", args: []string{"plan", "--mode", "rollback", "--from", "typha", "--metrics", "-o", "json"}},
		{name: "rollback typha already done", args: []string{"plan", "--mode", "rollback", "--from", "typha", "--eni-config", eni("terway-eniip.yaml"), "--eni-config-backup", eni("terway-eniip.yaml")}},
		{name: "rollback disable-policy exact", args: []string{"plan", "--mode", "rollback", "--from", "disable-policy", "--eni-config", eni("policy-disabled.yaml")}},

		// Errors.
		{name: "rollback without from", args: []string{"plan", "--mode", "rollback"}, code: 2},
		{name: "rollback bad from", args: []string{"plan", "--mode", "rollback", "--from", "calico"}, code: 2},
		{name: "rollback with cluster", args: args([]string{"plan", "--mode", "rollback", "--from", "typha"}, cluster), code: 2},
		{name: "from without rollback", args: args([]string{"plan", "--mode", "typha", "--from", "typha"}, cluster), code: 2},
		{name: "rollback metrics from disable-policy", args: []string{"plan", "--mode", "rollback", "--from", "disable-policy", "--metrics"}, code: 2},
		{name: "rollback backup not eni-config", args: []string{"plan", "--mode", "rollback", "--from", "typha", "--eni-config-backup", "../../testdata/golden/cn-hangzhou/1.30-1000.yaml"}, code: 2},
		{name: "nodes and nodes-from", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "5", "--nodes-from", nodesJSON, "--kube-version", "1.30"}, code: 2},
		{name: "nodes-from not nodes", args: []string{"size", "--nodes-from", "testdata/input/values.yaml"}, code: 2},
		{name: "nodes-from only virtual", args: []string{"size", "--nodes-from", "-"}, stdin: onlyVirtual, code: 2},
		{name: "kube-version-from client only", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version-from", "testdata/input/version-client-only.json"}, code: 2},
		{name: "kube-version-from too large", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version-from", "-"}, stdin: strings.Repeat(" ", versioning.MaxKubectlBytes+1), code: 2},
		// A sparse file: its size is read, not its bytes.
		{name: "nodes-from too large", args: []string{"size", "--nodes-from", "$TMP/nodes.json"}, code: 2, setup: func(t *testing.T, tmp string) {
			f, err := os.Create(filepath.Join(tmp, "nodes.json"))
			if err == nil {
				err = errors.Join(f.Truncate(sizing.MaxNodeListBytes+1), f.Close())
			}
			if err != nil {
				t.Fatal(err)
			}
		}},
		{name: "lint nodes-from stdin taken", args: []string{"lint", "--nodes-from", "-", "-"}, stdin: fewNodes, code: 2},
		{name: "autoscaler with replicas", args: args([]string{"render", "--set", "autoscaler.enabled=true,replicas=4"}, cluster), code: 2},
		{name: "zone spread on 1.18", args: []string{"render", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.18.8-aliyun.1", "--set", "zoneSpread.enabled=true"}, code: 2},
		{name: "fleet with nodes-from", args: []string{"render", "--fleet", "testdata/input/fleet.yaml", "--output-dir", "$TMP/out", "--nodes-from", nodesJSON}, code: 2},
	})
}
