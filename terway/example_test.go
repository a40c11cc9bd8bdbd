package terway_test

import (
	"fmt"

	"github.com/typharender/typharender/terway"
)

func ExampleCheckRegion() {
	for _, region := range []string{"cn-hangzhou ", "cn-hangzhuo", "CN-HANGZHOU"} {
		warning, err := terway.CheckRegion(region)
		fmt.Printf("%q: warning %q, error %v\n", region, warning, err != nil)
	}
	// Output:
	// "cn-hangzhou ": warning "", error false
	// "cn-hangzhuo": warning "region \"cn-hangzhuo\" is not a known Alibaba Cloud region ID; check the image host registry-vpc.cn-hangzhuo.aliyuncs.com; did you mean cn-hangzhou?", error false
	// "CN-HANGZHOU": warning "", error true
}

func ExampleNetworkPolicyEnabled() {
	for _, v := range []string{"false", "0", "", "False", "true"} {
		fmt.Printf("%s: %q -> %v\n", terway.KeyDisableNetworkPolicy, v, terway.NetworkPolicyEnabled(v))
	}
	// Output:
	// disable_network_policy: "false" -> true
	// disable_network_policy: "0" -> true
	// disable_network_policy: "" -> true
	// disable_network_policy: "False" -> false
	// disable_network_policy: "true" -> false
}

func ExampleParseRegistry() {
	r, ok := terway.ParseRegistry(terway.DefaultRegistry("cn-beijing"))
	fmt.Println(r.Family, r.Region, r.VPC, ok)
	reach, why := r.ReachFrom("cn-hangzhou")
	fmt.Println(reach == terway.Unreachable, why)
	fmt.Println(r.InRegion("cn-hangzhou"))
	// Output:
	// guide cn-beijing true true
	// true registry-vpc.cn-beijing.aliyuncs.com is the VPC endpoint of cn-beijing: a cluster in cn-hangzhou cannot reach it, and the pods stay in ErrImagePull
	// registry-vpc.cn-hangzhou.aliyuncs.com
}
