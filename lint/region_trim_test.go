package lint_test

import (
	"strings"
	"testing"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/rules"
)

// TestRegionFactTrimmed: a region fact with surrounding white space is the
// region without it, as render reads it, so its own registry is no mismatch.
func TestRegionFactTrimmed(t *testing.T) {
	t.Parallel()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: calico-typha, namespace: kube-system}
spec:
  template:
    spec:
      containers:
      - name: calico-typha
        image: registry-vpc.cn-hangzhou.aliyuncs.com/acs/typha:v3.20.2
`
	objs, err := lint.Read("typha.yaml", strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{" cn-hangzhou", "cn-hangzhou\n"} {
		report, err := lint.Lint(objs, lint.Facts{Region: region})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range report.Findings {
			if f.Rule == rules.RuleImageRegionMismatch {
				t.Errorf("region %q: %s", region, f)
			}
		}
	}
}
