#!/usr/bin/env bash
# Install a Go command at a pinned version into the user cache, outside any
# go.mod (the way hack/validate.sh installs kubectl-validate), and print the
# path of its binary. A second run finds it there and installs nothing.
#
# Usage: hack/go-tool.sh PACKAGE VERSION
#   e.g. hack/go-tool.sh sigs.k8s.io/kustomize/kustomize/v5 v5.8.2
# Env:   TYPHARENDER_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 PACKAGE VERSION" >&2
	exit 2
fi
pkg=$1
version=$2
# The binary is named after the last path element that is not a major
# version suffix (sigs.k8s.io/kustomize/kustomize/v5 -> kustomize).
name=$(basename "$pkg")
if [[ $name =~ ^v[0-9]+$ ]]; then
	name=$(basename "$(dirname "$pkg")")
fi

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
dir=$cache_root/tools/$name-$version-$(go env GOVERSION)
if [[ ! -x $dir/$name ]]; then
	echo "installing $pkg@$version into $dir" >&2
	mkdir -p "$dir"
	# Outside any module, with no inherited -mod or workspace settings.
	(cd "$dir" && GOFLAGS= GOWORK=off GOBIN=$dir go install "$pkg@$version") >&2
fi
echo "$dir/$name"
