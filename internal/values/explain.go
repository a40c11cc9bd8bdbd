package values

import (
	"errors"
	"slices"
	"strings"

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
		reason := oe.ValueString() + " " + oe.Reason
		if slices.Contains(v.Missing(), key) {
			reason = "is required: want " + want([]string{key})
		}
		out = append(out, &Error{Source: src, Key: key, Reason: reason, Err: oe})
	}
	return errors.Join(out...)
}

// KeyForField returns the values key for a [render.OptionError] field:
// "Registry" -> "image.registry", "Labels[app]" -> "labels.app",
// "Resources.Requests[cpu]" -> "resources.requests.cpu". An unknown field
// is returned as it is.
func KeyForField(field string) string {
	name, sub, _ := strings.Cut(field, "[")
	sub = strings.TrimSuffix(sub, "]")
	var key string
	switch name {
	case "Region":
		key = "region"
	case "Nodes":
		key = "nodes"
	case "KubeVersion":
		key = "kubeVersion"
	case "Registry":
		key = "image.registry"
	case "Repository":
		key = "image.repository"
	case "Tag":
		key = "image.tag"
	case "Digest":
		key = "image.digest"
	case "Replicas":
		key = "replicas"
	case "LogSeverity":
		key = "logSeverity"
	case "Labels":
		key = "labels"
	case "Annotations":
		key = "annotations"
	case "Resources.Requests":
		key = "resources.requests"
	case "Resources.Limits":
		key = "resources.limits"
	default:
		return field
	}
	if sub != "" {
		key += "." + sub
	}
	return key
}

// Required lists the keys every cluster needs.
func Required() []string { return []string{"region", "nodes", "kubeVersion"} }

// Missing lists the required keys that are not set, set to null, or set
// to an empty string.
func (v *Values) Missing() []string {
	var missing []string
	o := v.opts
	for _, k := range Required() {
		_, set := v.src[k]
		if (k == "region" && o.Region == "") || (k == "nodes" && o.Nodes == 0 && !set) || (k == "kubeVersion" && o.KubeVersion == "") {
			missing = append(missing, k)
		}
	}
	return missing
}
