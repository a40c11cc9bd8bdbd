#!/usr/bin/env bash
# Run the e2e tests: the library's output against a real kube-apiserver and
# etcd (module e2e/). Run by `make e2e`.
#
# Builds the two binaries on first use (about 15 minutes cold on 2 cores; see
# hack/e2e-binaries.sh), then reuses them from the cache: a warm run takes
# well under a minute. Extra arguments go to `go test` (e.g. -run TestAPIServer).
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
cd "$root/e2e"
TYPHARENDER_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 20m -v "$@" ./...
