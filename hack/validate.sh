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
		echo "1.$embedded_min (1.$minor is not embedded; 1.$embedded_min is the nearest embedded version and still serves policy/v1beta1 besides policy/v1)"
	elif ((minor > embedded_max)); then
		echo "1.$embedded_max (1.$minor is not embedded; 1.$embedded_max is the nearest embedded version and serves the same API versions: v1, apps/v1, policy/v1, apiextensions.k8s.io/v1)"
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
# Sort the files into batches by the schema version to check them against
# (one kubectl-validate run per version), and print the mapping.
declare -A batch=()    # schema version -> newline-separated files
declare -A mapped=()   # "1.MINOR" -> "schema version (why)"
for f in "${goldens[@]}"; do
	rel=${f#"$root"/}
	base=$(basename "$f")
	if [[ $(basename "$(dirname "$f")") == eniconfig ]]; then
		# Edited eni-config ConfigMaps: core/v1, the same at every version,
		# so checked against the oldest and the newest embedded schemas.
		batch[1.$embedded_min]+=$f$'\n'
		batch[1.$embedded_max]+=$f$'\n'
		mapped[eni-config edits]="1.$embedded_min and 1.$embedded_max (a v1 ConfigMap, the same at every version)"
		continue
	fi
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
	batch[${mapping%% *}]+=$f$'\n'
	mapped[1.$minor]=$mapping
done

echo "rendered for -> checked against the schemas of:"
for k in $(printf '%s\n' "${!mapped[@]}" | tr ' ' '_' | LC_ALL=C sort -V); do
	k=${k//_/ }
	printf '  %-16s -> %s\n' "$k" "${mapped[$k]}"
done
echo

checked=0
for sv in $(printf '%s\n' "${!batch[@]}" | LC_ALL=C sort -V); do
	mapfile -t files < <(printf '%s' "${batch[$sv]}")
	kv_rc=0
	kv_out=$("$kv" --version "$sv" "${files[@]}" 2>&1) || kv_rc=$?
	kv_out=$(printf '%s' "$kv_out" | sed 's/\x1b\[[0-9;]*m//g')
	ok=$(printf '%s\n' "$kv_out" | grep -c '\.\.\.OK$' || true)
	if ((kv_rc != 0 || ok != ${#files[@]})); then
		fail "${#files[@]} files checked against the $sv schemas: kubectl-validate exit $kv_rc, $ok OK:"
		printf '%s\n' "$kv_out" | grep -v '^$' | grep -v '\.\.\.OK$' | sed "s|$root/||; s/^/    /"
	else
		echo "ok   $ok of ${#files[@]} files against the $sv schemas"
	fi
	checked=$((checked + ok))
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
	echo "validate: $failures failed; $checked file checks passed"
	exit 1
fi
echo "validate: all ${#goldens[@]} golden manifests passed ($checked file checks); the negative checks were rejected as expected"
