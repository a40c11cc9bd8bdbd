package sizing_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/typharender/typharender/sizing"
)

func TestReplicasBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		nodes, replicas int
		useTypha        bool
		tooMany         bool
	}{
		{nodes: 1, replicas: 3, tooMany: true},
		{nodes: 2, replicas: 3, tooMany: true},
		{nodes: 3, replicas: 3, tooMany: true},
		{nodes: 4, replicas: 3},
		{nodes: 100, replicas: 3},
		{nodes: 101, replicas: 3, useTypha: true},
		{nodes: 200, replicas: 3, useTypha: true},
		{nodes: 201, replicas: 3, useTypha: true},
		{nodes: 600, replicas: 3, useTypha: true},
		{nodes: 601, replicas: 4, useTypha: true},
		{nodes: 800, replicas: 4, useTypha: true},
		{nodes: 1000, replicas: 5, useTypha: true},
		{nodes: 1001, replicas: 6, useTypha: true},
		{nodes: 5000, replicas: 25, useTypha: true},
		{nodes: sizing.MaxNodes, replicas: 500, useTypha: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d nodes", tc.nodes), func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.replicas, sizing.Recommend(tc.nodes))

			a, err := sizing.Advise(tc.nodes)
			require.NoError(t, err)
			assert.Equal(t, tc.replicas, a.Replicas)
			assert.Equal(t, tc.replicas, a.Recommended)
			assert.False(t, a.Override)
			assert.Equal(t, tc.useTypha, a.UseTypha)
			if tc.nodes > 1 {
				assert.Equal(t, fmt.Sprintf("%d nodes -> %d replicas: one per 200 nodes, at least 3", tc.nodes, tc.replicas), a.Reason)
			}
			assert.Equal(t, tc.tooMany, sizing.TooManyReplicas(tc.nodes, a.Replicas))
			assert.Equal(t, tc.tooMany, containsText(a.Warnings, "rolling updates stall"))
			assert.Equal(t, !tc.useTypha, containsText(a.Warnings, "Typha is recommended above 100 nodes"))
			assert.False(t, containsText(a.Warnings, "below the recommended"))
			assert.Equal(t, sizing.Load{
				WatchersWithoutTypha: tc.nodes,
				WatchersWithTypha:    tc.replicas,
				FelixPerTypha:        (tc.nodes + tc.replicas - 1) / tc.replicas,
			}, a.Load)
		})
	}
}

func TestAdviseOverride(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		nodes, replicas int
		want            []string
	}{
		{name: "below recommendation", nodes: 1000, replicas: 2, want: []string{"2 replicas is below the recommended 5 for 1000 nodes"}},
		{name: "above recommendation", nodes: 1000, replicas: 8},
		{name: "as many as nodes", nodes: 150, replicas: 150, want: []string{"150 replicas for 150 nodes", "host port 5473"}},
		{name: "one below nodes", nodes: 150, replicas: 149},
		{name: "small cluster, one replica", nodes: 50, replicas: 1, want: []string{"recommended above 100 nodes", "1 replica is below the recommended 3 for 50 nodes"}},
		{name: "one node, one replica", nodes: 1, replicas: 1, want: []string{"with 1 node each Felix", "1 replica for 1 node: Typha binds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := sizing.AdviseReplicas(tc.nodes, tc.replicas)
			require.NoError(t, err)
			assert.True(t, a.Override)
			assert.Equal(t, tc.replicas, a.Replicas)
			assert.Contains(t, a.Reason, "as set")
			assert.Equal(t, tc.replicas, a.Load.WatchersWithTypha, "the load follows the override")
			for _, w := range tc.want {
				assert.True(t, containsText(a.Warnings, w), "want a warning with %q in %q", w, a.Warnings)
			}
			if len(tc.want) == 0 {
				assert.Empty(t, a.Warnings)
			}
		})
	}
}

// TestOneNodeWording: counts of one read "1 node", "1 replica".
func TestOneNodeWording(t *testing.T) {
	t.Parallel()
	a, err := sizing.AdviseReplicas(1, 1)
	require.NoError(t, err)
	assert.Equal(t, "1 node -> 1 replica, as set (recommended: 3, one per 200 nodes, at least 3)", a.Reason)
	a, err = sizing.Advise(1)
	require.NoError(t, err)
	assert.Equal(t, "1 node -> 3 replicas: one per 200 nodes, at least 3", a.Reason)
	assert.Equal(t, []string{
		"Typha is recommended above 100 nodes; with 1 node each Felix can watch the API server directly",
		"3 replicas for 1 node: Typha binds host port 5473, so each node runs at most one replica; keep replicas below the node count or rolling updates stall",
	}, a.Warnings)
	for _, w := range a.Warnings {
		assert.NotContains(t, w, "1 nodes")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, nodes := range []int{0, -1, sizing.MaxNodes + 1} {
		t.Run(fmt.Sprint(nodes), func(t *testing.T) {
			t.Parallel()
			_, err := sizing.Advise(nodes)
			require.ErrorIs(t, err, sizing.ErrNodes)
			assert.Contains(t, err.Error(), fmt.Sprint(nodes))
			assert.Contains(t, err.Error(), "from 1 to 100000")
		})
	}
	_, err := sizing.AdviseReplicas(100, -1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-1")
}

func containsText(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestTableRange: Table refuses each range it cannot print, naming the
// parameter at fault, at the edges of what it accepts.
func TestTableRange(t *testing.T) {
	t.Parallel()
	flag := func(p string) string { return "--" + p }
	for _, tc := range []struct {
		from, to, step int
		want           string // "" when the range is accepted
	}{
		{sizing.MinNodes, sizing.MinNodes, 1, ""},
		{sizing.MaxNodes, sizing.MaxNodes, 1, ""},
		{1, sizing.MaxTableRows, 1, ""},
		{0, 10, 1, "--from 0: want a node count from 1 to 100000"},
		{sizing.MaxNodes + 1, sizing.MaxNodes + 1, 1, "--from 100001: want a node count from 1 to 100000"},
		{500, 499, 1, "--to 499: want a node count from --from (500) to 100000"},
		{1, sizing.MaxNodes + 1, 100, "--to 100001: want a node count from --from (1) to 100000"},
		{1, 10, 0, "--step 0: want 1 or more"},
		{1, sizing.MaxTableRows + 1, 1, "--step 1: the table from 1 to 10001 would have 10001 rows; want at most 10000 (a larger --step)"},
	} {
		rows, err := sizing.Table(tc.from, tc.to, tc.step)
		var bad *sizing.TableError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Table(%d, %d, %d): %v", tc.from, tc.to, tc.step, err)
		case tc.want == "" && len(rows) != (tc.to-tc.from)/tc.step+1:
			t.Errorf("Table(%d, %d, %d): %d rows", tc.from, tc.to, tc.step, len(rows))
		case tc.want != "" && !errors.As(err, &bad):
			t.Errorf("Table(%d, %d, %d): error %v, want a *sizing.TableError", tc.from, tc.to, tc.step, err)
		case tc.want != "" && bad.Explain(flag) != tc.want:
			t.Errorf("Table(%d, %d, %d): %q, want %q", tc.from, tc.to, tc.step, bad.Explain(flag), tc.want)
		}
	}
}
