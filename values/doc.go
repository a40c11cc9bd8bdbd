// Package values maps Helm-style values onto [render.Options]: values files
// (-f), --set expressions and dedicated settings (a CLI's --region, a KRM
// function's spec), applied in order with later settings winning, and
// fleet files that describe many clusters. Its errors name the key and
// where it was set, file and line, rather than the Options field: what
// typharender render -f prints is what [Values.Render] returns.
//
// The keys are one table, rows in keys.go: each row names a key, the
// Options field it sets, what it accepts, how it is parsed, an example and
// a doc line. Applying, unknown-key errors, [KeyForField], [Required], the
// values table of docs/reference/values.md ([Markdown]) and the render --help text ([Help])
// all derive from it, so a new key is one row.
//
// A null value (null or ~ in a file, --set key=null) resets a key, or a
// whole group such as labels, to its default; an empty mapping sets
// nothing. Scalars keep their text (tag: 3.20 is "3.20"). An unknown key is an error
// that names it and, for a file, the file and line. The mapping is
// explicit: there is no reflection over the values.
package values
