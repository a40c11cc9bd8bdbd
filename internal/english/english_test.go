package english

import "testing"

func TestPlural(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		word string
		want string
	}{
		{1, "node", "node"},
		{0, "node", "nodes"},
		{2, "node", "nodes"},
		{2, "policy", "policies"},
		{1, "policy", "policy"},
		{2, "key", "keys"},
		{3, "replica", "replicas"},
		{2, "", ""},
	} {
		if got := Plural(tc.n, tc.word); got != tc.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", tc.n, tc.word, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		word string
		want string
	}{
		{1, "node", "1 node"},
		{1000, "node", "1000 nodes"},
		{0, "finding", "0 findings"},
	} {
		if got := Count(tc.n, tc.word); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.word, got, tc.want)
		}
	}
}
