package versioning_test

import (
	"fmt"

	"github.com/typharender/typharender/versioning"
)

func ExampleParse() {
	for _, s := range []string{"v1.30.7-aliyun.1", "v1.24.7-eks-fb459a0", "v1.28.3+rke2r1", "1.20"} {
		v, err := versioning.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-20s -> %s\n", s, v)
	}
	_, err := versioning.Parse("latest")
	fmt.Println(err)
	// Output:
	// v1.30.7-aliyun.1     -> 1.30
	// v1.24.7-eks-fb459a0  -> 1.24
	// v1.28.3+rke2r1       -> 1.28
	// 1.20                 -> 1.20
	// invalid Kubernetes version "latest": it does not have two or three dot-separated numbers; want MAJOR.MINOR[.PATCH] with an optional leading v and vendor suffix, such as 1.21, v1.21.3 or v1.30.7-aliyun.1
}

func ExampleAPIVersionFor() {
	for _, s := range []string{"v1.20.11-aliyun.1", "v1.21.3-aliyun.1"} {
		v := versioning.MustParse(s)
		fmt.Println(s, versioning.APIVersionFor(versioning.KindPodDisruptionBudget, v))
	}
	// Output:
	// v1.20.11-aliyun.1 policy/v1beta1
	// v1.21.3-aliyun.1 policy/v1
}

func ExampleServed() {
	v := versioning.MustParse("v1.23.8-aliyun.1")
	fmt.Println(versioning.Served("policy/v1beta1", "PodDisruptionBudget", v))
	fmt.Println(versioning.Served("policy/v1beta1", "PodDisruptionBudget", versioning.New(1, 25)))
	// Output:
	// deprecated
	// not served
}

func ExampleCheck() {
	_, err := versioning.Check(versioning.MustParse("v1.15.12"))
	fmt.Println(err)
	warnings, _ := versioning.Check(versioning.MustParse("v1.40.0"))
	fmt.Println(len(warnings))
	// Output:
	// Kubernetes 1.15 ("v1.15.12") is not supported: the CustomResourceDefinition needs apiextensions.k8s.io/v1, served from 1.16; supported versions are 1.16 and later (tested up to 1.37)
	// 1
}
