#!/usr/bin/env bash
# Test the pre-commit hooks (.pre-commit-hooks.yaml) with the real
# pre-commit, against a clone of this repository's HEAD, in a scratch git
# repository that uses them. Run by `make hooks`; exits non-zero on any
# problem. Needs pre-commit (Debian: apt-get install pre-commit), git, Go
# and the Go module proxy: pre-commit's golang support builds the hooks with
# go install ./... in its clone.
#
#   typharender-lint (pre-commit try-repo): passes rendered manifests (and
#     passes over typha-values.yaml and kustomization.yaml beside them: not
#     Kubernetes objects, which lint refuses in a file named explicitly),
#     fails a staged Deployment with a typo in its port name
#   typharender-render-check (pre-commit run, the hook repo in
#     .pre-commit-config.yaml with args): passes manifests that match their
#     values, fails when the values change and the manifests do not
#
# Only committed changes are tested: the hooks come from a clone of HEAD.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v pre-commit >/dev/null 2>&1; then
	echo "hooks: pre-commit is not installed: apt-get install pre-commit (Debian), or pip install pre-commit" >&2
	exit 1
fi
echo "hooks: $(pre-commit --version), $(go version | cut -d' ' -f3)"
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
	echo "hooks: note: the working tree has uncommitted changes; the hooks are tested as committed at HEAD"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A pre-commit home of its own: every run builds the hooks as a user's
# first run does. The Go module and build caches stay the user's (pre-commit
# points GOPATH at its environment; GOMODCACHE wins over it).
export PRE_COMMIT_HOME=$work/pre-commit-home
export GOMODCACHE=${GOMODCACHE:-$(go env GOMODCACHE)}
export GOWORK=off
export PRE_COMMIT_COLOR=never

hooks=$work/hooks
git clone -q --no-hardlinks "$root" "$hooks"
rev=$(git -C "$hooks" rev-parse HEAD)
go build -o "$work/typharender" "$root/cmd/typharender"

# The repository that uses the hooks.
repo=$work/repo
mkdir -p "$repo/deploy"
git -C "$repo" init -q
git -C "$repo" config user.email hooks@example.com
git -C "$repo" config user.name hooks
cat >"$repo/deploy/typha-values.yaml" <<'VALUES'
region: cn-hangzhou
nodes: 1000
kubeVersion: v1.30.7-aliyun.1
image:
  tag: v3.26.4
VALUES
"$work/typharender" render -f "$repo/deploy/typha-values.yaml" --output-dir "$repo/deploy/typha" >/dev/null
cat >"$repo/.pre-commit-config.yaml" <<CONFIG
repos:
- repo: $hooks
  rev: $rev
  hooks:
  - id: typharender-lint
    args: [--nodes=1000, --kube-version=v1.30.7-aliyun.1, --region=cn-hangzhou, --terway]
  - id: typharender-render-check
    args: [-f, deploy/typha-values.yaml, --check, deploy/typha]
CONFIG
git -C "$repo" add -A
git -C "$repo" commit -q -m "typha manifests"

failures=0
# expect VERDICT NAME MESSAGE COMMAND...: run COMMAND in the repository; it
# must exit 0 (pass) or 1 (fail), and its output must contain MESSAGE.
expect() {
	local verdict=$1 name=$2 msg=$3
	shift 3
	local rc=0 out
	out=$(cd "$repo" && "$@" 2>&1) || rc=$?
	local want=0
	[[ $verdict == fail ]] && want=1
	if ((rc != want)) || [[ $out != *"$msg"* ]]; then
		echo "FAIL: $name: want exit $want and output with \"$msg\", got exit $rc:"
		printf '%s\n' "$out" | sed 's/^/    /'
		failures=$((failures + 1))
		return
	fi
	echo "ok   $name: exit $rc"
	printf '%s\n' "$out" | grep -E '^(typharender|deploy/|Error|.*\[[a-z-]+\])' | sed 's/^/       /' || true
}

start=$SECONDS
expect pass "try-repo typharender-lint, rendered manifests and a values file named typha-values.yaml" "Passed" \
	pre-commit try-repo "$hooks" typharender-lint --ref "$rev" --all-files
echo "     (the first run built the hooks: $((SECONDS - start)) s)"

cp "$root/krm/testdata/kustomize/typo/typha.yaml" "$repo/deploy/calico-typha-edited.yaml"
git -C "$repo" add deploy/calico-typha-edited.yaml
expect fail "try-repo typharender-lint, a staged Deployment with a port-name typo" \
	"error [service-target-port-name] Service kube-system/calico-typha" \
	pre-commit try-repo "$hooks" typharender-lint --ref "$rev"
git -C "$repo" rm -q --cached deploy/calico-typha-edited.yaml
rm "$repo/deploy/calico-typha-edited.yaml"

expect pass "run typharender-render-check, manifests that match their values" "Passed" \
	pre-commit run typharender-render-check --all-files

sed -i 's/^nodes: 1000$/nodes: 1500/' "$repo/deploy/typha-values.yaml"
git -C "$repo" add deploy/typha-values.yaml
expect fail "run typharender-render-check, values changed, manifests stale" \
	"-  replicas: 5" \
	pre-commit run typharender-render-check

expect pass "run typharender-lint with the cluster's facts from args" "Passed" \
	pre-commit run typharender-lint --all-files

echo
if ((failures > 0)); then
	echo "hooks: $failures failed"
	exit 1
fi
echo "hooks: pre-commit passed and failed the hooks as it should"
