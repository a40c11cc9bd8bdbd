// Package gitops writes the directories a GitOps repository holds, as
// render.Layout lays a rendering out (one file per object and a
// kustomization.yaml, per cluster for a fleet), and compares a directory
// with a rendering.
//
// [Write] is all or nothing, and touches only what typharender owns: the
// files render.Layout names (NN-<kind>-<name>.yaml, and a
// kustomization.yaml that lists only them); everything else in the
// directory stays, and a path it would have to overwrite that it did not
// write is refused before anything changes. The directory itself keeps
// its mode, owner and mounts. A failure while writing is undone; what
// cannot be undone is named with the command that finishes the job.
// [Compare] says, file by file, how a directory differs from what Write
// would leave in it; [CompareFile] does the same for one file.
//
// typharender render --output-dir and --check DIR are these calls. Large
// fleets are written on every core.
package gitops
