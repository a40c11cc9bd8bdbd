package rules_test

import (
	"slices"
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
