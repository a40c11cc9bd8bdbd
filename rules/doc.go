// Package rules is what typharender checks in the objects that deploy
// Typha for Terway: each check is one [Rule] value (its stable ID,
// severity, texts, the cluster facts it needs and its Check function),
// and [Rules] lists them, in the order docs/reference/rules.md shows them.
//
// The rules read one model of a Kubernetes object, an [Object]: its kind
// and name, where it came from, and its fields as a go-yaml node tree, so
// that a finding can name the field at fault and, for an object read from
// a file, its line. lint's reader builds Objects from files ([NewObject]);
// render builds them from the typed objects it renders ([FromTyped]), with
// no encoding and no parse. The same rules run on both, so render and lint
// never disagree about one object.
//
// [Run] runs every rule for the cluster [Facts] (node count, Kubernetes
// version, region, Terway), skipping those that need a fact not given, and
// returns what they find as finding.Finding values. Rules compare objects
// with each other (a Service's selector with the Typha Deployment's pods),
// so Run gets every object at once.
//
// The facts the rules compare with (ports, names, the Typha version
// window, registries, how Terway reads eni-config) are package terway's,
// each declared once with its source; the sizing rules are package
// sizing's.
package rules
