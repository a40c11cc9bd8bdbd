package main

import (
	"path/filepath"
	"testing"
)

func TestPlan(t *testing.T) {
	eni := filepath.Join(fixtures, "terway-eniip.yaml")
	runCases(t, "plan", []cmdCase{
		{name: "typha", args: args([]string{"plan", "--mode", "typha"}, cluster)},
		{name: "typha exact patch", args: args([]string{"plan", "--mode", "typha", "--eni-config", eni}, cluster)},
		{name: "typha policy disabled", args: args([]string{"plan", "--mode", "typha", "--eni-config", filepath.Join(fixtures, "policy-disabled.yaml")}, cluster)},
		{name: "typha already configured", args: args([]string{"plan", "--mode", "typha", "--eni-config", filepath.Join(fixtures, "already-typha.yaml")}, cluster)},
		{name: "typha eni-config from stdin", args: args([]string{"plan", "--mode", "typha", "--eni-config", "-"}, cluster), stdin: string(mustRead(t, "testdata/input/eni-config.json"))},
		{name: "typha values and daemonset", args: []string{"plan", "--mode", "typha", "-f", "testdata/input/values.yaml", "--set", "replicas=8", "--terway-daemonset", "terway-eni", "--manifest", "typha manifests.yaml", "--timeout", "10m"}},
		{name: "typha old cluster", args: []string{"plan", "--mode", "typha", "--region", "cn-beijing", "--nodes", "80", "--kube-version", "v1.20.11-aliyun.1"}},
		{name: "typha json", args: args([]string{"plan", "--mode", "typha", "-o", "json"}, cluster)},
		{name: "disable policy", args: []string{"plan", "--mode", "disable-policy"}},
		{name: "disable policy exact", args: []string{"plan", "--mode", "disable-policy", "--eni-config", filepath.Join(fixtures, "already-typha.yaml"), "--terway-daemonset", "terway"}},
		{name: "help", args: []string{"plan", "--help"}},

		{name: "no mode", args: args([]string{"plan"}, cluster), code: 2},
		{name: "bad mode", args: args([]string{"plan", "--mode", "typha-only"}, cluster), code: 2},
		{name: "typha without cluster", args: []string{"plan", "--mode", "typha"}, code: 2},
		{name: "disable policy with cluster", args: args([]string{"plan", "--mode", "disable-policy"}, cluster), code: 2},
		{name: "bad daemonset", args: args([]string{"plan", "--mode", "typha", "--terway-daemonset", "terway;reboot"}, cluster), code: 2},
		{name: "bad timeout", args: args([]string{"plan", "--mode", "typha", "--timeout", "soon"}, cluster), code: 2},
		{name: "tiny timeout", args: args([]string{"plan", "--mode", "typha", "--timeout", "1ms"}, cluster), code: 2},
		{name: "values from stdin", args: []string{"plan", "--mode", "typha", "-f", "-"}, stdin: "region: cn-hangzhou\n", code: 2},
		{name: "eni-config not a configmap", args: args([]string{"plan", "--mode", "typha", "--eni-config", "../../testdata/golden/cn-hangzhou/1.30-1000.yaml"}, cluster), code: 2},
		{name: "eni-config missing", args: args([]string{"plan", "--mode", "typha", "--eni-config", "nope.yaml"}, cluster), code: 2},
		{name: "bad output", args: args([]string{"plan", "--mode", "typha", "-o", "yaml"}, cluster), code: 2},
	})
}
