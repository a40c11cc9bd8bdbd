// Package inputs reads the files a command line names: a path, or "-" for
// stdin, which can be read once; with a limit, input over it is refused
// before it is read whole.
package inputs

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Reader reads named inputs, stdin at most once.
type Reader struct {
	stdin     io.Reader
	stdinUsed string // the label of what read stdin
}

// New returns a Reader whose "-" is stdin.
func New(stdin io.Reader) *Reader { return &Reader{stdin: stdin} }

// ClaimStdin marks stdin as read by label (as when it holds other input),
// so that a later "-" is refused naming label.
func (r *Reader) ClaimStdin(label string) { r.stdinUsed = label }

// Read reads name whole; flag labels its errors.
func (r *Reader) Read(flag, name string) ([]byte, error) { return r.ReadAtMost(flag, name, 0, nil) }

// TooLarge is input over ReadAtMost's limit.
type TooLarge struct {
	File        string // as Name prints it
	Size, Limit int64  // Size is -1 when not known (stdin, read up to the limit)
}

// OverLimit says how big the input is against its limit.
func (e *TooLarge) OverLimit() string {
	if e.Size < 0 {
		return fmt.Sprintf("larger than the %d-byte limit", e.Limit)
	}
	return fmt.Sprintf("%d bytes, over the %d-byte limit", e.Size, e.Limit)
}

// ReadAtMost reads at most limit bytes of name (0: no limit), "-" being
// stdin, and refuses larger input, before it is read whole when name is a
// regular file, with the error tooLarge returns. flag labels the errors.
func (r *Reader) ReadAtMost(flag, name string, limit int64, tooLarge func(*TooLarge) error) ([]byte, error) {
	label := strings.TrimSpace(flag + " " + name)
	in := r.stdin
	switch {
	case name == "-" && r.stdinUsed != "":
		return nil, fmt.Errorf("%s: stdin is already read by %s: want - at most once", label, r.stdinUsed)
	case name == "-":
		r.stdinUsed, label = label, label+": reading stdin"
	case name == "":
		return nil, fmt.Errorf("%s \"\": want a file name, or - for stdin", flag)
	default:
		file, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, unwrapPathError(err))
		}
		defer file.Close()
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() && limit > 0 && st.Size() > limit {
			return nil, tooLarge(&TooLarge{name, st.Size(), limit})
		}
		in = file
	}
	if limit > 0 {
		in = io.LimitReader(in, limit+1)
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, unwrapPathError(err))
	} else if limit > 0 && int64(len(data)) > limit { // stdin, not a regular file, or it grew
		return nil, tooLarge(&TooLarge{Name(name), -1, limit})
	}
	return data, nil
}

// unwrapPathError drops the operation and path os errors repeat.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Name is name as messages print it: "<stdin>" for "-".
func Name(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}
