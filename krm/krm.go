package krm

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/filters"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/values"
)

// The functionConfig's apiVersion and kinds.
const (
	APIVersion = "typharender.github.io/v1alpha1"
	KindRender = "TyphaRender" // a generator: spec is a values file
	KindLint   = "TyphaLint"   // a validator: spec holds lint's cluster facts and failOn
)

// ErrFailed is wrapped by the error [Function.Process] returns when the
// build must stop: invalid functionConfig, or a finding at or above the
// severity that fails. The results say why.
var ErrFailed = errors.New("typharender KRM function failed")

// Function is typharender's KRM function. The zero value is ready to use;
// it keeps no state between calls.
type Function struct {
	// Log gets one line per result, "severity [rule] Kind ns/name: message"
	// (kustomize passes a function's stderr through); nil: no lines.
	Log io.Writer
}

// Process runs the mode the functionConfig's kind names, adds its results
// to rl.Results, and returns an error wrapping [ErrFailed] when the build
// must stop. It implements framework.ResourceListProcessor.
func (f Function) Process(rl *framework.ResourceList) error {
	results, err := f.process(rl)
	rl.Results = append(rl.Results, results...)
	if f.Log != nil {
		for _, r := range results {
			fmt.Fprintln(f.Log, line(r))
		}
	}
	return err
}

func (f Function) process(rl *framework.ResourceList) (framework.Results, error) {
	fc := rl.FunctionConfig
	want := fmt.Sprintf("want apiVersion %s with kind %s (render) or %s (lint)", APIVersion, KindRender, KindLint)
	if fc.IsNilOrEmpty() {
		return failed(nil, "", "the function has no functionConfig: "+want)
	}
	meta, err := fc.GetMeta()
	if err != nil {
		return failed(nil, "", fmt.Sprintf("the functionConfig has no readable apiVersion, kind and metadata (%v): %s", err, want))
	}
	ref := &yaml.ResourceIdentifier{TypeMeta: meta.TypeMeta, NameMeta: meta.ObjectMeta.NameMeta}
	if meta.APIVersion != APIVersion || (meta.Kind != KindRender && meta.Kind != KindLint) {
		return failed(ref, "", fmt.Sprintf("the functionConfig is apiVersion %q, kind %q: %s", meta.APIVersion, meta.Kind, want))
	}
	spec, err := specOf(fc)
	if err != nil {
		return failed(ref, "", err.Error())
	}
	if meta.Kind == KindRender {
		return renderInto(rl, ref, spec)
	}
	return lintItems(rl.Items, ref, spec)
}

// specOf returns the functionConfig's spec, nil when it has none, and
// refuses top-level fields other than apiVersion, kind, metadata and spec.
func specOf(fc *yaml.RNode) (*yaml.RNode, error) {
	fields, err := fc.Fields()
	if err != nil {
		return nil, fmt.Errorf("the functionConfig is not a mapping: %w", err)
	}
	for _, name := range fields {
		if !slices.Contains([]string{"apiVersion", "kind", "metadata", "spec"}, name) {
			return nil, fmt.Errorf("the functionConfig has the field %q: want apiVersion, kind, metadata and spec (the values go under spec)", name)
		}
	}
	spec := fc.Field("spec")
	if spec == nil || spec.Value.IsNil() {
		return nil, nil
	}
	return spec.Value, nil
}

// specName is the name the values layer gives the spec, as a file.
const specName = "spec"

// renderInto applies spec as a values file, renders, and appends the
// objects to rl.Items, exactly as `typharender render -f` writes them;
// nothing is appended when the values are invalid or a finding is an
// error.
func renderInto(rl *framework.ResourceList, ref *yaml.ResourceIdentifier, spec *yaml.RNode) (framework.Results, error) {
	var data string
	if spec != nil {
		s, err := spec.String()
		if err != nil {
			return failed(ref, specName, "spec cannot be read: "+err.Error())
		}
		data = s
	}
	v := &values.Values{}
	if err := v.ApplyFile(specName, []byte(data)); err != nil {
		return invalidValues(ref, v.Check(err))
	}
	res, err := v.Render()
	if err != nil {
		return invalidValues(ref, err)
	}
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
		return nil, err
	}
	// What render says, as typharender render says it: its own warnings
	// about the functionConfig's values, then what lint's rules find in
	// the objects.
	var results framework.Results
	for _, fd := range res.Findings {
		if fd.Rule == "" {
			results = append(results, &framework.Result{Severity: framework.Warning, Message: fd.Message, ResourceRef: ref})
			continue
		}
		r := result(fd)
		r.ResourceRef = identify(fd.Object.APIVersion, fd.Object.Kind, fd.Object.Namespace, fd.Object.Name)
		results = append(results, r)
	}
	if n := countErrors(results); n > 0 {
		return results, fmt.Errorf("%w: the rendering has %d error finding(s); nothing was generated", ErrFailed, n)
	}
	items, err := (&kio.ByteReader{Reader: &buf, OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("reading the rendering: %w", err)
	}
	rl.Items = append(rl.Items, items...)
	return results, nil
}

// lintSpec is TyphaLint's spec: the facts of `typharender lint`.
type lintSpec struct {
	facts  lint.Facts
	failOn finding.Severity
}

// lintKeys are the keys of TyphaLint's spec, for messages.
const lintKeys = "nodes, kubeVersion, region, terway and failOn"

// readLintSpec reads TyphaLint's spec; every problem is a result. The
// facts are checked as lint checks them, with the same functions.
func readLintSpec(ref *yaml.ResourceIdentifier, spec *yaml.RNode) (lintSpec, framework.Results) {
	s := lintSpec{failOn: finding.Error}
	if spec == nil {
		return s, nil
	}
	n := spec.YNode()
	if n.Kind != yaml.MappingNode {
		return s, framework.Results{errorResult(ref, "spec", "spec is not a mapping: want "+lintKeys)}
	}
	var bad framework.Results
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i].Value, n.Content[i+1]
		path := "spec." + k
		fail := func(msg string) { bad = append(bad, errorResult(ref, path, msg)) }
		if val.Kind != yaml.ScalarNode {
			fail(path + " is not a scalar: want a number, string or boolean")
			continue
		}
		var err error
		switch k {
		case "nodes":
			if val.Decode(&s.facts.Nodes) != nil {
				fail(fmt.Sprintf("%s %q: want the cluster's node count, 1 to 100000", path, val.Value))
				continue
			}
			err = lint.CheckFact(rules.FactNodes, strconv.Itoa(s.facts.Nodes)) // 0 too: not "unknown" when given
		case "kubeVersion":
			s.facts.KubeVersion = val.Value
			err = lint.CheckFact(rules.FactKubeVersion, val.Value)
		case "region":
			s.facts.Region = val.Value
			err = lint.CheckFact(rules.FactRegion, val.Value)
		case "terway":
			if val.Decode(&s.facts.Terway) != nil {
				fail(fmt.Sprintf("%s %q: want true or false", path, val.Value))
			}
		case "failOn":
			sev, perr := finding.ParseSeverity(val.Value)
			if perr != nil || sev == finding.Info {
				fail(fmt.Sprintf("%s %q: want error or warning", path, val.Value))
				continue
			}
			s.failOn = sev
		default:
			fail(path + " is not a known key: want " + lintKeys)
		}
		if err != nil {
			fail(path + ": " + err.Error())
		}
	}
	return s, bad
}

// lintItems lints the resources as `typharender lint` lints files, with
// the facts in spec, and leaves them unchanged.
func lintItems(items []*yaml.RNode, ref *yaml.ResourceIdentifier, spec *yaml.RNode) (framework.Results, error) {
	s, bad := readLintSpec(ref, spec)
	if len(bad) > 0 {
		return bad, fmt.Errorf("%w: invalid %s spec", ErrFailed, KindLint)
	}
	// Each resource is linted as a file of its own, named by its place in
	// the ResourceList (items[3]), and all of them together, so that the
	// rules that pair objects (a Service and its Deployment) see every one.
	var objs []*rules.Object
	byName := map[string]*yaml.RNode{}
	index := map[string]int{}
	for i, it := range items {
		if it.GetAnnotations()[filters.LocalConfigAnnotation] == "true" {
			continue // not part of the output, such as a generator's config
		}
		data, err := it.String()
		if err != nil {
			return nil, fmt.Errorf("resource %d: %w", i, err)
		}
		name := fmt.Sprintf("items[%d]", i)
		parsed, err := lint.Parse(name, []byte(data))
		if err != nil {
			return nil, fmt.Errorf("resource %d: %w", i, err)
		}
		objs = append(objs, parsed...)
		byName[name], index[name] = it, i
	}
	report, err := lint.Lint(objs, s.facts)
	if err != nil {
		return failed(ref, specName, "spec: "+err.Error())
	}
	// In the order of the items (lint sorts by name: items[10] before
	// items[2]), then as lint sorts.
	slices.SortStableFunc(report.Findings, func(a, b finding.Finding) int { return cmp.Compare(index[a.File], index[b.File]) })
	var results framework.Results
	for _, fd := range report.Findings {
		r := result(fd)
		if it := byName[fd.File]; it != nil {
			meta, _ := it.GetMeta()
			r.ResourceRef = identify(meta.APIVersion, meta.Kind, meta.Namespace, meta.Name)
			if path, index, _ := kioutil.GetFileAnnotations(it); path != "" {
				i, _ := strconv.Atoi(index) // "" when the file holds one resource
				r.File = &framework.File{Path: path, Index: i}
			}
		}
		results = append(results, r)
	}
	if report.Fails(s.failOn) {
		return results, fmt.Errorf("%w: %s (failOn: %s)", ErrFailed, report.Summary(), s.failOn)
	}
	return results, nil
}

// result is a lint finding as a KRM result; the caller sets ResourceRef.
func result(f finding.Finding) *framework.Result {
	sev := framework.Info
	switch f.Severity {
	case finding.Error:
		sev = framework.Error
	case finding.Warning:
		sev = framework.Warning
	}
	return &framework.Result{Severity: sev, Message: f.Message, Tags: map[string]string{"rule": f.Rule}}
}

func identify(apiVersion, kind, namespace, name string) *yaml.ResourceIdentifier {
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: apiVersion, Kind: kind},
		NameMeta: yaml.NameMeta{Namespace: namespace, Name: name},
	}
}

// invalidValues turns the values layer's errors into one error result
// each, with the key's path in the functionConfig.
func invalidValues(ref *yaml.ResourceIdentifier, err error) (framework.Results, error) {
	var results framework.Results
	for _, e := range errs.Flatten(err) {
		var ve *values.Error
		if !errors.As(e, &ve) {
			results = append(results, errorResult(ref, specName, e.Error()))
			continue
		}
		path := specName
		if ve.Key != "" {
			path += "." + ve.Key
		}
		results = append(results, errorResult(ref, path, path+" "+ve.Reason))
	}
	return results, fmt.Errorf("%w: invalid values in %s", ErrFailed, specName)
}

// errorResult is an error about the functionConfig field at path ("":
// the whole functionConfig).
func errorResult(ref *yaml.ResourceIdentifier, path, msg string) *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: msg, ResourceRef: ref}
	if path != "" {
		r.Field = &framework.Field{Path: path}
	}
	return r
}

// failed is one error result and an error that stops the build.
func failed(ref *yaml.ResourceIdentifier, path, msg string) (framework.Results, error) {
	r := errorResult(ref, path, msg)
	return framework.Results{r}, fmt.Errorf("%w: %s", ErrFailed, r.Message)
}

func countErrors(results framework.Results) int {
	n := 0
	for _, r := range results {
		if r.Severity == framework.Error {
			n++
		}
	}
	return n
}

// line formats a result for stderr as typharender prints what it warns
// about: "severity [rule] message" for a finding (whose message names its
// object), "severity: message" otherwise.
func line(r *framework.Result) string {
	if rule := r.Tags["rule"]; rule != "" {
		return fmt.Sprintf("%s [%s] %s", r.Severity, rule, r.Message)
	}
	return fmt.Sprintf("%s: %s", r.Severity, r.Message)
}
