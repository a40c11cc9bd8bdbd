package parallel

import (
	"fmt"
	"sync/atomic"
	"testing"
)

func TestParallel(t *testing.T) {
	t.Parallel()
	const n = 1000
	var calls [n]atomic.Int32
	if err := For(n, func(i int) error { calls[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		if c := calls[i].Load(); c != 1 {
			t.Fatalf("f(%d) ran %d times, want once", i, c)
		}
	}
	// The error is the lowest failing index's, however the work was
	// scheduled.
	for range 20 {
		err := For(n, func(i int) error {
			if i == 500 || i == 501 || i == 900 {
				return fmt.Errorf("failed at %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "failed at 500" {
			t.Fatalf("parallel = %v, want failed at 500", err)
		}
	}
	if err := For(0, func(int) error { return fmt.Errorf("called") }); err != nil {
		t.Fatalf("For(0) = %v, want nil", err)
	}
}
