// Command typharender renders, checks and explains the manifests that make
// NetworkPolicy scale in large Alibaba Cloud ACK clusters running Terway.
//
//	typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1
//
// Run typharender --help for the commands. The command does I/O and exit
// codes only; the decisions live in the render, sizing and versioning
// packages.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
