package terway

// Terway's eni-config ConfigMap and the two top-level data keys the guide
// edits. Neither key lives inside the eni_conf JSON. [AliyunContainerService/terway,
// charts/terway/templates/terwayd/configmap.yaml and daemonset.yaml]
const (
	ENIConfigName           = "eni-config"
	ENIConfigNamespace      = "kube-system"
	KeyFelixRelayService    = "felix_relay_service"
	KeyDisableNetworkPolicy = "disable_network_policy"
)

// NetworkPolicyEnabled is Terway's reading of a disable_network_policy
// value: only "false", "0" and "" (or no key) keep NetworkPolicy on; any
// other value, "False" and "false\n" included, turns it off.
// [terway, cmd/terway-cli/common.go]
func NetworkPolicyEnabled(disableNetworkPolicy string) bool {
	switch disableNetworkPolicy {
	case "false", "0", "":
		return true
	}
	return false
}
