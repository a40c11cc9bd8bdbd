#!/usr/bin/env bash
# Run the e2e tests: the library's output against a real kube-apiserver and
# etcd (module e2e/). Run by `make e2e`.
#
# Builds the two binaries on first use (about 15 minutes cold on 2 cores; see
# hack/e2e-binaries.sh), then reuses them from the cache: a warm run takes
# well under a minute. Extra arguments go to `go test` (e.g. -run TestAPIServer).
#
# The relay tests also need Calico's sources, found beside the repository
# (for a git worktree, beside its main checkout too) or named by env:
#   TYPHA_SRC   ../shared/third_party/calico-typha-v3.20.2/src.tar.xz: Typha
#               v3.20.2 and its Felix client (TestTyphaRelay, the v3.20.2
#               cases of TestTyphaVersions); hack/typha-binaries.sh builds
#               them once (about 10 minutes cold on 2 cores) and caches them.
#   CALICO_SRC  ../shared/third_party/calico (calico-v*.tar.xz, SHA256SUMS):
#               Typha v3.24.5 to v3.32.1 and felixsim, the Felix 3.24.5
#               simulator (TestTyphaVersions); hack/calico-binaries.sh builds
#               them once and caches them (times in its header).
# Without the sources those tests skip and say why; with CI=true it is an
# error. The test binary runs in a network namespace of its own
# (hack/e2e-netns.sh).
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

# shared REL: the absolute path of ../REL beside the repository, or beside
# the main checkout of this worktree; empty if neither exists.
shared() {
	local candidates=("$root/../$1") common c
	if common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
		candidates+=("$(dirname "$common")/../$1")
	fi
	for c in "${candidates[@]}"; do
		if [[ -e "$c" ]]; then
			echo "$(cd "$(dirname "$c")" && pwd)/$(basename "$c")"
			return
		fi
	done
}

# missing WHY WHAT: without CI=true, say WHY and that WHAT will skip; with
# CI=true, fail.
missing() {
	if [[ "${CI:-}" == true ]]; then
		echo "e2e: $1 (CI=true: $2 must run)" >&2
		exit 1
	fi
	echo "e2e: $1; $2 will skip" >&2
}

typha_rel=shared/third_party/calico-typha-v3.20.2/src.tar.xz
typha_src=${TYPHA_SRC:-$(shared "$typha_rel")}
unset TYPHARENDER_E2E_TYPHA_BIN TYPHARENDER_E2E_TYPHA_SKIP
if [[ -n "$typha_src" && -f "$typha_src" ]]; then
	echo "e2e: Typha sources $typha_src" >&2
	export TYPHARENDER_E2E_TYPHA_BIN
	TYPHARENDER_E2E_TYPHA_BIN=$("$root/hack/typha-binaries.sh" "$typha_src")
else
	why="no Typha v3.20.2 sources: set TYPHA_SRC to calico-typha-v3.20.2/src.tar.xz or put it at ../$typha_rel"
	[[ -n "${TYPHA_SRC:-}" ]] && why="TYPHA_SRC=$TYPHA_SRC: no such file"
	missing "$why" "the v3.20.2 relay tests"
	export TYPHARENDER_E2E_TYPHA_SKIP=$why
fi

calico_rel=shared/third_party/calico
calico_src=${CALICO_SRC:-$(shared "$calico_rel")}
unset TYPHARENDER_E2E_CALICO_BIN TYPHARENDER_E2E_CALICO_SKIP
if [[ -n "$calico_src" && -f "$calico_src/SHA256SUMS" ]]; then
	echo "e2e: Calico sources $calico_src" >&2
	export TYPHARENDER_E2E_CALICO_BIN
	TYPHARENDER_E2E_CALICO_BIN=$("$root/hack/calico-binaries.sh" "$calico_src")
else
	why="no Calico sources: set CALICO_SRC to the directory of calico-v*.tar.xz and SHA256SUMS or put it at ../$calico_rel"
	[[ -n "${CALICO_SRC:-}" ]] && why="CALICO_SRC=$CALICO_SRC: no SHA256SUMS there"
	missing "$why" "TestTyphaVersions"
	export TYPHARENDER_E2E_CALICO_SKIP=$why
fi

cd "$root/e2e"
TYPHARENDER_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 30m -exec "$root/hack/e2e-netns.sh" -v "$@" ./...
