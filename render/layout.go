package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// File is one file of an output directory.
type File struct {
	Name string // relative to the directory: NN-<kind>-<name>.yaml or kustomization.yaml
	Data []byte
}

// Layout lays objects out as a kustomize directory, as typharender render
// --output-dir writes it: one YAML file per object, named
// NN-<kind>-<name>.yaml (NN its place in the order given, which is the
// order to apply them; kind in lower case), then kustomization.yaml listing
// them in that order. Each file is what [EncodeYAML] writes for its object.
//
// The zero Layout is ready to use, and one Layout may be used from any
// number of goroutines. It remembers the YAML of each distinct object it
// has encoded, so a fleet that lays every cluster out with one Layout
// encodes each shared object once (clusters of the same version, size and
// region share all four); its memory grows with the distinct objects.
// A Layout must not be copied after first use.
type Layout struct {
	memo yamlMemo
}

// kustomization is the name of the file that lists the objects' files.
const kustomization = "kustomization.yaml"

// Files returns the files of objs' directory: the object files in the order
// given, then kustomization.yaml. An object that EncodeYAML refuses, or
// whose name is not a DNS subdomain (the only names Kubernetes accepts,
// and the only ones that are safe in a file name), is an error. Every call
// returns fresh bytes that the caller may change.
func (l *Layout) Files(objs ...Object) ([]File, error) {
	files := make([]File, 0, len(objs)+1)
	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for i, obj := range objs {
		data, err := l.memo.encode(obj)
		if err != nil {
			return nil, err
		}
		if msgs := validation.IsDNS1123Subdomain(obj.GetName()); len(msgs) > 0 {
			return nil, fmt.Errorf("cannot lay out %s: its name %q is not a DNS subdomain: %s", describe(obj), obj.GetName(), strings.Join(msgs, "; "))
		}
		name := fmt.Sprintf("%02d-%s-%s.yaml", i, strings.ToLower(obj.GetObjectKind().GroupVersionKind().Kind), obj.GetName())
		if !objectFile(name) {
			return nil, fmt.Errorf("cannot lay out %s: its kind is not a word of letters and digits", describe(obj))
		}
		files = append(files, File{Name: name, Data: data})
		fmt.Fprintf(&k, "- %s\n", name)
	}
	return append(files, File{Name: kustomization, Data: []byte(k.String())}), nil
}

// Owns reports whether a file of a directory, named name and holding data,
// is one that Files writes and so one that writing the directory again may
// replace or remove: an NN-<kind>-<name>.yaml file (data is not read), or a
// kustomization.yaml that has apiVersion, kind and resources only, and
// lists only such files. A kustomization.yaml with anything else in it
// (patches, other resources, a name prefix) was written by a person.
func (*Layout) Owns(name string, data []byte) bool {
	if name != kustomization {
		return objectFile(name)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if yaml.UnmarshalStrict(data, &k) != nil || k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		return false
	}
	for _, r := range k.Resources {
		if !objectFile(r) {
			return false
		}
	}
	return true
}

// objectFile reports whether name has the form Files gives object files:
// two or more digits, a dash, a kind of lower-case letters and digits, a
// dash, a name of lower-case letters, digits, dots and dashes, ".yaml".
func objectFile(name string) bool {
	rest, ok := strings.CutSuffix(name, ".yaml")
	if !ok {
		return false
	}
	num, rest, ok := strings.Cut(rest, "-")
	if !ok || len(num) < 2 || strings.Trim(num, "0123456789") != "" {
		return false
	}
	kind, obj, ok := strings.Cut(rest, "-")
	return ok && kind != "" && obj != "" &&
		strings.Trim(kind, "abcdefghijklmnopqrstuvwxyz0123456789") == "" &&
		strings.Trim(obj, "abcdefghijklmnopqrstuvwxyz0123456789.-") == ""
}
