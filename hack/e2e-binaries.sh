#!/usr/bin/env bash
# Build (or reuse) the Kubernetes binaries that the e2e tests run, and kwok.
#
# From the e2e/ module (k8s.io/kubernetes and go.etcd.io/etcd/server/v3,
# pinned in e2e/go.mod as `tool` dependencies), all of one k8s.io/kubernetes
# version:
#   etcd  kube-apiserver  kube-controller-manager  kube-scheduler  kubectl
# and kwok (sigs.k8s.io/kwok/cmd/kwok, pinned below), installed with
# `go install` outside any module, as hack/validate.sh installs
# kubectl-validate, with the stage and CRD files of its module beside it
# (kwok-data/; see e2e/testdata/kwok/README.md).
#
# Each binary is cached on its own, outside the repository, keyed by the
# sha256 of the module versions it is built from (`go list -deps`), its
# link flags, the Go toolchain and the platform. Adding a tool to e2e/go.mod
# (which adds go.sum lines) therefore rebuilds only the binaries whose
# dependencies changed. A cold build of all of them takes about 25 minutes on
# 2 cores; a warm run a few seconds.
#
# Usage: hack/e2e-binaries.sh        prints one directory holding all of them
#                                    (links into the cache)
# Env:   TYPHARENDER_CACHE           cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/e2e"
export GOWORK=off

kwok_module=sigs.k8s.io/kwok
kwok_version=v0.8.0

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
gover=$(go env GOVERSION)
platform="$(go env GOOS)-$(go env GOARCH)"
bin_root="$cache_root/e2e-bin"
mkdir -p "$bin_root"

kube_version=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
major=${kube_version#v}
major=${major%%.*}
minor=${kube_version#v*.}
minor=${minor%%.*}

# Link flags without the build date, which is not part of a cache key.
kube_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X '$pkg.gitVersion=$kube_version'"
	kube_ldflags+=" -X '$pkg.gitMajor=$major'"
	kube_ldflags+=" -X '$pkg.gitMinor=$minor'"
	kube_ldflags+=" -X '$pkg.gitTreeState=clean'"
done
# etcd's version number is a constant in its source; only the commit is a
# link-time variable. Record the module version there instead of the default
# "Not provided (use ./build instead of go build)".
etcd_ldflags="-X 'go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version'"

# key PKG LDFLAGS: the cache key of a binary built from PKG with LDFLAGS.
key() {
	{
		go list -deps -f '{{with .Module}}{{.Path}}@{{.Version}}{{with .Replace}}=>{{.Path}}@{{.Version}}{{end}}{{end}}' "$1" | LC_ALL=C sort -u
		printf 'ldflags %s\n' "$2"
	} | sha256sum | cut -d' ' -f1
}

built=()
# build NAME PKG KIND: one binary into the cache, unless it is there.
build() {
	local name=$1 pkg=$2 kind=$3 ldflags
	case $kind in
	kube) ldflags=$kube_ldflags ;;
	etcd) ldflags=$etcd_ldflags ;;
	esac
	local dir
	dir="$bin_root/$name/$(key "$pkg" "$ldflags")-$gover-$platform"
	built+=("$dir/$name")
	if [[ -x "$dir/$name" && -f "$dir/.complete" ]]; then
		echo "e2e-binaries: $name cached in $dir" >&2
		return
	fi
	mkdir -p "$bin_root/$name"
	local tmp start
	tmp=$(mktemp -d "$bin_root/$name/.build-XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	echo "e2e-binaries: building $name ($pkg) into $dir" >&2
	start=$(date +%s)
	if [[ $kind == kube ]]; then
		local build_date
		build_date=$(date -u +'%Y-%m-%dT%H:%M:%SZ')
		ldflags+=" -X 'k8s.io/component-base/version.buildDate=$build_date' -X 'k8s.io/client-go/pkg/version.buildDate=$build_date'"
	fi
	nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/$name" "$pkg"
	if [[ $name == kubectl ]]; then
		"$tmp/$name" version --client >&2
	else
		"$tmp/$name" --version >&2
	fi
	touch "$tmp/.complete"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	trap - EXIT
	echo "e2e-binaries: built $name in $(($(date +%s) - start))s" >&2
}

build etcd go.etcd.io/etcd/server/v3 etcd
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver kube
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager kube
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler kube
build kubectl k8s.io/kubernetes/cmd/kubectl kube

# kwok: installed outside any module (never into e2e/go.mod, whose
# Kubernetes libraries are newer than kwok's), with no inherited -mod or
# workspace settings, then the files the e2e reads from its module.
# The files of kwok's module the e2e reads (copied into kwok-data/).
kwok_stages=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
	pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)
kwok_crds=(logs execs portforwards)
kwok_dir="$cache_root/tools/kwok-$kwok_version-$gover-$(printf '%s\n' "${kwok_stages[@]}" "${kwok_crds[@]}" | sha256sum | cut -c1-12)"
if [[ ! -x "$kwok_dir/kwok" || ! -f "$kwok_dir/.complete" ]]; then
	echo "e2e-binaries: installing $kwok_module/cmd/kwok@$kwok_version into $kwok_dir" >&2
	start=$(date +%s)
	mkdir -p "$kwok_dir"
	(cd "$kwok_dir" && GOFLAGS= GOBIN=$kwok_dir nice -n 10 go install "$kwok_module/cmd/kwok@$kwok_version")
	moddir=$(cd "$kwok_dir" && GOFLAGS= go mod download -json "$kwok_module@$kwok_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d "$moddir/kustomize" ]] || { echo "e2e-binaries: $kwok_module@$kwok_version has no kustomize/ in $moddir" >&2; exit 1; }
	rm -rf "$kwok_dir/kwok-data"
	mkdir -p "$kwok_dir/kwok-data/stage" "$kwok_dir/kwok-data/crd"
	for f in "${kwok_stages[@]}"; do
		cp "$moddir/kustomize/stage/$f" "$kwok_dir/kwok-data/stage/"
	done
	for f in "${kwok_crds[@]}"; do
		cp "$moddir/kustomize/crd/bases/kwok.x-k8s.io_$f.yaml" "$kwok_dir/kwok-data/crd/"
	done
	chmod -R u+w "$kwok_dir/kwok-data"
	"$kwok_dir/kwok" --version >&2
	touch "$kwok_dir/.complete"
	echo "e2e-binaries: installed kwok in $(($(date +%s) - start))s" >&2
fi
built+=("$kwok_dir/kwok" "$kwok_dir/kwok-data")

# One directory of links per set of binaries: a rerun writes the same links,
# so concurrent runs do not disturb each other.
view="$bin_root/view-$(printf '%s\n' "${built[@]}" | sha256sum | cut -d' ' -f1)"
mkdir -p "$view"
for b in "${built[@]}"; do
	ln -sfn "$b" "$view/$(basename "$b")"
done
echo "$view"
