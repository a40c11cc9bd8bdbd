#!/usr/bin/env bash
# Build (or reuse) the kube-apiserver and etcd binaries that the e2e tests run.
#
# The binaries come from the e2e/ module (k8s.io/kubernetes and
# go.etcd.io/etcd/server/v3, pinned in e2e/go.mod as `tool` dependencies) and
# are cached outside the repository, keyed by the sha256 of e2e/go.sum and the
# Go toolchain, so a rerun takes seconds. A cold build takes about 15 minutes
# on 2 cores.
#
# Usage: hack/e2e-binaries.sh        prints the directory holding both binaries
# Env:   TYPHARENDER_CACHE           cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/e2e"
export GOWORK=off

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
gover=$(go env GOVERSION)
goos=$(go env GOOS)
goarch=$(go env GOARCH)
sum=$(sha256sum go.sum | cut -d' ' -f1)
dir="$cache_root/e2e-bin/$sum-$gover-$goos-$goarch"

if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" && -f "$dir/.complete" ]]; then
	echo "e2e-binaries: cached in $dir" >&2
	echo "$dir"
	exit 0
fi

kube_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
major=${kube_version#v}
major=${major%%.*}
minor=${kube_version#v*.}
minor=${minor%%.*}
build_date=$(date -u +'%Y-%m-%dT%H:%M:%SZ')

kube_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X '$pkg.gitVersion=$kube_version'"
	kube_ldflags+=" -X '$pkg.gitMajor=$major'"
	kube_ldflags+=" -X '$pkg.gitMinor=$minor'"
	kube_ldflags+=" -X '$pkg.gitTreeState=clean'"
	kube_ldflags+=" -X '$pkg.buildDate=$build_date'"
done
# etcd's version number is a constant in its source; only the commit is a
# link-time variable. Record the module version there instead of the default
# "Not provided (use ./build instead of go build)".
etcd_ldflags="-X 'go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version'"

mkdir -p "$cache_root/e2e-bin"
tmp=$(mktemp -d "$cache_root/e2e-bin/.build-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "e2e-binaries: building kube-apiserver $kube_version and etcd $etcd_version into $dir" >&2
echo "e2e-binaries: a cold build takes about 15 minutes on 2 cores" >&2
start=$(date +%s)
nice -n 10 go build -trimpath -ldflags "-s -w $kube_ldflags" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
nice -n 10 go build -trimpath -ldflags "-s -w $etcd_ldflags" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version >&2
touch "$tmp/.complete"

rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "e2e-binaries: built in $(($(date +%s) - start))s" >&2
echo "$dir"
