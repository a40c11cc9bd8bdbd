package terway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/typharender/typharender/terway"
)

func TestNetworkPolicyEnabled(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"false": true, "0": true, "": true,
		"true": false, "False": false, "false\n": false, "1": false, " false": false, "no": false,
	} {
		assert.Equal(t, want, terway.NetworkPolicyEnabled(v), "%q", v)
	}
}
