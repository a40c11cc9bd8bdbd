#!/usr/bin/env bash
# Build what the examples need and run every example under examples/, then
# the kustomize tests of the KRM function. Run by `make examples`; exits
# non-zero on any problem.
#
#   examples/render     go run: the library renders one cluster's objects
#   examples/kustomize  kustomize build with typharender's KRM function
#                       (bin/typharender-krm): generated, then linted
#
# kustomize is installed pinned into the user cache with go install
# (hack/go-tool.sh), never into a go.mod: v5.8.2, the newest release whose
# go.mod asks for Go 1.26 (v5.8.3 asks for 1.27). The krm module's
# TestKustomize* tests then compare the build of the example (and of a
# generator with values from every group of keys) with what typharender
# render writes for the same values, byte for byte after kustomize, and
# check that TyphaLint fails a build with a broken Typha Deployment.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export GOWORK=off
kustomize_version=v5.8.2

kustomize=$(hack/go-tool.sh sigs.k8s.io/kustomize/kustomize/v5 "$kustomize_version")
echo "examples: $("$kustomize" version) at $kustomize"

mkdir -p bin
go build -o bin/ ./cmd/typharender
(cd krm && go build -o ../bin/ ./cmd/typharender-krm)
echo "examples: built bin/typharender and bin/typharender-krm"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# objects FILE: the kinds of the objects in a YAML stream, one line.
objects() { grep -E '^kind: ' "$1" | sed 's/^kind: //' | paste -sd' ' -; }

for dir in examples/*/; do
	ex=$(basename "$dir")
	case $ex in
	render)
		go run ./examples/render -region cn-hangzhou -nodes 1000 -kube-version v1.30.7-aliyun.1 >"$work/$ex.yaml" 2>"$work/$ex.err"
		;;
	kustomize)
		PATH=$root/bin:$PATH "$kustomize" build --enable-alpha-plugins --enable-exec examples/kustomize >"$work/$ex.yaml" 2>"$work/$ex.err"
		;;
	*)
		echo "examples: $dir has no run step in hack/examples.sh: add one" >&2
		exit 1
		;;
	esac
	kinds=$(objects "$work/$ex.yaml")
	if [[ -z $kinds ]]; then
		echo "examples: $dir wrote no objects; stderr:" >&2
		cat "$work/$ex.err" >&2
		exit 1
	fi
	echo "ok   $dir: $kinds"
done

echo "== the KRM function with the real kustomize (krm module, TestKustomize*)"
rc=0
(cd krm && TYPHARENDER_KUSTOMIZE=$kustomize go test -count=1 -run '^TestKustomize' -v ./...) >"$work/test.out" 2>&1 || rc=$?
grep -E '^(=== RUN|--- |    --- |ok|FAIL|PASS|panic)' "$work/test.out" | grep -v '^=== RUN' || true
if ((rc != 0)); then
	cat "$work/test.out" >&2
	echo "examples: the kustomize tests failed" >&2
	exit 1
fi
if grep -q -- '--- SKIP' "$work/test.out"; then
	cat "$work/test.out" >&2
	echo "examples: a kustomize test skipped: here every one must run" >&2
	exit 1
fi
echo "examples: every example ran, and the kustomize tests passed"
