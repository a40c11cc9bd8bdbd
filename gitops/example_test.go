package gitops_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/typharender/typharender/gitops"
	"github.com/typharender/typharender/render"
)

// Write a cluster's manifests into a GitOps directory, as typharender
// render --output-dir does; writing them again changes nothing.
func ExampleWrite() {
	res, err := render.Render(render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.35.2-aliyun.1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var layout render.Layout
	files, err := layout.Files(res.Objects()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	tmp, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "typha")
	for range 2 {
		written, err := gitops.Write(dir, files, false)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(written.Summary("typha/", files, false))
	}
	cmp, _ := gitops.Compare(dir, files, false)
	fmt.Println(cmp.Differ, "files differ")
	// Output:
	// wrote 5 files into typha/
	// wrote 0 files into typha/ (5 unchanged)
	// 0 files differ
}
