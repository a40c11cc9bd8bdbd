package english

import (
	"strings"
	"time"
)

// Duration writes d rounded to the second and without zero units, as a
// person writes it and kubectl's --timeout reads it: 5m, 90s is 1m30s,
// 1h30m, 2h.
func Duration(d time.Duration) string {
	s := d.Round(time.Second).String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}
