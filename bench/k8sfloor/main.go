// Command k8sfloor links the k8s.io/api types typharender renders and does
// nothing else: its run time is the start-up cost every Go program that
// uses those types pays, the floor under `typharender render`.
package main

import (
	"os"

	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/api/policy/v1"
	_ "k8s.io/api/policy/v1beta1"
	_ "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func main() { os.Stdout.WriteString("k8sfloor\n") }
