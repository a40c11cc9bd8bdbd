// Package krm is typharender as a KRM function, for kustomize and kpt: a
// program that reads a ResourceList on stdin and writes it back on stdout
// (the Configuration Functions Specification), built on kustomize's
// kyaml/fn/framework.
//
// The functionConfig chooses the mode by its kind (apiVersion
// typharender.github.io/v1alpha1):
//
//   - TyphaRender, a generator: spec holds the same values as a
//     `typharender render -f` values file (region, nodes, kubeVersion and
//     every other values key), applied through the same values layer. The
//     function adds the objects `typharender render` writes for them, and
//     reports what render warns about, lint's findings on the rendering
//     included, as results.
//   - TyphaLint, a validator: spec holds lint's cluster facts (nodes,
//     kubeVersion, region, terway) and failOn. The function lints the
//     resources it is given, as `typharender lint` lints files, and
//     returns them unchanged.
//
// Every finding goes to the ResourceList's results with its severity and
// the resource it is about, and to stderr as a line. Invalid values, an
// error finding (or, for TyphaLint, one at or above failOn) make the
// function fail, which stops `kustomize build`; a failed TyphaRender adds
// nothing.
//
// The package is a module of its own so that kyaml stays out of the
// library's go.mod. It is thin: the decisions are render's, lint's and the
// values layer's (package values).
package krm
