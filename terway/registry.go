package terway

import "regexp"

// DefaultRegistry returns the guide's registry for region:
// registry-vpc.{region}.aliyuncs.com, the VPC endpoint of the region's
// Container Registry. [the guide, calico-typha.yaml]
func DefaultRegistry(region string) string {
	return "registry-vpc." + region + ".aliyuncs.com"
}

// aliyunRegistryRE matches the Container Registry hosts of a region:
// registry.REGION.aliyuncs.com and its -vpc, -intl and -vpc-intl variants.
var aliyunRegistryRE = regexp.MustCompile(`^registry(?:-vpc)?(?:-intl)?\.([a-z0-9-]+)\.aliyuncs\.com$`)

// RegistryRegion returns the region ID in an Alibaba Cloud Container
// Registry host, such as "cn-hangzhou" for registry-vpc.cn-hangzhou.aliyuncs.com
// ([DefaultRegistry]), and false for any other host.
func RegistryRegion(host string) (string, bool) {
	m := aliyunRegistryRE.FindStringSubmatch(host)
	if m == nil {
		return "", false
	}
	return m[1], true
}
