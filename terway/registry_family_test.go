package terway

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseRegistry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host string
		want Registry
		ok   bool
	}{
		{"registry-vpc.cn-hangzhou.aliyuncs.com", Registry{FamilyGuide, "cn-hangzhou", true, ""}, true},
		{"registry.cn-hangzhou.aliyuncs.com", Registry{FamilyGuide, "cn-hangzhou", false, ""}, true},
		{"registry-intl-vpc.ap-southeast-1.aliyuncs.com", Registry{FamilyIntl, "ap-southeast-1", true, ""}, true},
		{"registry-intl.ap-southeast-1.aliyuncs.com", Registry{FamilyIntl, "ap-southeast-1", false, ""}, true},
		{"registry-cn-beijing-vpc.ack.aliyuncs.com", Registry{FamilyACK, "cn-beijing", true, ""}, true},
		{"registry-cn-beijing.ack.aliyuncs.com", Registry{FamilyACK, "cn-beijing", false, ""}, true},
		{"myteam-registry-vpc.cn-shanghai.cr.aliyuncs.com", Registry{FamilyEnterprise, "cn-shanghai", true, "myteam"}, true},
		{"myteam-registry.cn-shanghai.cr.aliyuncs.com", Registry{FamilyEnterprise, "cn-shanghai", false, "myteam"}, true},
		// Today's pattern had the intl family backwards; no such host exists.
		{"registry-vpc-intl.ap-southeast-1.aliyuncs.com", Registry{}, false},
		{"registry.example.com", Registry{}, false},
		{"docker.io", Registry{}, false},
		{"oss-cn-hangzhou.aliyuncs.com", Registry{}, false},
		{"registry-vpc.{REGION-ID}.aliyuncs.com", Registry{}, false},
		{"-registry.cn-hangzhou.cr.aliyuncs.com", Registry{}, false},
		{"registry-.ack.aliyuncs.com", Registry{}, false},
	} {
		got, ok := ParseRegistry(tc.host)
		assert.Equal(t, tc.ok, ok, tc.host)
		assert.Equal(t, tc.want, got, tc.host)
		if ok {
			assert.Equal(t, tc.host, got.Host(), "round trip")
		}
	}
}

func TestRegistryFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    Family
		want string
	}{
		{FamilyGuide, "registry-vpc.cn-hangzhou.aliyuncs.com"},
		{FamilyACK, "registry-cn-hangzhou-vpc.ack.aliyuncs.com"},
		{FamilyIntl, "registry-intl-vpc.cn-hangzhou.aliyuncs.com"},
		{FamilyEnterprise, ""},
		{Family("other"), ""},
	} {
		assert.Equal(t, tc.want, RegistryFor(tc.f, "cn-hangzhou"), tc.f)
		if tc.want != "" {
			r, ok := ParseRegistry(tc.want)
			assert.True(t, ok)
			assert.Equal(t, Registry{tc.f, "cn-hangzhou", true, ""}, r)
		}
	}
	assert.Equal(t, []Family{FamilyGuide, FamilyACK, FamilyIntl}, Families())
}

func TestReachFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host   string
		region string
		want   Reach
	}{
		{"registry-vpc.cn-hangzhou.aliyuncs.com", "cn-hangzhou", Reachable},
		{"registry-vpc.cn-beijing.aliyuncs.com", "cn-hangzhou", Unreachable},
		{"registry.cn-beijing.aliyuncs.com", "cn-hangzhou", OverInternet},
		{"registry-cn-beijing-vpc.ack.aliyuncs.com", "cn-hangzhou", Unreachable},
		{"registry-cn-beijing.ack.aliyuncs.com", "cn-hangzhou", OverInternet},
		{"registry-intl-vpc.ap-southeast-1.aliyuncs.com", "cn-hangzhou", Unreachable},
		{"t-registry-vpc.cn-hangzhou.cr.aliyuncs.com", "cn-hangzhou", Reachable},
		{"t-registry.cn-beijing.cr.aliyuncs.com", "cn-hangzhou", OverInternet},
	} {
		r, ok := ParseRegistry(tc.host)
		assert.True(t, ok, tc.host)
		got, why := r.ReachFrom(tc.region)
		assert.Equal(t, tc.want, got, tc.host)
		if got == Reachable {
			assert.Empty(t, why)
		} else {
			assert.Contains(t, why, tc.host)
			assert.Contains(t, why, tc.region)
		}
	}
	r, _ := ParseRegistry("registry-cn-beijing-vpc.ack.aliyuncs.com")
	assert.Equal(t, "registry-cn-hangzhou-vpc.ack.aliyuncs.com", r.InRegion("cn-hangzhou"))
}
