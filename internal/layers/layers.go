// Package layers declares typharender's layers, foundations first, and the
// packages of each: the order the folders show, and the rule the imports
// keep. A package may import packages of its own layer or of a layer
// below, never of one above; TestLayering checks every package of the
// module against it with go list, and fails for a package that belongs
// to no layer.
//
//	foundations  internal/...: helpers that know nothing of Typha; finding
//	facts        versioning, terway, sizing: data with a source per row
//	model        rules: the object model and the rules over it
//	build        render: options to typed objects, checked with the rules
//	use          values, lint, rollout, gitops: values files, files read,
//	             the rollout, directories written; internal/alerttest,
//	             the promtool checks of render's alerts (tests only)
//	fleets       fleet: many clusters at once
//	commands     cmd/..., examples/..., hack/...
//
// The other modules of the repository (krm, e2e, bench, lint/schemacheck)
// stand above all of these and import what they need.
package layers

// Layer is one layer: its name and the import paths of its packages,
// relative to the module; a path ending in "/..." covers every package
// below it, except one that a layer names by its own path.
type Layer struct {
	Name     string
	Packages []string
}

// Order returns the layers, foundations first, as a fresh slice.
func Order() []Layer {
	return []Layer{
		{"foundations", []string{"internal/...", "finding"}},
		{"facts", []string{"versioning", "terway", "sizing"}},
		{"model", []string{"rules"}},
		{"build", []string{"render"}},
		{"use", []string{"values", "lint", "rollout", "gitops", "internal/alerttest"}},
		{"fleets", []string{"fleet"}},
		{"commands", []string{"cmd/...", "examples/...", "hack/..."}},
	}
}
