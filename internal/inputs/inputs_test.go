package inputs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadAtMost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(small, []byte("four"), 0o600))
	require.NoError(t, os.WriteFile(big, []byte("fivee"), 0o600))
	var seen *TooLarge
	tooLarge := func(e *TooLarge) error { seen = e; return errors.New("too large") }

	r := New(strings.NewReader("stdin!"))
	data, err := r.ReadAtMost("-f", small, 4, tooLarge)
	require.NoError(t, err)
	require.Equal(t, "four", string(data))

	_, err = r.ReadAtMost("-f", big, 4, tooLarge)
	require.EqualError(t, err, "too large")
	require.Equal(t, &TooLarge{big, 5, 4}, seen)
	require.Equal(t, "5 bytes, over the 4-byte limit", seen.OverLimit())

	_, err = r.ReadAtMost("--nodes-from", "-", 4, tooLarge) // stdin is read up to the limit, then refused
	require.EqualError(t, err, "too large")
	require.Equal(t, &TooLarge{"<stdin>", -1, 4}, seen)
	require.Equal(t, "larger than the 4-byte limit", seen.OverLimit())

	_, err = r.Read("--check", "-")
	require.EqualError(t, err, "--check -: stdin is already read by --nodes-from -: want - at most once")
	_, err = r.Read("--check", "")
	require.EqualError(t, err, `--check "": want a file name, or - for stdin`)
	_, err = r.Read("--check", filepath.Join(dir, "missing"))
	require.EqualError(t, err, "--check "+filepath.Join(dir, "missing")+": no such file or directory")
}

func TestClaimStdin(t *testing.T) {
	t.Parallel()
	r := New(strings.NewReader("x"))
	r.ClaimStdin("the input -")
	_, err := r.Read("--nodes-from", "-")
	require.EqualError(t, err, "--nodes-from -: stdin is already read by the input -: want - at most once")
	require.Equal(t, "<stdin>", Name("-"))
	require.Equal(t, "a.yaml", Name("a.yaml"))
}
