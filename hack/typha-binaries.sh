#!/usr/bin/env bash
# Build (or reuse) the Typha binaries that the e2e relay test runs.
#
# The sources are Calico Typha v3.20.2 with its pinned libcalico-go and api
# (src.tar.xz in shared/third_party/calico-typha-v3.20.2; see its README). Not
# in this repository: this script builds from the tarball at test time, into a
# cache outside the repository, so only the first run pays (about 5 minutes
# per variant on 2 cores with an empty module cache). Three programs:
#
#   upstream/calico-typha          v3.20.2 as released (EndpointSlices through
#                                  discovery.k8s.io/v1beta1, gone since 1.25)
#   endpointslice-v1/calico-typha  the control: the same tree with only that
#                                  API moved to discovery.k8s.io/v1 (three files)
#   felix-client                   e2e/felixclient/main.go built in the Typha
#                                  tree: DiscoverTyphaAddr + pkg/syncclient
#
# Cache key: sha256 of src.tar.xz, the variant (and for felix-client the
# sha256 of its source), the Go version, GOOS and GOARCH.
#
# Usage: hack/typha-binaries.sh SRC_TAR_XZ    prints a directory holding
#        calico-typha-upstream, calico-typha-endpointslice-v1 and felix-client
# Env:   TYPHARENDER_CACHE                    cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=${1:?usage: hack/typha-binaries.sh SRC_TAR_XZ}
[[ -f "$src" ]] || { echo "typha-binaries: $src: no such file (want the calico-typha-v3.20.2 src.tar.xz)" >&2; exit 1; }
client_src="$root/e2e/felixclient/main.go"

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
gover=$(GOWORK=off go env GOVERSION)
platform="$(go env GOOS)-$(go env GOARCH)"
srcsum=$(sha256sum "$src" | cut -d' ' -f1)
clientsum=$(sha256sum "$client_src" | cut -d' ' -f1)
dir="$cache_root/typha-bin/$srcsum-$gover-$platform"
mkdir -p "$dir"

# extract DEST: the three source trees, with replace directives for the two
# modules that the Go module proxy does not serve at the pinned versions.
extract() {
	tar -xJf "$src" -C "$1"
	printf '\nreplace github.com/projectcalico/libcalico-go => ../libcalico-go\n\nreplace github.com/projectcalico/api => ../api\n' >>"$1/typha/go.mod"
}

# The files of libcalico-go that use discovery.k8s.io/v1beta1 (third_party README).
v1beta1_files=(
	lib/backend/k8s/resources/kubeendpointslice.go
	lib/backend/k8s/conversion/conversion.go
	lib/backend/model/resource.go
)

# patch_v1 DEST: move EndpointSlices to discovery.k8s.io/v1, and fail if the
# tree is not the one this patch was written for.
patch_v1() {
	local f
	for f in "${v1beta1_files[@]}"; do
		f="$1/libcalico-go/$f"
		grep -q 'k8s.io/api/discovery/v1beta1' "$f" || { echo "typha-binaries: $f does not import discovery/v1beta1; is this v3.20.2?" >&2; exit 1; }
		sed -i -e 's#k8s.io/api/discovery/v1beta1#k8s.io/api/discovery/v1#g' -e 's#DiscoveryV1beta1()#DiscoveryV1()#g' "$f"
		if grep -n 'v1beta1\|V1beta1' "$f" >&2; then
			echo "typha-binaries: $f still mentions v1beta1 after the patch" >&2
			exit 1
		fi
	done
}

# build VARIANT OUT PKG [patch]: one binary into $dir/OUT, atomically.
build() {
	local variant=$1 out=$2 pkg=$3 patch=${4:-}
	if [[ -x "$dir/$out" && -f "$dir/$out.complete" ]]; then
		echo "typha-binaries: $out cached in $dir" >&2
		return
	fi
	local tmp
	tmp=$(mktemp -d "$cache_root/typha-bin/.build-XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	extract "$tmp"
	if [[ "$patch" == v1 ]]; then
		patch_v1 "$tmp"
	fi
	if [[ "$pkg" == ./cmd/e2e-felix-client ]]; then
		mkdir -p "$tmp/typha/cmd/e2e-felix-client"
		# The source carries `//go:build ignore` so that the e2e module
		# neither builds nor tidies it; here it is a main package.
		sed '/^\/\/go:build ignore$/d' "$client_src" >"$tmp/typha/cmd/e2e-felix-client/main.go"
	fi
	echo "typha-binaries: building $out ($variant) from $src" >&2
	local start
	start=$(date +%s)
	(
		cd "$tmp/typha"
		export GOWORK=off GOFLAGS=-mod=mod GONOSUMDB=github.com/projectcalico GOTOOLCHAIN=local CGO_ENABLED=0
		nice -n 10 go build -trimpath -ldflags "-s -w -X github.com/projectcalico/typha/pkg/buildinfo.GitVersion=v3.20.2-$variant" -o "$tmp/bin" "$pkg"
	)
	mkdir -p "$(dirname "$dir/$out")"
	mv -f "$tmp/bin" "$dir/$out"
	touch "$dir/$out.complete"
	rm -rf "$tmp"
	trap - EXIT
	echo "typha-binaries: built $out in $(($(date +%s) - start))s" >&2
}

build upstream upstream/calico-typha ./cmd/calico-typha
build endpointslice-v1 endpointslice-v1/calico-typha ./cmd/calico-typha v1
build e2e-client "felix-client-$clientsum" ./cmd/e2e-felix-client
# One directory per client source, holding links with fixed names: a rerun
# writes the same links, so concurrent runs do not disturb each other.
view="$dir/view-$clientsum"
mkdir -p "$view"
ln -sfn ../upstream/calico-typha "$view/calico-typha-upstream"
ln -sfn ../endpointslice-v1/calico-typha "$view/calico-typha-endpointslice-v1"
ln -sfn "../felix-client-$clientsum" "$view/felix-client"
echo "$view"
