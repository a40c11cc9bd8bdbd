#!/usr/bin/env bash
# Validate every golden manifest with kubectl-validate against the schemas of
# the Kubernetes version it was rendered for, and prove that the check can
# fail. Run by `make validate`; exits non-zero on any problem.
#
# kubectl-validate is installed with `go install` into a cache directory
# outside the repository (never into the library's go.mod). Version v0.0.4
# embeds the OpenAPI schemas of Kubernetes 1.23 to 1.30 only and cannot fetch
# others here (it would try GitHub), so a golden outside that range is checked
# against the nearest embedded version that serves the same API versions:
#   1.16-1.22 -> 1.23  (1.23 still serves policy/v1beta1, and policy/v1 too)
#   1.31+     -> 1.30  (1.30 serves policy/v1, apps/v1, v1 and
#                       apiextensions.k8s.io/v1 as later versions do)
# The mapping is printed for every file.
#
# Usage: hack/validate.sh [golden-dir]   (default testdata/golden)
# Env:   TYPHARENDER_CACHE               cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/typharender)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
golden_dir=${1:-$root/testdata/golden}
fixtures=$root/hack/testdata/validate

kv_module=sigs.k8s.io/kubectl-validate
kv_version=v0.0.4
embedded_min=23 # oldest minor embedded in kubectl-validate v0.0.4 (1.23)
embedded_max=30 # newest (1.30)
oldest_supported=16

cache_root=${TYPHARENDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typharender}
tools=$cache_root/tools/kubectl-validate-$kv_version-$(go env GOVERSION)
kv=$tools/kubectl-validate

if [[ ! -x $kv ]]; then
	echo "validate: installing $kv_module@$kv_version into $tools"
	mkdir -p "$tools"
	# Outside any module, with no inherited -mod or workspace settings.
	(cd "$tools" && GOFLAGS= GOWORK=off GOBIN=$tools go install "$kv_module@$kv_version")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# kubectl-validate asks a reachable cluster for schemas before it uses the
# embedded ones. Make sure it finds none: no kubeconfig, no in-cluster config.
export KUBECONFIG=$work/no-kubeconfig
unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
export NO_COLOR=1

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run_kv VERSION FILE: runs kubectl-validate, leaves its exit code in kv_rc
# and its output, without terminal colours, in kv_out.
run_kv() {
	kv_rc=0
	kv_out=$("$kv" --version "$1" "$2" 2>&1) || kv_rc=$?
	kv_out=$(printf '%s' "$kv_out" | sed 's/\x1b\[[0-9;]*m//g')
}

# schema_version MINOR: the embedded schema version to check a 1.MINOR
# manifest against, then why, if it is not 1.MINOR itself.
schema_version() {
	local minor=$1
	if ((minor < oldest_supported)); then
		echo "unsupported"
	elif ((minor < embedded_min)); then
		echo "1.$embedded_min (1.$minor is not embedded; 1.$embedded_min is the nearest embedded version serving the same API versions, policy/v1beta1 included)"
	elif ((minor > embedded_max)); then
		echo "1.$embedded_max (1.$minor is not embedded; 1.$embedded_max is the nearest embedded version serving the same API versions)"
	else
		echo "1.$minor"
	fi
}

echo "validate: $("$kv" --help >/dev/null 2>&1 && echo "$kv_module $kv_version"), embedded schemas 1.$embedded_min-1.$embedded_max"
echo
echo "== golden manifests in ${golden_dir#"$root"/} =="
mapfile -t goldens < <(find "$golden_dir" -name '*.yaml' -type f 2>/dev/null | LC_ALL=C sort)
if ((${#goldens[@]} == 0)); then
	fail "no golden manifests (*.yaml) under $golden_dir"
fi
checked=0
for f in "${goldens[@]}"; do
	rel=${f#"$root"/}
	base=$(basename "$f")
	if [[ ! $base =~ ^1\.([0-9]+)-[0-9]+\.yaml$ ]]; then
		fail "$rel: cannot tell its Kubernetes version (want <major.minor>-<nodes>.yaml)"
		continue
	fi
	minor=${BASH_REMATCH[1]}
	mapping=$(schema_version "$minor")
	if [[ $mapping == unsupported ]]; then
		fail "$rel: Kubernetes 1.$minor is older than the oldest supported 1.$oldest_supported"
		continue
	fi
	sv=${mapping%% *}
	why=${mapping#"$sv"}
	run_kv "$sv" "$f"
	if ((kv_rc != 0)); then
		fail "$rel: rendered for 1.$minor, checked against the $sv schemas$why: kubectl-validate exit $kv_rc"
		printf '%s\n' "$kv_out" | sed 's/^/    /'
		continue
	fi
	echo "ok   $rel: rendered for 1.$minor, checked against the $sv schemas$why"
	checked=$((checked + 1))
done

echo
echo "== the check can fail (fixtures in ${fixtures#"$root"/}) =="
# expect VERDICT VERSION FILE [MESSAGE...]: kubectl-validate at VERSION must
# accept (pass) or reject (fail) FILE; a rejection must be a validation
# error (exit 1), not a crash or a usage error, and must name each MESSAGE.
expect() {
	local verdict=$1 version=$2 file=$3
	shift 3
	local rel=${file#"$root"/}
	run_kv "$version" "$file"
	case $verdict in
	pass)
		if ((kv_rc != 0)); then
			fail "$rel at $version: want accepted, got exit $kv_rc"
			printf '%s\n' "$kv_out" | sed 's/^/    /'
			return
		fi
		echo "ok   $rel at $version: accepted, as it should be"
		;;
	fail)
		if ((kv_rc != 1)); then
			fail "$rel at $version: want rejected (exit 1), got exit $kv_rc"
			printf '%s\n' "$kv_out" | sed 's/^/    /'
			return
		fi
		local msg
		for msg in "$@"; do
			if [[ $kv_out != *"$msg"* ]]; then
				fail "$rel at $version: rejected, but without the message \"$msg\""
				printf '%s\n' "$kv_out" | sed 's/^/    /'
				return
			fi
		done
		echo "ok   $rel at $version: rejected, as it should be:"
		printf '%s\n' "$kv_out" | grep -v '^$' | grep -v '\.\.\.ERROR$' | sed 's/^/       /'
		;;
	esac
}
expect fail 1.25 "$fixtures/pdb-policy-v1beta1.yaml" "failed to locate OpenAPI spec for GV: policy/v1beta1"
expect pass 1.23 "$fixtures/pdb-policy-v1beta1.yaml"
expect fail 1.30 "$fixtures/deployment-broken.yaml" "spec.replicas in body must be of type integer" "spec.template.spec.containers: Required value"
expect fail 1.23 "$fixtures/deployment-broken.yaml" "spec.replicas in body must be of type integer" "spec.template.spec.containers: Required value"
expect fail 1.30 "$fixtures/deployment-unknown-field.yaml" "spec.template.spec.nodeSelecter: Invalid value: value provided for unknown field"
expect pass 1.30 "$fixtures/deployment-ok.yaml"

echo
if ((failures > 0)); then
	echo "validate: $failures failed, $checked golden manifests passed"
	exit 1
fi
echo "validate: all ${#goldens[@]} golden manifests passed; the negative checks were rejected as expected"
