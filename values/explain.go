package values

import (
	"cmp"
	"errors"
	"slices"

	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
)

// Render renders the options v describes. Its errors name the key and
// where it was set, rather than the Options field.
func (v *Values) Render() (*render.Result, error) {
	res, err := render.Render(v.Options())
	if err != nil {
		return nil, v.Explain(err)
	}
	return res, nil
}

// ErrRequired is wrapped by the error for a required key that is not set.
var ErrRequired = errors.New("required value not set")

// Check returns every problem with v as one joined error, or nil: applied,
// the errors from applying values to v (from ApplyFile, ApplySet and
// SetFlag, joined), and what [render.Options.Validate] finds in the values
// that applied, explained. A required key that failed to apply is not
// reported again as missing, nor is any when a whole file or --set
// expression could not be read (it may hold them). The errors are sorted
// as [Values.Explain] sorts them.
func (v *Values) Check(applied error) error {
	list := errs.Flatten(applied)
	failed := map[string]bool{}
	for _, e := range list {
		var ve *Error
		if errors.As(e, &ve) {
			failed[ve.Key] = true
		}
	}
	for _, e := range errs.Flatten(v.Explain(v.opts.Validate())) {
		var ve *Error
		if errors.Is(e, ErrRequired) && errors.As(e, &ve) && (failed[ve.Key] || failed[""]) {
			continue
		}
		list = append(list, e)
	}
	v.sortErrors(list)
	return errors.Join(list...)
}

// sortErrors orders errs by file, in the order v applied the files, then
// by line. Errors from no file (the command line, or a required key never
// set) follow in the order given; errors that are not an [Error] lead.
func (v *Values) sortErrors(list []error) {
	type pos struct{ file, line int }
	at := func(err error) pos {
		var e *Error
		if !errors.As(err, &e) {
			return pos{-1, 0}
		}
		if e.Source.File == "" {
			return pos{len(v.files) + 1, 0}
		}
		i := slices.Index(v.files, e.Source.File)
		if i < 0 {
			i = len(v.files)
		}
		return pos{i, e.Source.Line}
	}
	slices.SortStableFunc(list, func(a, b error) int {
		pa, pb := at(a), at(b)
		return cmp.Or(cmp.Compare(pa.file, pb.file), cmp.Compare(pa.line, pb.line))
	})
}

// Explain rewrites each [render.OptionError] in err (one, or joined as
// [render.Render] returns them) as an [Error] that names the key, such as
// image.tag, and where it was set. Other errors pass through. The errors
// are sorted by file, in the order v applied the files, and line; errors
// from the command line follow in the order given.
func (v *Values) Explain(err error) error {
	list := errs.Flatten(err)
	out := make([]error, 0, len(list))
	for _, e := range list {
		var oe *render.OptionError
		if !errors.As(e, &oe) {
			out = append(out, e)
			continue
		}
		key := KeyForField(oe.Field)
		src := v.src[key]
		reason := oe.ValueString() + " " + oe.Reason
		if oe.Vouch != "" {
			reason += "; or set " + KeyForField(render.VouchField(oe.Vouch)) + ": true to vouch that " + oe.Vouch.Says() + ": " + oe.Vouch.Proof()
		}
		var err error = oe
		if slices.Contains(v.Missing(), key) {
			reason = "is required: want " + accepts(key)
			err = errors.Join(ErrRequired, oe)
		}
		out = append(out, &Error{Source: src, Key: key, Reason: reason, Err: err})
	}
	v.sortErrors(out)
	return errors.Join(out...)
}

// Missing lists the required keys that have no value: not set, or for a
// string key set to null or "". A number set to 0 or null is not missing:
// render refuses it as out of range.
func (v *Values) Missing() []string {
	var missing []string
	for i := range rows {
		r := &rows[i]
		if _, set := v.src[r.key]; r.required && r.set.missing(&v.opts, set) {
			missing = append(missing, r.key)
		}
	}
	return missing
}
