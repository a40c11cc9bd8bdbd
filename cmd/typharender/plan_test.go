package main

import (
	"path/filepath"
	"testing"
)

func TestPlan(t *testing.T) {
	eni := filepath.Join(fixtures, "terway-eniip-veth.yaml")
	runCases(t, "plan", []cmdCase{
		{name: "typha", args: args([]string{"plan", "--mode", "typha"}, cluster)},
		{name: "typha exact patch", args: args([]string{"plan", "--mode", "typha", "--eni-config", eni}, cluster)},
		{name: "typha policy disabled", args: args([]string{"plan", "--mode", "typha", "--eni-config", filepath.Join(fixtures, "policy-disabled.yaml")}, cluster)},
		{name: "typha already configured", args: args([]string{"plan", "--mode", "typha", "--eni-config", filepath.Join(fixtures, "already-typha.yaml")}, cluster)},
		{name: "typha eni-config from stdin", args: args([]string{"plan", "--mode", "typha", "--eni-config", "-"}, cluster), stdin: string(mustRead(t, "testdata/input/eni-config.json"))},
		// The rollout the issue asks for, on a version ACK supports today: the
		// pre-flight and in-sync gates before the eni-config patch, the
		// canary before the rolling restart.
		{name: "typha on 1.35 with its gates", args: []string{"plan", "--mode", "typha", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.35.2-aliyun.1", "--eni-config", eni}},
		{name: "typha on 1.35 json", args: []string{"plan", "--mode", "typha", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.35.2-aliyun.1", "--eni-config", eni, "-o", "json"}},
		{name: "typha through a mirror", args: args([]string{"plan", "--mode", "typha", "--set", "image.registry=team-registry-vpc.cn-hangzhou.cr.aliyuncs.com"}, cluster)},
		{name: "typha values and daemonset", args: []string{"plan", "--mode", "typha", "-f", "testdata/input/values.yaml", "--set", "replicas=8,logSeverity=info", "--terway-daemonset", "terway-eni", "--manifest", "typha manifests.yaml", "--timeout", "10m"}},
		{name: "typha logging above info is refused", args: []string{"plan", "--mode", "typha", "-f", "testdata/input/values.yaml"}, code: 2},
		{name: "typha old cluster", args: []string{"plan", "--mode", "typha", "--region", "cn-beijing", "--nodes", "80", "--kube-version", "v1.20.11-aliyun.1"}},
		{name: "typha json", args: args([]string{"plan", "--mode", "typha", "-o", "json"}, cluster)},
		{name: "disable policy", args: []string{"plan", "--mode", "disable-policy"}},
		{name: "disable policy where Cilium enforces it", args: []string{"plan", "--mode", "disable-policy", "--eni-config", filepath.Join(fixtures, "terway-eniip.yaml")}},
		{name: "disable policy exact", args: []string{"plan", "--mode", "disable-policy", "--eni-config", filepath.Join(fixtures, "already-typha.yaml"), "--terway-daemonset", "terway"}},
		{name: "help", args: []string{"plan", "--help"}},
		{name: "typha at 1.24", args: []string{"plan", "--mode", "typha", "--region", "cn-hangzhou", "--nodes", "1000", "--kube-version", "v1.24.6-aliyun.1"}},
		{name: "typha ipvlan allowed", args: args([]string{"plan", "--mode", "typha", "--allow-no-felix", "--eni-config", filepath.Join(fixtures, "terway-eniip.yaml")}, cluster)},

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
		{name: "typha ipvlan refused", args: args([]string{"plan", "--mode", "typha", "--eni-config", filepath.Join(fixtures, "terway-eniip.yaml")}, cluster), code: 2},
		{name: "typha ebpf refused", args: args([]string{"plan", "--mode", "typha", "--eni-config", "testdata/input/eni-config-ebpf.yaml"}, cluster), code: 2},
		{name: "typha datapathv2 refused", args: args([]string{"plan", "--mode", "typha", "--eni-config", "testdata/input/eni-config-datapathv2.yaml"}, cluster), code: 2},
		{name: "fail on warning", args: args([]string{"plan", "--mode", "typha", "--fail-on", "warning", "--set", "image.tag=latest"}, cluster), code: 1},
		{name: "fail on error passes", args: args([]string{"plan", "--mode", "typha", "--fail-on", "error", "--set", "image.tag=latest"}, cluster)},
		{name: "bad fail-on", args: args([]string{"plan", "--mode", "typha", "--fail-on", "info"}, cluster), code: 2},
	})
}
