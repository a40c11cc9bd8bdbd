// Package lint checks Kubernetes manifests for Typha and Terway's
// eni-config, read from files, against a cluster's size, version and
// region, with the rules render applies to what it builds (package rules):
// one source of truth.
//
// [ReadAll], [ReadPaths], [Read] and [Parse] read files, directories and
// standard input (multi-document YAML, JSON, concatenated JSON objects,
// v1 List objects) into rules.Object values that remember their file and
// line; a directory walk passes over hidden entries, [ReadOptions.Exclude]
// globs and documents that are not Kubernetes objects, with notes. Input
// past a limit ([MaxInputBytes], [MaxDocumentBytes], [MaxDocuments],
// [MaxDepth], [MaxNodes], [MaxInputNodes], [MaxObjects], [MaxFiles]) is a
// [ReadError] naming the file and line, never a panic.
//
// [Facts] are the cluster facts as a person gives them; [Lint] checks them
// ([Facts.Resolve], [CheckFact]) and runs every rule for them, skipping,
// with a reason, those that need a fact that was not given. [Write]
// prints a [Report] as text, JSON, GitHub Actions workflow commands or
// SARIF 2.1.0, whose rule metadata comes from the same rule values;
// [SkipReason], [SkipSummary], [Report.Tally] and [Unreadable] word the
// rest of what a run says.
//
// Nothing here does cluster I/O: lint sees only the objects it is given.
// Objects in memory (render's) are checked with package rules directly.
package lint
