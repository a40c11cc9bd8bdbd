#!/usr/bin/env bash
# Run the e2e tests: the library's output against a real kube-apiserver and
# etcd (module e2e/). Run by `make e2e`.
#
# Builds the two binaries on first use (about 15 minutes cold on 2 cores; see
# hack/e2e-binaries.sh), then reuses them from the cache: a warm run takes
# well under a minute. Extra arguments go to `go test` (e.g. -run TestAPIServer).
#
# The relay test (TestTyphaRelay) also needs Typha's sources: TYPHA_SRC, or
# ../shared/third_party/calico-typha-v3.20.2/src.tar.xz beside the repository
# (for a git worktree, beside its main checkout too). hack/typha-binaries.sh
# builds them once (about 10 minutes cold on 2 cores) and caches them. Without
# the sources the relay test skips and says why; with CI=true it is an error.
# The test binary runs in a network namespace of its own (hack/e2e-netns.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GOWORK=off

# e2e/ builds the library from this checkout (replace => ../), so a change
# to the library's go.mod must be followed by a tidy of e2e/go.mod. Say so
# plainly instead of failing later with "missing go.sum entry".
if ! (cd "$root/e2e" && go mod tidy -diff >/dev/null); then
	echo "e2e: e2e/go.mod is not tidy (did the library's go.mod change?); run: (cd e2e && go mod tidy)" >&2
	(cd "$root/e2e" && go mod tidy -diff) >&2 || true
	exit 1
fi

bin=$("$root/hack/e2e-binaries.sh")

typha_rel=shared/third_party/calico-typha-v3.20.2/src.tar.xz
typha_src=${TYPHA_SRC:-}
if [[ -z "$typha_src" ]]; then
	candidates=("$root/../$typha_rel")
	if common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
		candidates+=("$(dirname "$common")/../$typha_rel")
	fi
	for c in "${candidates[@]}"; do
		if [[ -f "$c" ]]; then
			typha_src=$(cd "$(dirname "$c")" && pwd)/src.tar.xz
			break
		fi
	done
fi
unset TYPHARENDER_E2E_TYPHA_BIN TYPHARENDER_E2E_TYPHA_SKIP
if [[ -n "$typha_src" && -f "$typha_src" ]]; then
	echo "e2e: Typha sources $typha_src" >&2
	export TYPHARENDER_E2E_TYPHA_BIN
	TYPHARENDER_E2E_TYPHA_BIN=$("$root/hack/typha-binaries.sh" "$typha_src")
else
	why="no Typha sources: set TYPHA_SRC to calico-typha-v3.20.2/src.tar.xz or put it at ../$typha_rel"
	[[ -n "${TYPHA_SRC:-}" ]] && why="TYPHA_SRC=$TYPHA_SRC: no such file"
	if [[ "${CI:-}" == true ]]; then
		echo "e2e: $why (CI=true: the relay test must run)" >&2
		exit 1
	fi
	echo "e2e: $why; the relay test will skip" >&2
	export TYPHARENDER_E2E_TYPHA_SKIP=$why
fi

cd "$root/e2e"
TYPHARENDER_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 30m -exec "$root/hack/e2e-netns.sh" -v "$@" ./...
