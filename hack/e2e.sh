#!/usr/bin/env bash
# Run the e2e tests: the library's output against a real kube-apiserver and
# etcd (module e2e/). Run by `make e2e`.
#
# Builds the Kubernetes binaries and kwok on first use (hack/e2e-binaries.sh:
# kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kubectl and
# kwok, about 25 minutes cold on 2 cores), then reuses them from the cache.
# Extra arguments go to `go test` (e.g. -run TestAPIServer).
#
# The relay tests also need Calico's sources, found beside the repository
# (for a git worktree, beside its main checkout too) or named by env:
#   TYPHA_SRC   ../shared/third_party/calico-typha-v3.20.2/src.tar.xz: Typha
#               v3.20.2 and its Felix client (TestTyphaRelay, the v3.20.2
#               cases of TestTyphaVersions); hack/typha-binaries.sh builds
#               them once (about 10 minutes cold on 2 cores) and caches them.
#   CALICO_SRC  ../shared/third_party/calico (calico-v*.tar.xz, SHA256SUMS):
#               Typha v3.24.5 to v3.32.1 and felixsim, the Felix 3.24.5
#               simulator (TestTyphaVersions, the simulated cluster and the
#               rehearsal); hack/calico-binaries.sh builds them once and
#               caches them (times in its header).
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

# binaries NAME SRC FILE SCRIPT HINT TESTS: when the file SRC/FILE (SRC
# itself if FILE is empty) exists, export TYPHARENDER_E2E_NAME_BIN as
# `hack/SCRIPT SRC` prints it; otherwise TYPHARENDER_E2E_NAME_SKIP with why
# (HINT says what to set), and with CI=true stop: TESTS must run.
binaries() {
	local name=$1 src=$2 file=$3 script=$4 hint=$5 tests=$6 why dir
	unset "TYPHARENDER_E2E_${name}_BIN" "TYPHARENDER_E2E_${name}_SKIP"
	if [[ -n "$src" && -f "$src${file:+/$file}" ]]; then
		echo "e2e: $tests: sources $src" >&2
		dir=$("$root/hack/$script" "$src")
		export "TYPHARENDER_E2E_${name}_BIN=$dir"
		return
	fi
	why="no sources for $tests: $hint"
	[[ -n "$src" ]] && why="$src${file:+/$file}: no such file; $hint"
	missing "$why" "$tests"
	export "TYPHARENDER_E2E_${name}_SKIP=$why"
}

typha_rel=shared/third_party/calico-typha-v3.20.2/src.tar.xz
binaries TYPHA "${TYPHA_SRC:-$(shared "$typha_rel")}" "" typha-binaries.sh \
	"set TYPHA_SRC to calico-typha-v3.20.2/src.tar.xz or put it at ../$typha_rel" "the v3.20.2 relay tests"
calico_rel=shared/third_party/calico
binaries CALICO "${CALICO_SRC:-$(shared "$calico_rel")}" SHA256SUMS calico-binaries.sh \
	"set CALICO_SRC to the directory of calico-v*.tar.xz and SHA256SUMS or put it at ../$calico_rel" "TestTyphaVersions, TestFelixsimScale, the simulated cluster and the rehearsal"

cd "$root/e2e"
# The rehearsal (TestRehearsal) runs most of it: see docs/e2e.md.
TYPHARENDER_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 75m -exec "$root/hack/e2e-netns.sh" -v "$@" ./...
