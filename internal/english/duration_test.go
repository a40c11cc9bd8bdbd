package english

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		5 * time.Minute:                       "5m",
		90 * time.Second:                      "1m30s",
		time.Hour + 30*time.Minute:            "1h30m",
		2 * time.Hour:                         "2h",
		45 * time.Second:                      "45s",
		90*time.Second + 400*time.Millisecond: "1m30s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %s, want %s", d, got, want)
		}
	}
}
