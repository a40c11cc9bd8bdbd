package terway

// DRAFT STUB: replaced by h-render's terway package at merge.

const KeyDisableNetworkPolicy = "disable_network_policy"

func NetworkPolicyEnabled(v string) bool { return v == "false" || v == "0" || v == "" }

func isRegionID(s string) bool {
	if len(s) < 4 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return s[0] != '-' && s[len(s)-1] != '-'
}
