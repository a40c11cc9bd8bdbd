// Package rollout turns the vendor guide's procedure into numbered steps
// with exact commands: [Plan] returns, for deploying Typha
// (render.ModeTypha) or turning NetworkPolicy off
// (render.ModeDisablePolicy), the kubectl commands to run in order and
// what to check after each.
//
// The typha plan proves each step in the cluster before the next can hurt:
// steps with a [Gate] (pre-flight, Typha in sync before eni-config is
// patched, a canary before the rolling restart, the rollout) run one bash
// script that ends with a line starting [GatePass] or [GateStop], and a STOP
// names where the undo path (the steps with Undo set, [Rollback]'s) starts.
// [Step] documents how to run a plan as a person would.
//
// It runs nothing and does no cluster I/O. It imports render, which
// renders the objects and edits eni-config; render never imports it. A
// plan is built from a few reusable steps (back up eni-config, patch it,
// restart Terway, verify), so further plans are new orderings of the same
// steps: [Rollback] undoes either plan (restore eni-config, restart Terway,
// check Felix, and only then delete Typha). Terway is restarted only when
// eni-config changes. [ShellQuote] quotes the arguments the commands
// carry.
//
// A plan's [Result.Findings] are the rendering's and the eni-config
// edit's, as render returns them: render checks the rendering against the
// eni-config as the plan's patch leaves it, and validates the cluster once.
// [Result.WriteText] and the JSON encoding ([Result.MarshalJSON]) print a
// plan as typharender plan does.
package rollout
