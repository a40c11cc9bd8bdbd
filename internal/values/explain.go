package values

import (
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

// Explain rewrites each [render.OptionError] in err (one, or joined as
// [render.Render] returns them) as an [Error] that names the key, such as
// image.tag, and where it was set. Other errors pass through.
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
		reason := oe.Value + " " + oe.Reason
		if slices.Contains(v.Missing(), key) {
			reason = "is required: want " + accepts(key)
		}
		out = append(out, &Error{Source: src, Key: key, Reason: reason, Err: oe})
	}
	return errors.Join(out...)
}

// Missing lists the required keys that are not set, set to null, or set
// to an empty string.
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
