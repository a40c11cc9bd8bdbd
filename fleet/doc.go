// Package fleet renders and lints many clusters at once, as a fleet file
// lists them (package values reads it): [Render] renders every cluster,
// checks each with lint's rules for its own facts and lays each out for
// gitops.Write under a directory of its name; [Lint] lints each cluster's
// directory, as Render and gitops.Write left it, with that cluster's own
// facts. Both work on every core, and each cluster's findings carry its
// name (finding.Finding.Cluster). A fleet with an invalid entry renders
// or lints nothing, and the error lists every invalid entry.
//
// typharender render --fleet and typharender lint --fleet are these two
// calls and gitops.Write; a Go program does the same with them.
package fleet
