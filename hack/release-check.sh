#!/usr/bin/env bash
# Check that the release this checkout pins installs as users will install
# it. Run by `make release-check`; exits non-zero on any problem.
#
# A clone of HEAD stands in for github.com/typharender/typharender: it is
# tagged with the release (the newest in CHANGELOG.md; before the first
# release, the version the pins name, after cutting it in the clone with
# go run ./hack/release, so the cut is tested too) and served to the go
# command as the module's origin, through a git url.insteadOf in a git
# config of its own and GOPRIVATE (no proxy, no checksum database for it;
# every other module comes from the module proxy and is checked against
# the checksum database as usual). A module cache of its own, in the user
# cache (TYPHARENDER_CACHE, as make validate's), keeps the stand-in out of
# the user's module cache; the stand-in and Go's clones of git origins are
# removed from it before each run, the other modules stay, so that Go's
# build cache serves a second run.
#
#   go install github.com/typharender/typharender/cmd/typharender@vX.Y.Z
#     -> typharender version prints vX.Y.Z, which go version -m records
#   a checkout at the tag built with go build -buildvcs=true -> vX.Y.Z;
#   a commit after it -> a pseudo-version; -buildvcs=false -> (devel)
#   make krm in that checkout (docs/kustomize.md's install) -> a function
#     that renders the example
set -euo pipefail
# Under pipefail a reader that stops early (head -1) fails the pipeline
# with the writer's SIGPIPE (exit 141) whenever the writer is still
# writing: first lines are taken with sed -n 1p, which reads to the end.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module=github.com/typharender/typharender
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

if [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
	echo "release-check: note: the working tree has uncommitted changes; HEAD is checked, as committed"
fi
git clone -q --no-hardlinks "$root" "$work/src"
src=$work/src
git -C "$src" config user.email release-check@example.com
git -C "$src" config user.name release-check

released=$(sed -nE 's/^## \[([0-9]+\.[0-9]+\.[0-9]+)\] - [0-9-]+$/v\1/p' "$src/CHANGELOG.md" | sed -n 1p)
if [[ -z $released ]]; then
	version=$(sed -nE 's/^    default: (v[0-9]+\.[0-9]+\.[0-9]+)$/\1/p' "$src/action.yml")
	echo "release-check: CHANGELOG.md has no release yet: cutting $version in the clone (go run ./hack/release)"
	(cd "$src" && GOWORK=off go run ./hack/release "$version" >/dev/null)
	git -C "$src" commit -q -am "Release $version"
else
	version=$released
fi
if git -C "$src" rev-parse -q --verify "refs/tags/$version" >/dev/null; then
	echo "release-check: $version is tagged: checking the tag"
else
	git -C "$src" tag "$version"
	echo "release-check: tagged HEAD of the clone $version"
fi
git clone -q --bare "$src" "$work/origin.git"

# The go command fetches $module from the bare clone.
export GIT_CONFIG_GLOBAL=$work/gitconfig
git config --file "$GIT_CONFIG_GLOBAL" url."file://$work/origin.git".insteadOf "https://$module"
export GOPRIVATE=$module
cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
user_modcache=$(go env GOMODCACHE)
export GOMODCACHE=$cache_root/release-check/gomodcache
for stale in "$GOMODCACHE/github.com/typharender" "$GOMODCACHE/cache/download/github.com/typharender" "$GOMODCACHE/cache/vcs"; do
	if [[ -e $stale ]]; then
		chmod -R u+w "$stale" && rm -rf "$stale"
	fi
done
export GOFLAGS=-modcacherw
export GOWORK=off
# The go command indexes a module in the module cache once, keyed by its
# directory alone (cmd/go/internal/modindex, moduleHash, Go 1.26), in the
# build cache: the stand-in of another commit at the same version would
# be read from that index (files it lacks missing from the build). Off for
# the stand-in's install; the build cache still serves the compiles.
export GODEBUG=goindex=0
# Modules already in the user's cache come from it; the rest from the proxy.
GOPROXY="file://$user_modcache/cache/download,$(go env GOPROXY)"
export GOPROXY

# The README's install line, verbatim.
line="go install $module/cmd/typharender@$version"
if ! grep -qF "$line" "$src/README.md"; then
	fail "README.md has no line \"$line\""
fi
start=$SECONDS
rc=0
out=$(cd "$work" && GOBIN=$work/bin $line 2>&1) || rc=$?
if ((rc != 0)); then
	fail "$line: exit $rc:"
	printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
else
	echo "ok   $line ($((SECONDS - start)) s)"
	got=$("$work/bin/typharender" version | sed -n 1p)
	if [[ $got == "typharender $version" ]]; then
		echo "ok   typharender version: $got"
	else
		fail "typharender version: want \"typharender $version\", got \"$got\""
	fi
	mod=$(go version -m "$work/bin/typharender" | awk '$1 == "mod" {print $2, $3}')
	if [[ $mod == "$module $version" ]]; then
		echo "ok   go version -m: mod $mod"
	else
		fail "go version -m: want mod $module $version, got \"$mod\""
	fi
fi

# Built in a checkout of the release: the version Go derives from git.
unset GOPRIVATE GIT_CONFIG_GLOBAL GOPROXY GODEBUG
export GOMODCACHE=$user_modcache
export GOFLAGS=
git clone -q --branch "$version" "$work/origin.git" "$work/co" 2>/dev/null
co=$work/co
git -C "$co" config user.email release-check@example.com
git -C "$co" config user.name release-check
# version_of FLAGS...: the version line of typharender built in the checkout.
version_of() {
	(cd "$co" && go build "$@" -o "$work/co-typharender" ./cmd/typharender) && "$work/co-typharender" version | sed -n 1p
}
expect_version() {
	local want=$1 got=$2 what=$3
	if [[ $got =~ ^typharender\ $want$ ]]; then
		echo "ok   $what: $got"
	else
		fail "$what: want typharender $want, got \"$got\""
	fi
}
expect_version "${version//./\\.}" "$(version_of -buildvcs=true)" "built at the tag"
expect_version '\(devel\)' "$(version_of -buildvcs=false)" "built with -buildvcs=false"
git -C "$co" commit -q --allow-empty -m "after the release"
expect_version 'v[0-9]+\.[0-9]+\.[0-9]+-0\.[0-9]{14}-[0-9a-f]{12}' "$(version_of -buildvcs=true)" "built a commit after the tag"

# docs/kustomize.md's install of the KRM function, from the checkout.
git -C "$co" checkout -q "$version"
if make -s -C "$co" krm >/dev/null 2>"$work/krm.err"; then
	kinds=$("$co/bin/typharender-krm" "$co/examples/kustomize/typha.yaml" 2>/dev/null | grep -c '^kind: ' || true)
	if ((kinds == 4)); then
		echo "ok   make krm at $version: bin/typharender-krm renders the example's 4 objects"
	else
		fail "bin/typharender-krm rendered $kinds objects of the example, want 4"
	fi
else
	fail "make krm at $version:"
	sed 's/^/    /' "$work/krm.err"
fi

echo
if ((failures > 0)); then
	echo "release-check: $failures failed"
	exit 1
fi
echo "release-check: $version installs and reports its version as users will get it"
