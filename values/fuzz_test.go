package values

import (
	"errors"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/errs"
)

// FuzzApply checks that no values file or --set expression panics, that
// every error wraps ErrInvalid, and that Check reports every apply error.
func FuzzApply(f *testing.F) {
	for _, seed := range []string{
		"region: cn-hangzhou\nnodes: 1000\n",
		"image:\n  tag: v1\nlabels: {a: b}\n",
		"resources:\n  requests:\n    cpu: 250m\n",
		"x: &a [1]\ny: *a\n",
		"labels.a\\.b=c,nodes=3",
		"image=null",
		"---\n---\n",
		"- 1\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v Values
		if err := v.ApplySet("nodes=7"); err != nil {
			t.Fatal(err)
		}
		for _, apply := range []func() error{
			func() error { return v.ApplyFile("f.yaml", []byte(s)) },
			func() error { return v.ApplySet(s) },
		} {
			err := apply()
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			all := v.Check(err).Error()
			for _, e := range errs.Flatten(err) {
				if !strings.Contains(all, e.Error()) {
					t.Errorf("Check dropped %q", e)
				}
			}
		}
	})
}
