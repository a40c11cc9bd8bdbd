#!/usr/bin/env bash
# Build (or reuse) the Calico binaries that TestTyphaVersions and the relay
# benchmark run: calico-typha of every release in shared/third_party/calico,
# and felixsim, the Felix 3.24.5 simulator (e2e/felixsim/main.go, see
# FELIXSIM in its doc comment), built inside the v3.24.5 tree.
#
# The sources are the trimmed Calico monorepo tarballs calico-vX.Y.Z.tar.xz
# with their SHA256SUMS (see the README beside them). Not in this repository:
# this script checks the sums, then builds from the tarballs at test time into
# a cache outside the repository, as hack/typha-binaries.sh does for v3.20.2.
#
# Each release is built with the Go toolchain its go.mod names (its `toolchain`
# line, else its `go` line): v3.28.5 go1.23.8, v3.29.7 go1.24.7, v3.31.7
# go1.25.13, v3.32.1 go1.25.11; the go command fetches those from the module
# proxy. v3.24.5 names go 1.18, older than any toolchain the go command can
# fetch, and is built with the local Go (1.26). The toolchain matters: v3.31
# and later built with Go 1.26 compile, then panic at run time.
#
# Output: one directory (printed on stdout) holding
#
#   calico-typha-v3.24.5  calico-typha-v3.28.5  calico-typha-v3.29.7
#   calico-typha-v3.31.7  calico-typha-v3.32.1  felixsim
#
# as symbolic links into the cache:
#
#   $cache/calico-bin/typha-vX.Y.Z-<tarball sha256>-<toolchain>-<os>-<arch>/calico-typha
#   $cache/calico-bin/felixsim-v3.24.5-<tarball sha256>-<toolchain>-<felixsim sha256>-<os>-<arch>/felixsim
#   $cache/calico-bin/view-<sha256 of the names above>/{calico-typha-vX.Y.Z,felixsim}
#
# Each binary is built in a temporary directory and moved into place with a
# .complete marker, so an interrupted build leaves nothing that looks done and
# concurrent runs do not disturb each other.
#
# Measured on 2 cores shared with other builds (load average 10 to 15),
# `time hack/calico-binaries.sh ../shared/third_party/calico`:
#   cold (empty calico-bin and Go build cache; module cache and toolchains
#   already downloaded): 26 min wall, 15 min CPU (user+sys); per Typha 3 to
#   8 min, felixsim 3 s after v3.24.5's Typha
#   first run on this machine (empty calico-bin and module cache, toolchains
#   downloaded from the proxy): 19 min wall
#   warm (everything cached): 0.5 s
#
# Usage: hack/calico-binaries.sh DIR        DIR holds calico-v*.tar.xz and SHA256SUMS
# Env:   TYPHARENDER_CACHE                  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=${1:?usage: hack/calico-binaries.sh DIR (the directory of calico-v*.tar.xz and SHA256SUMS)}
[[ -d "$src" ]] || { echo "calico-binaries: $src: not a directory (want shared/third_party/calico)" >&2; exit 1; }
src=$(cd "$src" && pwd)
felixsim_src="$root/e2e/felixsim/main.go"

# The releases, oldest first; felixsim is built in the first.
versions=(v3.24.5 v3.28.5 v3.29.7 v3.31.7 v3.32.1)
felix_version=v3.24.5

[[ -f "$src/SHA256SUMS" ]] || { echo "calico-binaries: $src/SHA256SUMS: no such file" >&2; exit 1; }
for v in "${versions[@]}"; do
	[[ -f "$src/calico-$v.tar.xz" ]] || { echo "calico-binaries: $src/calico-$v.tar.xz: no such file" >&2; exit 1; }
	grep -q " calico-$v.tar.xz\$" "$src/SHA256SUMS" || { echo "calico-binaries: $src/SHA256SUMS has no line for calico-$v.tar.xz" >&2; exit 1; }
done
if ! (cd "$src" && sha256sum --quiet --strict -c SHA256SUMS) >&2; then
	echo "calico-binaries: $src: a tarball does not match SHA256SUMS" >&2
	exit 1
fi

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
bin_root="$cache_root/calico-bin"
mkdir -p "$bin_root"
export GOWORK=off
platform="$(go env GOOS)-$(go env GOARCH)"
local_go=$(GOTOOLCHAIN=local go env GOVERSION)

# toolchain TARBALL: the GOTOOLCHAIN value for the tree (goX.Y.Z, or local
# when its go.mod names a Go older than 1.21, which has no toolchain module).
toolchain() {
	local mod want
	mod=$(tar -xJOf "$1" ./go.mod)
	want=$(sed -n 's/^toolchain \(go[0-9.]*\)$/\1/p' <<<"$mod")
	if [[ -z "$want" ]]; then
		want=$(sed -n 's/^go \([0-9][0-9.]*\)$/go\1/p' <<<"$mod")
	fi
	[[ -n "$want" ]] || { echo "calico-binaries: $1: go.mod names no Go version" >&2; exit 1; }
	local minor=${want#go1.}
	minor=${minor%%.*}
	if ((minor < 21)); then
		echo local
	else
		echo "$want"
	fi
}

# build VERSION OUT_DIR BINARY PKG [MAIN_SRC]: build PKG of the VERSION tree
# into OUT_DIR/BINARY unless it is there; with MAIN_SRC, that file is first
# put into the tree as PKG's main.go.
build() {
	local version=$1 out=$2 binary=$3 pkg=$4 main_src=${5:-}
	if [[ -x "$out/$binary" && -f "$out/$binary.complete" ]]; then
		echo "calico-binaries: $binary $version cached in $out" >&2
		return
	fi
	local tarball="$src/calico-$version.tar.xz" tc tmp start
	tc=$(toolchain "$tarball")
	tmp=$(mktemp -d "$bin_root/.build-XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	mkdir "$tmp/src"
	tar -xJf "$tarball" -C "$tmp/src"
	if [[ -n "$main_src" ]]; then
		mkdir -p "$tmp/src/$pkg"
		# The source carries `//go:build ignore` so that the e2e module
		# neither builds nor tidies it; here it is a main package.
		sed '/^\/\/go:build ignore$/d' "$main_src" >"$tmp/src/$pkg/main.go"
	fi
	echo "calico-binaries: building $binary $version (GOTOOLCHAIN=$tc) into $out" >&2
	start=$(date +%s)
	(
		cd "$tmp/src"
		export GOTOOLCHAIN=$tc CGO_ENABLED=0 GOFLAGS=-mod=readonly
		# Both version variables: v3.24.5 to v3.29 have the first, v3.31 and
		# later the second; -X of a missing variable is ignored.
		nice -n 10 go build -trimpath -o "$tmp/$binary" -ldflags "-s -w \
			-X github.com/projectcalico/calico/typha/pkg/buildinfo.GitVersion=$version \
			-X github.com/projectcalico/calico/pkg/buildinfo.Version=$version" "./$pkg"
	)
	mkdir -p "$out"
	mv -f "$tmp/$binary" "$out/$binary"
	touch "$out/$binary.complete"
	rm -rf "$tmp"
	trap - EXIT
	echo "calico-binaries: built $binary $version in $(($(date +%s) - start))s" >&2
}

# key VERSION: the cache key of a tree: tag, tarball sha256, toolchain.
key() {
	local tarball="$src/calico-$1.tar.xz" tc
	tc=$(toolchain "$tarball")
	[[ "$tc" == local ]] && tc=$local_go
	echo "$1-$(sha256sum "$tarball" | cut -d' ' -f1)-$tc"
}

names=()
for v in "${versions[@]}"; do
	d="typha-$(key "$v")-$platform"
	build "$v" "$bin_root/$d" calico-typha typha/cmd/calico-typha
	names+=("calico-typha-$v=$d/calico-typha")
done
simsum=$(sha256sum "$felixsim_src" | cut -d' ' -f1)
d="felixsim-$(key "$felix_version")-$simsum-$platform"
build "$felix_version" "$bin_root/$d" felixsim typha/cmd/felixsim "$felixsim_src"
names+=("felixsim=$d/felixsim")

# One directory per set of binaries, holding links with fixed names: a rerun
# writes the same links, so concurrent runs do not disturb each other.
view="$bin_root/view-$(printf '%s\n' "${names[@]}" | sha256sum | cut -d' ' -f1)"
mkdir -p "$view"
for n in "${names[@]}"; do
	ln -sfn "../${n#*=}" "$view/${n%%=*}"
done
echo "$view"
