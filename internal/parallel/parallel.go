// Package parallel runs independent work on every core, with an error
// that does not depend on scheduling: what a fleet of thousands of
// clusters needs to render, check and write in seconds.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls f(i) for every i from 0 to n-1 on GOMAXPROCS goroutines
// and returns the error of the lowest i that failed, or nil. Indexes are
// taken in increasing order and none is taken after a failure, so every
// index below a failed one has run: the error returned does not depend on
// scheduling. f must touch only what belongs to i.
func For(n int, f func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if errs[i] = f(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
