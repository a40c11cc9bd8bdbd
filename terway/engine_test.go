package terway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conf is a 10-terway.conf as Terway's chart writes it
// (charts/terway/templates/terwayd/configmap.yaml), with extra settings.
func conf(extra string) string {
	return `{"cniVersion": "0.4.0", "name": "terway", "capabilities": {"bandwidth": true},` + extra + ` "type": "terway"}`
}

func TestReadEngine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		data   map[string]string
		engine Engine
		key    string
		field  string
		value  string
	}{
		{"provider absent: Terway's default iptables, Felix",
			map[string]string{KeyCNIConf: conf("")}, EngineFelix, KeyCNIConf, FieldPolicyProvider, ""},
		{"provider iptables: Felix",
			map[string]string{KeyCNIConf: conf(`"network_policy_provider": "iptables",`), KeyDisableNetworkPolicy: "false"}, EngineFelix, KeyCNIConf, FieldPolicyProvider, "iptables"},
		{"provider ebpf (the chart's default): Cilium",
			map[string]string{KeyCNIConf: conf(`"network_policy_provider": "ebpf",`)}, EngineCilium, KeyCNIConf, FieldPolicyProvider, "ebpf"},
		{"provider EBPF: Terway compares exactly, so Felix",
			map[string]string{KeyCNIConf: conf(`"network_policy_provider": "EBPF",`)}, EngineFelix, KeyCNIConf, FieldPolicyProvider, "EBPF"},
		{"datapathv2: Cilium",
			map[string]string{KeyCNIConf: conf(`"network_policy_provider": "iptables", "eniip_virtual_type": "datapathv2",`)}, EngineCilium, KeyCNIConf, FieldVirtualType, "datapathv2"},
		{"IPVlan, any case: Cilium",
			map[string]string{KeyCNIConf: conf(`"eniip_virtual_type": "IPVlan",`)}, EngineCilium, KeyCNIConf, FieldVirtualType, "IPVlan"},
		{"veth: Felix",
			map[string]string{KeyCNIConf: conf(`"eniip_virtual_type": "veth",`)}, EngineFelix, KeyCNIConf, FieldPolicyProvider, ""},
		{"policy disabled: none",
			map[string]string{KeyCNIConf: conf(""), KeyDisableNetworkPolicy: "true"}, EngineNone, KeyDisableNetworkPolicy, "", "true"},
		{"policy disabled by False: none (Terway compares exactly)",
			map[string]string{KeyCNIConf: conf(""), KeyDisableNetworkPolicy: "False"}, EngineNone, KeyDisableNetworkPolicy, "", "False"},
		{`"0" keeps policy: Felix`,
			map[string]string{KeyCNIConf: conf(""), KeyDisableNetworkPolicy: "0"}, EngineFelix, KeyCNIConf, FieldPolicyProvider, ""},
		{"datapathv2 wins over disabled policy",
			map[string]string{KeyCNIConf: conf(`"eniip_virtual_type": "datapathv2",`), KeyDisableNetworkPolicy: "true"}, EngineCilium, KeyCNIConf, FieldVirtualType, "datapathv2"},
		{"conflist wins over conf",
			map[string]string{
				KeyCNIConf:     conf(""),
				KeyCNIConfList: `{"cniVersion": "0.4.0", "name": "terway-chainer", "plugins": [{"type": "terway", "network_policy_provider": "ebpf"}, {"type": "cilium-cni"}]}`,
			}, EngineCilium, KeyCNIConfList, FieldPolicyProvider, "ebpf"},
		{"conflist with a Felix terway plugin",
			map[string]string{KeyCNIConfList: `{"plugins": [{"type": "portmap"}, {"type": "terway"}]}`}, EngineFelix, KeyCNIConfList, FieldPolicyProvider, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := ReadEngine(tc.data)
			require.NoError(t, err)
			assert.Equal(t, tc.engine, r.Engine)
			assert.Equal(t, tc.key, r.Key)
			assert.Equal(t, tc.field, r.Field)
			assert.Equal(t, tc.value, r.Value)
			assert.NotContains(t, r.Reason, "\n")
			assert.Contains(t, r.Reason, map[Engine]string{EngineFelix: "Felix", EngineCilium: "not Felix", EngineNone: "no Felix"}[r.Engine])
		})
	}
}

func TestReadEngineErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data map[string]string
		want string
	}{
		{"no CNI configuration", map[string]string{"eni_conf": "{}"}, "neither 10-terway.conf nor 10-terway.conflist"},
		{"not JSON", map[string]string{KeyCNIConf: "{"}, "10-terway.conf: is not JSON"},
		{"no terway plugin", map[string]string{KeyCNIConfList: `{"plugins": [{"type": "cilium-cni"}]}`}, `no plugin of "type": "terway"`},
		{"provider not a string", map[string]string{KeyCNIConf: conf(`"network_policy_provider": true,`)}, "network_policy_provider is true, not a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadEngine(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadingDecided(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `disable_network_policy: "true"`, Reading{Key: KeyDisableNetworkPolicy, Value: "true"}.Decided())
	assert.Equal(t, `10-terway.conf network_policy_provider: "ebpf"`, Reading{Key: KeyCNIConf, Field: FieldPolicyProvider, Value: "ebpf"}.Decided())
	assert.Equal(t, `10-terway.conf network_policy_provider (absent)`, Reading{Key: KeyCNIConf, Field: FieldPolicyProvider}.Decided())
}
