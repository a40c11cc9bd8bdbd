package errs

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

type single struct{ err error }

func (s *single) Error() string { return "single: " + s.err.Error() }
func (s *single) Unwrap() error { return s.err }

func TestFlatten(t *testing.T) {
	t.Parallel()
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	wrapped := &single{err: a}
	for _, tc := range []struct {
		name string
		err  error
		want []error
	}{
		{"nil", nil, nil},
		{"one", a, []error{a}},
		{"a wrapper is one error", wrapped, []error{wrapped}},
		{"fmt wrap is one error", fmt.Errorf("x: %w", a), nil},
		{"joined", errors.Join(a, b), []error{a, b}},
		{"nested joins, in order", errors.Join(a, errors.Join(b, wrapped), c), []error{a, b, wrapped, c}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Flatten(tc.err)
			if tc.name == "fmt wrap is one error" {
				if len(got) != 1 || got[0] != tc.err {
					t.Fatalf("Flatten(%v) = %v, want the error itself", tc.err, got)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Flatten(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
