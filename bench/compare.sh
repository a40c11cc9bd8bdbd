#!/usr/bin/env bash
# Side by side: `typharender render` against `helm template` of the
# equivalent chart in bench/chart, and against bench/k8sfloor (a program
# that only links the same k8s.io/api types), as whole processes. Checks
# that render and helm give the same objects, then times all of them
# alternately and prints the median of each and the ratios issue 13 sets
# targets for: helm / render (at least 9x) and render / k8sfloor (at most
# 1.3x).
#
#   bench/compare.sh [-runs N] [-region R -nodes N -kube-version V]
#
# helm v3.22.0 is built once with `go install` into
# ${XDG_CACHE_HOME:-$HOME/.cache}/typharender/tools (never into a go.mod);
# typharender is built from this checkout into a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
tools="${XDG_CACHE_HOME:-$HOME/.cache}/typharender/tools/helm-$HELM_VERSION"
helm="$tools/helm"
if [ ! -x "$helm" ]; then
  echo "building helm $HELM_VERSION into $tools (once; a few minutes)" >&2
  mkdir -p "$tools"
  GOBIN="$tools" GOFLAGS= nice go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/typharender" ./cmd/typharender
(cd bench && go build -o "$tmp/k8sfloor" ./k8sfloor)

echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
echo "helm $HELM_VERSION (go install), typharender at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
cd bench
go run . -helm "$helm" -typharender "$tmp/typharender" -floor "$tmp/k8sfloor" -chart chart "$@"
echo "after: $(uptime | sed 's/.*load average/load average/')"
