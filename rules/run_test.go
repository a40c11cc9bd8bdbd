package rules_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/versioning"
)

// objects parses docs, YAML documents separated by "---\n", into Objects
// of the file "in.yaml".
func objects(t *testing.T, docs string) []*rules.Object {
	t.Helper()
	var out []*rules.Object
	for _, doc := range strings.Split(docs, "---\n") {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, rules.NewObject("in.yaml", n.Content[0]))
	}
	return out
}

// ids returns the rule IDs of findings, and of skips, in order.
func ids(findings []finding.Finding, skipped []rules.Skip) (found, skips []string) {
	for _, f := range findings {
		found = append(found, f.Rule)
	}
	for _, s := range skipped {
		skips = append(skips, s.Rule)
	}
	return found, skips
}

const typhaDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: calico-typha, namespace: kube-system}
spec:
  replicas: 3
  selector: {matchLabels: {k8s-app: calico-typha}}
  template:
    metadata: {labels: {k8s-app: calico-typha}}
    spec:
      hostNetwork: true
      containers:
      - name: calico-typha
        image: quay.io/calico/typha:v3.24.5
        ports: [{name: calico-typha, containerPort: 5473}]
`

// TestPairingByNamespace: a Service and a PodDisruptionBudget are compared
// with the Typha Deployment of their own namespace, or with any when one
// of the two has none (applied with -n); never across two namespaces.
func TestPairingByNamespace(t *testing.T) {
	t.Parallel()
	service := func(ns string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: calico-typha" + ns + "}\nspec:\n  selector: {k8s-app: other}\n  ports: [{name: calico-typha, port: 5473, targetPort: typha-port}]\n"
	}
	pdb := func(ns string) string {
		return "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: calico-typha" + ns + "}\nspec:\n  selector: {matchLabels: {k8s-app: other}}\n"
	}
	pairs := []string{rules.RuleDeploymentSelector, rules.RulePDBSelector, rules.RuleServiceSelector, rules.RuleServiceTargetPortName}
	for _, tc := range []struct {
		name, ns string
		paired   bool
	}{
		{"same namespace", ", namespace: kube-system", true},
		{"no namespace", "", true},
		{"another namespace", ", namespace: default", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			found, skipped := rules.Run(objects(t, typhaDeployment+"---\n"+service(tc.ns)+"---\n"+pdb(tc.ns)), rules.Facts{})
			got, skips := ids(found, skipped)
			for _, id := range pairs[1:] {
				if tc.paired != slices.Contains(got, id) {
					t.Errorf("%s reported: %v, want %v (findings %q)", id, slices.Contains(got, id), tc.paired, got)
				}
				if !tc.paired && !slices.Contains(skips, id) {
					t.Errorf("%s not skipped for want of a Typha Deployment in its namespace (skipped %q)", id, skips)
				}
			}
		})
	}
}

// TestFactsKnown: each fact counts as given only when set.
func TestFactsKnown(t *testing.T) {
	t.Parallel()
	if k := (rules.Facts{}).Known(); k != 0 {
		t.Errorf("no facts: %v", k)
	}
	f := rules.Facts{Nodes: 1, KubeVersion: versioning.New(1, 30), Region: "cn-hangzhou", Terway: true}
	if k := f.Known(); k != rules.FactNodes|rules.FactKubeVersion|rules.FactRegion|rules.FactTerway {
		t.Errorf("every fact: %v", k)
	}
}

// deployment is the Typha Deployment with replicas replicas.
func deployment(replicas int) string {
	return strings.Replace(typhaDeployment, "replicas: 3", "replicas: "+strconv.Itoa(replicas), 1)
}

// TestReplicasBelowRecommendedBoundary: the recommendation, max(3,
// ceil(nodes/200)), holds only while it is below the node count; at or
// above it, fewer replicas are what the nodes allow (and
// typha-replicas-not-below-nodes judges more).
func TestReplicasBelowRecommendedBoundary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		nodes, replicas int
		below           bool
	}{
		{nodes: 3, replicas: 2, below: false}, // the recommendation, 3, is the node count
		{nodes: 4, replicas: 2, below: true},  // 3 is below 4
		{nodes: 4, replicas: 3, below: false},
		{nodes: 1000, replicas: 4, below: true}, // 5 recommended
		{nodes: 1000, replicas: 5, below: false},
	} {
		found, _ := rules.Run(objects(t, deployment(tc.replicas)), rules.Facts{Nodes: tc.nodes})
		got, _ := ids(found, nil)
		if slices.Contains(got, rules.RuleReplicasBelowRecommended) != tc.below {
			t.Errorf("%d replicas for %d nodes: findings %q, want %s: %v", tc.replicas, tc.nodes, got, rules.RuleReplicasBelowRecommended, tc.below)
		}
	}
}

// TestENIPolicyValues: how each value of disable_network_policy is
// judged, as Terway reads it: "false" and "true" pass, "0" and "" are
// nonstandard (Terway reads them as enabled), anything else is an error.
func TestENIPolicyValues(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		`"false"`: "", `"true"`: "", `"0"`: rules.RuleENIPolicyValueLoose, `""`: rules.RuleENIPolicyValueLoose,
		`"False"`: rules.RuleENIPolicyValue, `"yes"`: rules.RuleENIPolicyValue, `false`: rules.RuleENIPolicyValue,
	} {
		cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: eni-config, namespace: kube-system}\ndata:\n  disable_network_policy: " + value + "\n"
		found, _ := rules.Run(objects(t, cm), rules.Facts{})
		got, _ := ids(found, nil)
		if want == "" && len(got) > 0 || want != "" && !slices.Equal(got, []string{want}) {
			t.Errorf("disable_network_policy: %s: findings %q, want %q", value, got, want)
		}
	}
}
