package values

import (
	"strings"
)

// Help returns the paragraph render --help gives the values keys, wrapped
// at 75 columns: every key of the table, in order.
func Help() string {
	keys := make([]string, len(rows))
	for i := range rows {
		keys[i] = rows[i].key
	}
	return wrap("Values keys: "+strings.Join(keys, ", ")+". A null value (--set replicas=null) restores the default.", 75)
}

// wrap breaks s into lines of at most width bytes, at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		switch {
		case n == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// Markdown returns the table of values keys of docs/reference/values.md: one line per key,
// with the render.Options field it sets, what it means and a --set
// example.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| key | `Options` field | what it sets | example |\n| --- | --- | --- | --- |\n")
	for i := range rows {
		r := &rows[i]
		b.WriteString("| `" + r.key + "` | `" + r.field + "` | " + r.doc + " | `--set " + r.example + "` |\n")
	}
	return b.String()
}
