// Command render shows the library at work: it renders the Typha objects
// for one cluster and prints them as YAML, with the advice to stderr.
//
//	go run ./examples/render -region cn-hangzhou -nodes 1000 -kube-version v1.30.7-aliyun.1
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/typharender/typharender/render"
)

func main() {
	var o render.Options
	flag.StringVar(&o.Region, "region", "cn-hangzhou", "Alibaba Cloud region ID")
	flag.IntVar(&o.Nodes, "nodes", 1000, "the cluster's node count")
	flag.StringVar(&o.KubeVersion, "kube-version", "v1.30.7-aliyun.1", "Kubernetes version as the cluster reports it")
	flag.Parse()

	res, err := render.Render(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "#", res.Advice.Reason)
	for _, f := range res.Findings {
		fmt.Fprintln(os.Stderr, f.Warning())
	}
	if err := render.EncodeYAML(os.Stdout, res.Objects()...); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
