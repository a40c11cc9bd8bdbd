package terway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/typharender/typharender/terway"
)

func TestParseRegistryRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host, region string
		ok           bool
	}{
		{host: terway.DefaultRegistry("cn-hangzhou"), region: "cn-hangzhou", ok: true},
		{host: "registry.ap-southeast-1.aliyuncs.com", region: "ap-southeast-1", ok: true},
		{host: "registry-intl.eu-central-1.aliyuncs.com", region: "eu-central-1", ok: true},
		{host: "registry-vpc.cn-shanghai-finance-1.aliyuncs.com", region: "cn-shanghai-finance-1", ok: true},
		{host: "registry.example.com", ok: false},
		{host: "registry-vpc.cn-hangzhou.aliyuncs.com.evil.example", ok: false},
		{host: "", ok: false},
	}
	for _, tc := range tests {
		r, ok := terway.ParseRegistry(tc.host)
		assert.Equal(t, tc.ok, ok, tc.host)
		assert.Equal(t, tc.region, r.Region, tc.host)
	}
}
