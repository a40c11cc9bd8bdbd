package values

import (
	"cmp"
	"errors"
	"slices"

	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/versioning"
)

// Setting is a value for one key from a dedicated setting, such as a CLI
// flag: what [Values.SetFlag] takes.
type Setting struct {
	Key   string // the values key: region, nodes or kubeVersion
	Label string // where it came from, as errors name it: "--nodes", "--nodes-from nodes.json"
	Value string
}

// clusterKeys are the keys CheckPartial takes, in the order it reports.
var clusterKeys = []string{"nodes", "kubeVersion", "region"}

// CheckPartial checks settings for some of the cluster's keys (nodes,
// kubeVersion and region), as [Values.Render] checks them, for a caller
// that needs only the ones given, such as lint's facts: each bad value
// gets render's message for it, and a key not given stays unknown. A
// Kubernetes version older than render supports is accepted (lint checks
// manifests for old clusters all the same). It returns the options the
// settings give, and every problem, in the order nodes, kubeVersion,
// region.
func CheckPartial(settings []Setting) (render.Options, error) {
	v := &Values{}
	var problems []error
	for _, s := range settings {
		if err := v.SetFlag(s.Key, s.Label, s.Value); err != nil {
			problems = append(problems, errs.Flatten(err)...)
		}
	}
	// Render judges the three together: stand-ins for the keys not given
	// (or not applied) are valid, so every error left is about a setting.
	o := v.Options()
	probe := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: versioning.MinSupported().String()}
	if _, ok := v.SourceOf("nodes"); ok {
		probe.Nodes = o.Nodes
	}
	if _, ok := v.SourceOf("kubeVersion"); ok {
		probe.KubeVersion = o.KubeVersion
	}
	if _, ok := v.SourceOf("region"); ok {
		probe.Region = o.Region
	}
	for _, err := range errs.Flatten(v.Explain(probe.Validate())) {
		if !errors.Is(err, versioning.ErrUnsupportedVersion) {
			problems = append(problems, err)
		}
	}
	slices.SortStableFunc(problems, func(a, b error) int { return cmp.Compare(keyOrder(a), keyOrder(b)) })
	return o, errors.Join(problems...)
}

// keyOrder is the place of the key an error names among clusterKeys; 0
// for another error.
func keyOrder(err error) int {
	var ve *Error
	if errors.As(err, &ve) {
		return max(slices.Index(clusterKeys, ve.Key), 0)
	}
	return 0
}

// File is a values file, or another input, given by name with its
// contents.
type File struct {
	Name string // as errors name it: the path, or "<stdin>"
	Data []byte
}

// Sources are where one cluster's values come from, applied in this
// order, later winning: values files (Helm's -f), --set expressions, then
// dedicated settings (a CLI's --region, --nodes and --kube-version).
type Sources struct {
	Files    []File
	Sets     []string
	Settings []Setting
}

// Apply applies s to new Values and returns them with every problem of
// applying them, joined ([Values.ApplyFile], [Values.ApplySet],
// [Values.SetFlag]); the options they describe are not checked.
func (s Sources) Apply() (*Values, error) {
	v := &Values{}
	var bad []error
	for _, f := range s.Files {
		bad = append(bad, v.ApplyFile(f.Name, f.Data))
	}
	for _, set := range s.Sets {
		bad = append(bad, v.ApplySet(set))
	}
	for _, st := range s.Settings {
		bad = append(bad, v.SetFlag(st.Key, st.Label, st.Value))
	}
	return v, errors.Join(bad...)
}

// Values applies s and returns the values. When a value cannot be
// applied, it returns instead every problem at once, those of the options
// the values describe included ([Values.Check]); otherwise the options are
// validated once, by render.Render, whose errors [Values.Explain] words
// by key and source ([Values.Render] does both).
func (s Sources) Values() (*Values, error) {
	v, err := s.Apply()
	if err != nil {
		return nil, v.Check(err)
	}
	return v, nil
}
