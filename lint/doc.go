// Package lint checks Kubernetes manifests for Typha and Terway's
// eni-config against a cluster's size, version and region, with the rules
// render applies when it writes them: one source of truth.
//
// [ReadAll], [ReadPaths], [Read] and [Parse] read files, directories and
// standard input (multi-document YAML, JSON, concatenated JSON objects,
// v1 List objects) into [Object] values that remember their file and line;
// a directory walk passes over hidden entries, [ReadOptions.Exclude]
// globs and documents that are not Kubernetes objects, with notes.
// [FromObjects] does the same for objects in memory, such as render's.
// Input past a limit ([MaxInputBytes], [MaxDocumentBytes], [MaxDocuments],
// [MaxDepth], [MaxNodes], [MaxInputNodes], [MaxObjects], [MaxFiles]) is a
// [ReadError] naming the file and line, never a panic.
//
// Each check is one [Rule] value: its stable ID, severity, texts, the
// cluster facts it needs ([Fact]) and its Check function, which runs over
// every object at once (some rules compare objects, such as a Service's
// selector with the Typha Deployment's pods). [Lint] runs every rule in
// [Rules] for the [Facts] given, and skips, with a reason, those that need
// a fact that was not given. [Write] prints a [Report] as text, JSON,
// GitHub Actions workflow commands or SARIF 2.1.0, whose rule metadata
// comes from the same values.
//
// Nothing here does cluster I/O: lint sees only the objects it is given.
package lint
