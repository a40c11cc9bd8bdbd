package fleet_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/gitops"
)

const clusters = `clusters:
- {name: prod, region: cn-hangzhou, nodes: 1000, kubeVersion: v1.35.2-aliyun.1}
- {name: staging, region: cn-shanghai, nodes: 300, kubeVersion: v1.35.2-aliyun.1, image: {tag: latest}}
`

// Render a fleet, write it into one directory per cluster, and lint each
// cluster's directory with its own facts: typharender render --fleet and
// lint --fleet.
func Example() {
	r, err := fleet.Render("clusters.yaml", []byte(clusters), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range r.Findings() {
		fmt.Println(f.Cluster, f.Rule)
	}
	tmp, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "fleet")
	if _, err := gitops.Write(dir, r.Files(), true); err != nil {
		fmt.Println(err)
		return
	}
	linted, err := fleet.Lint("clusters.yaml", []byte(clusters), dir, fleet.LintOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(linted.Clusters, "clusters,", linted.Files, "files,", linted.Report.Objects, "objects")
	for _, f := range linted.Report.Findings {
		fmt.Println(f.Cluster, f.Severity, f.Rule, filepath.Base(f.File))
	}
	// Output:
	// staging typha-image-tag-not-release
	// 2 clusters, 10 files, 10 objects
	// staging warning typha-image-tag-not-release 01-deployment-calico-typha.yaml
}
