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

func ExampleRegistryRegion() {
	region, ok := terway.RegistryRegion(terway.DefaultRegistry("cn-beijing"))
	fmt.Println(region, ok)
	// Output: cn-beijing true
}
