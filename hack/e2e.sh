#!/usr/bin/env bash
# Run the e2e tests: the library's output against a real kube-apiserver and
# etcd (module e2e/). Run by `make e2e`.
#
# Builds the two binaries on first use (about 15 minutes cold on 2 cores; see
# hack/e2e-binaries.sh), then reuses them from the cache: a warm run takes
# well under a minute. Extra arguments go to `go test` (e.g. -run TestAPIServer).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$("$root/hack/e2e-binaries.sh")
cd "$root/e2e"
export GOWORK=off
TYPHARENDER_E2E_BIN=$bin go test -tags e2e -count=1 -timeout 20m -v "$@" ./...
