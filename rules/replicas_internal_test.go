package rules

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestRolloutOf: maxUnavailable resolved as the Deployment controller
// resolves it (ResolveFenceposts), one case per rule.
func TestRolloutOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		strategy string // the spec.strategy mapping, "" for none
		replicas int
		want     rollout
	}{
		{name: "default 25% of 3 rounds down", replicas: 3, want: rollout{maxUnavail: 0, unavailWhy: "the default 25% of 3, rounded down"}},
		{name: "default 25% of 4", replicas: 4, want: rollout{maxUnavail: 1, unavailWhy: "the default 25% of 4, rounded down"}},
		{name: "null is the default", strategy: "{rollingUpdate: {maxUnavailable: null}}", replicas: 3, want: rollout{unavailWhy: "the default 25% of 3, rounded down"}},
		{name: "a number", strategy: "{rollingUpdate: {maxUnavailable: 1}}", replicas: 3, want: rollout{maxUnavail: 1}},
		{name: "34% of 3 is 1.02", strategy: "{rollingUpdate: {maxUnavailable: 34%}}", replicas: 3, want: rollout{maxUnavail: 1, unavailWhy: "34% of 3, rounded down"}},
		{name: "33% of 3 is 0.99", strategy: "{rollingUpdate: {maxUnavailable: 33%}}", replicas: 3, want: rollout{maxUnavail: 0, unavailWhy: "33% of 3, rounded down"}},
		{name: "both 0: the controller uses 1", strategy: "{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}", replicas: 3,
			want: rollout{maxUnavail: 1, unavailWhy: "1: when maxSurge and maxUnavailable both come to 0, the controller uses 1"}},
		{name: "surge 0% of 1 rounds up to 0", strategy: "{rollingUpdate: {maxSurge: 0%, maxUnavailable: 0%}}", replicas: 1,
			want: rollout{maxUnavail: 1, unavailWhy: "1: when maxSurge and maxUnavailable both come to 0, the controller uses 1"}},
		{name: "Recreate", strategy: "{type: Recreate}", replicas: 3, want: rollout{recreate: true}},
		{name: "a quoted number is rejected", strategy: `{rollingUpdate: {maxUnavailable: "1"}}`, replicas: 3,
			want: rollout{invalid: true}},
		{name: "a negative number is rejected", strategy: "{rollingUpdate: {maxSurge: -1}}", replicas: 3,
			want: rollout{invalid: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n"
			if tc.strategy != "" {
				doc += "  strategy: " + tc.strategy + "\n"
			}
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
				t.Fatal(err)
			}
			if got := rolloutOf(NewObject("d.yaml", n.Content[0]), tc.replicas); got != tc.want {
				t.Errorf("rolloutOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
