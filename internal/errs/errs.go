// Package errs holds the one way typharender takes joined errors apart.
//
// Every error type in typharender that stands for one problem wraps a
// single error (Unwrap() error) and matches its sentinel through Is; only
// errors.Join results carry several. So a list of problems is always a
// (possibly nested) errors.Join, and [Flatten] is all a caller needs to
// print one problem a line.
package errs

// Flatten returns the errors joined in err, recursively, in order: the
// leaves of a tree of errors.Join (or any error with Unwrap() []error). An
// error that joins nothing is returned alone; nil returns nil.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Flatten(e)...)
	}
	return out
}
