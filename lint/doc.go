// Package lint checks Kubernetes manifests for Typha and Terway's
// eni-config against a cluster's size, version and region, with the rules
// render applies when it writes them: one source of truth.
//
// [ReadPaths], [Read] and [Parse] read files, directories and standard
// input (multi-document YAML, JSON, v1 List objects) into [Object] values
// that remember their file and line; input past a limit ([MaxInputBytes],
// [MaxDocuments], [MaxDepth], [MaxNodes], [MaxObjects], [MaxFiles]) is a
// [ReadError] naming the file and line, never a panic. [Lint] runs every
// rule in [Rules] for the [Facts] given, and skips, with a reason, those
// that need a fact that was not given. [Write] prints a [Report] as text,
// JSON, GitHub Actions workflow commands or SARIF 2.1.0.
//
// Nothing here does cluster I/O: lint sees only the objects it is given.
package lint
