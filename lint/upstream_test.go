package lint_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// upstream reads a file of testdata/upstream (see its README for where
// each comes from), with edits applied in order: each old string must be
// in the file, so that an edit that no longer applies fails the test.
func upstream(t *testing.T, name string, edits ...string) input {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "upstream", filepath.FromSlash(name)))
	require.NoError(t, err)
	s := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, s, edits[i], "%s: the edit no longer applies", name)
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return input{name: name, data: s}
}

type input struct{ name, data string }

func lintInputs(t *testing.T, facts lint.Facts, in ...input) *lint.Report {
	t.Helper()
	var objs []*rules.Object
	for _, i := range in {
		got, err := lint.Parse(i.name, []byte(i.data))
		require.NoError(t, err, i.name)
		objs = append(objs, got...)
	}
	r, err := lint.Lint(objs, facts)
	require.NoError(t, err)
	return r
}

// TestIssue11 runs each false positive and false negative of issue 11 both
// ways, on manifests upstream projects ship (testdata/upstream) and the
// smallest edit of them that turns the case around.
func TestIssue11(t *testing.T) {
	t.Parallel()
	k130 := lint.Facts{KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou"}
	nodes := func(n int) lint.Facts { f := k130; f.Nodes = n; return f }
	const (
		calico   = "calico-v3.31.7/calico-typha.yaml"
		chart    = "calico-v3.21.0-chart/calico-typha.yaml"
		addonDep = "k8s-addon/typha-deployment.yaml"
		addonSvc = "k8s-addon/typha-service.yaml"
		addonCPA = "k8s-addon/typha-horizontal-autoscaler-deployment.yaml"
		terwayOn = "terway-chart/policy-iptables/eni-config.yaml"
		terwayNo = "terway-chart/default/eni-config.yaml"
	)
	cpa := func(edits ...string) func(*testing.T) input {
		return func(t *testing.T) input { return upstream(t, addonCPA, edits...) }
	}
	tests := []struct {
		name   string
		facts  lint.Facts
		inputs []func(*testing.T) input
		rule   string // the rule the case is about
		fires  bool
		// message, when set, is a part of the finding's message.
		message string
		skipped bool // the rule is skipped, not run
	}{
		// typha-relay-not-configured speaks only on a Terway cluster.
		{name: "relay: plain Calico install", facts: k130, rule: rules.RuleTyphaRelayNotConfigured, skipped: true,
			inputs: files(calico)},
		{name: "relay: Calico's Typha with Terway's eni-config", facts: k130, rule: rules.RuleTyphaRelayNotConfigured, fires: true,
			inputs: files(calico, terwayOn)},
		{name: "relay: Calico's Typha on a cluster said to run Terway", facts: withFacts(k130, func(f *lint.Facts) { f.Terway = true }),
			rule: rules.RuleTyphaRelayNotConfigured, fires: true, inputs: files(calico)},

		// typha-replicas-not-below-nodes: the rollout strategy decides.
		{name: "one per node: maxUnavailable 1 does not stall", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes,
			inputs: files(calico)},
		{name: "one per node: maxUnavailable 0 stalls", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes, fires: true,
			message: "maxUnavailable 0", inputs: []func(*testing.T) input{
				func(t *testing.T) input {
					return upstream(t, calico, "      maxUnavailable: 1\n    type: RollingUpdate", "      maxUnavailable: 0\n    type: RollingUpdate")
				}}},
		{name: "one per node: the default 25% of 1 rounds down to 0", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes, fires: true,
			message: "the default 25% of 1, rounded down", inputs: files(chart)},
		{name: "one per node: 25% of 4 is 1", facts: nodes(4), rule: rules.RuleReplicasNotBelowNodes,
			inputs: []func(*testing.T) input{func(t *testing.T) input { return upstream(t, chart, "replicas: 1", "replicas: 4") }}},
		{name: "one per node: Recreate stops the old pods first", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes,
			inputs: []func(*testing.T) input{func(t *testing.T) input {
				return upstream(t, chart, "  revisionHistoryLimit: 2\n", "  revisionHistoryLimit: 2\n  strategy:\n    type: Recreate\n")
			}}},
		{name: "more replicas than nodes stay Pending whatever the strategy", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes, fires: true,
			message: "Pending for good", inputs: []func(*testing.T) input{func(t *testing.T) input {
				return upstream(t, calico, "  replicas: 1\n  revisionHistoryLimit", "  replicas: 3\n  revisionHistoryLimit")
			}}},
		{name: "no hostNetwork: any number fit on a node", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes,
			inputs: []func(*testing.T) input{func(t *testing.T) input { return upstream(t, chart, "      hostNetwork: true\n", "") }}},
		{name: "a hostPort binds the node like hostNetwork", facts: nodes(1), rule: rules.RuleReplicasNotBelowNodes, fires: true,
			inputs: []func(*testing.T) input{func(t *testing.T) input {
				return upstream(t, chart, "      hostNetwork: true\n", "", "        - containerPort: 5473\n", "        - containerPort: 5473\n          hostPort: 5473\n")
			}}},

		// A cluster-proportional-autoscaler owns the replica count.
		{name: "autoscaled Typha with no replicas", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended,
			inputs: files(addonDep, addonSvc, addonCPA)},
		{name: "Typha with no replicas and no autoscaler", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended, fires: true,
			message: "defaults to 1", inputs: files(addonDep, addonSvc)},
		{name: "autoscaler: --target as two arguments, upper case", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("- --target=deployment/calico-typha", "- --target\n          - Deployment/calico-typha")}},
		{name: "autoscaler: --target deployments.apps", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("deployment/calico-typha", "deployments.apps/calico-typha")}},
		{name: "autoscaler: in args, its own namespace", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("        command:\n          - /cluster-proportional-autoscaler\n          - --namespace=kube-system\n", "        args:\n")}},
		{name: "autoscaler: another namespace", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended, fires: true,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("--namespace=kube-system", "--namespace=monitoring")}},
		{name: "autoscaler: another target", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended, fires: true,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("deployment/calico-typha", "deployment/coredns")}},
		{name: "autoscaler: a ReplicaSet target", facts: nodes(1000), rule: rules.RuleReplicasBelowRecommended, fires: true,
			inputs: []func(*testing.T) input{file(addonDep), file(addonSvc), cpa("deployment/calico-typha", "replicaset/calico-typha")}},

		// A named targetPort no container port carries.
		{name: "targetPort names the container port", facts: k130, rule: rules.RuleServiceTargetPortName, inputs: files(addonDep, addonSvc)},
		{name: "targetPort names no container port", facts: k130, rule: rules.RuleServiceTargetPortName, fires: true,
			inputs: []func(*testing.T) input{file(addonDep), func(t *testing.T) input {
				return upstream(t, addonSvc, "targetPort: calico-typha", "targetPort: typha")
			}}},

		// A containerPort other than the one Typha listens on.
		{name: "containerPort 5473", facts: k130, rule: rules.RuleTyphaContainerPort, inputs: files(calico)},
		{name: "containerPort 5474", facts: k130, rule: rules.RuleTyphaContainerPort, fires: true,
			inputs: []func(*testing.T) input{func(t *testing.T) input { return upstream(t, calico, "- containerPort: 5473", "- containerPort: 5474") }}},

		// A PodDisruptionBudget that selects no Typha pod.
		{name: "PDB selects Typha", facts: k130, rule: rules.RulePDBSelector, inputs: files(calico)},
		{name: "PDB selects another label", facts: k130, rule: rules.RulePDBSelector, fires: true,
			inputs: []func(*testing.T) input{func(t *testing.T) input {
				return upstream(t, calico, "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      k8s-app: calico-typha", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: calico-typha")
			}}},

		// Two kube-system/eni-config objects.
		{name: "one eni-config twice", facts: k130, rule: rules.RuleENIConfigConflict,
			inputs: []func(*testing.T) input{file(terwayNo), func(t *testing.T) input { i := upstream(t, terwayNo); i.name = "live/eni-config.yaml"; return i }}},
		{name: "two different eni-configs", facts: k130, rule: rules.RuleENIConfigConflict, fires: true,
			message: `data.disable_network_policy is "false" here and "true" there`, inputs: files(terwayNo, terwayOn)},

		// Unquoted YAML 1.1 booleans: kubectl sends a boolean, the API server rejects it.
		{name: `disable_network_policy: "false"`, facts: k130, rule: rules.RuleENIPolicyValue, inputs: files(terwayOn)},
		{name: "disable_network_policy: no", facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "the API server rejects the ConfigMap", inputs: []func(*testing.T) input{eniPolicy(`no`)}},
		{name: "disable_network_policy: off", facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "the API server rejects the ConfigMap", inputs: []func(*testing.T) input{eniPolicy(`off`)}},
		{name: "disable_network_policy: On", facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "the API server rejects the ConfigMap", inputs: []func(*testing.T) input{eniPolicy(`On`)}},
		{name: "disable_network_policy: YES", facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "the API server rejects the ConfigMap", inputs: []func(*testing.T) input{eniPolicy(`YES`)}},
		{name: "disable_network_policy: false", facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "the API server rejects the ConfigMap", inputs: []func(*testing.T) input{eniPolicy(`false`)}},
		{name: `disable_network_policy: "no" is a string Terway reads as true`, facts: k130, rule: rules.RuleENIPolicyValue, fires: true,
			message: "which Terway reads as true", inputs: []func(*testing.T) input{eniPolicy(`"no"`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var in []input
			for _, f := range tc.inputs {
				in = append(in, f(t))
			}
			r := lintInputs(t, tc.facts, in...)
			var hits []finding.Finding
			for _, f := range r.Findings {
				if f.Rule == tc.rule {
					hits = append(hits, f)
				}
			}
			if tc.skipped {
				assert.Contains(t, skippedIDs(r), tc.rule)
			} else {
				assert.NotContains(t, skippedIDs(r), tc.rule, "the rule must run")
			}
			if !tc.fires {
				assert.Empty(t, hits)
				return
			}
			require.NotEmpty(t, hits, "want %s; got %v", tc.rule, r.Findings)
			if tc.message != "" {
				assert.Contains(t, hits[0].Message, tc.message)
			}
		})
	}
}

func file(name string) func(*testing.T) input {
	return func(t *testing.T) input { return upstream(t, name) }
}

func files(names ...string) []func(*testing.T) input {
	var out []func(*testing.T) input
	for _, n := range names {
		out = append(out, file(n))
	}
	return out
}

// eniPolicy is the Terway chart's eni-config with disable_network_policy
// written as value.
func eniPolicy(value string) func(*testing.T) input {
	return func(t *testing.T) input {
		return upstream(t, "terway-chart/policy-iptables/eni-config.yaml", `disable_network_policy: "false"`, "disable_network_policy: "+value)
	}
}

// TestUpstreamCorpus: every directory of testdata/upstream lints with no
// finding at warning or above, for the facts of a cluster it fits.
func TestUpstreamCorpus(t *testing.T) {
	t.Parallel()
	k130 := lint.Facts{KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou"}
	tests := []struct {
		dir   string
		facts lint.Facts
	}{
		{dir: "calico-v3.31.7", facts: withFacts(k130, func(f *lint.Facts) { f.Nodes = 2 })},
		// Without Typha: calico-kube-controllers is no Typha Deployment.
		{dir: "calico-v3.31.7-plain", facts: withFacts(k130, func(f *lint.Facts) { f.Nodes = 2; f.Terway = true })},
		// policy/v1beta1: a cluster before 1.21.
		{dir: "calico-v3.21.0-chart", facts: lint.Facts{KubeVersion: "v1.20.11-aliyun.1", Nodes: 2}},
		{dir: "k8s-addon", facts: withFacts(k130, func(f *lint.Facts) { f.Nodes = 1000 })},
		{dir: "cpa-example", facts: withFacts(k130, func(f *lint.Facts) { f.Nodes = 1000 })},
		{dir: "terway-chart/default", facts: withFacts(k130, func(f *lint.Facts) { f.Terway = true })},
		{dir: "terway-chart/policy-iptables", facts: withFacts(k130, func(f *lint.Facts) { f.Terway = true })},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[strings.Split(tc.dir, "/")[0]] = true
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			objs, err := lint.ReadPaths([]string{filepath.Join("testdata", "upstream", tc.dir)}, nil)
			require.NoError(t, err)
			require.NotEmpty(t, objs)
			r, err := lint.Lint(objs, tc.facts)
			require.NoError(t, err)
			for _, f := range r.Findings {
				assert.Less(t, f.Severity, finding.Warning, "%s", f)
			}
		})
	}
	dirs, err := os.ReadDir(filepath.Join("testdata", "upstream"))
	require.NoError(t, err)
	for _, d := range dirs {
		if d.IsDir() {
			assert.True(t, seen[d.Name()], "testdata/upstream/%s is linted by no case", d.Name())
		}
	}
}
