#!/usr/bin/env bash
# Run a command (the e2e test binary: `go test -exec hack/e2e-netns.sh`) in a
# network namespace of its own, made for this run and gone with it.
#
# Inside: loopback up, plus NODE_IP (192.0.2.10/32, TEST-NET-1, RFC 5737) on
# lo, an address that is not loopback and that nothing outside this namespace
# has. The relay test publishes it in the calico-typha Endpoints (the API
# server refuses 127.0.0.0/8 there) and reaches Typha on it; every server and
# client of the e2e run lives in the namespace, so no packet can leave the
# machine. The command learns the address from TYPHARENDER_E2E_NODE_IP.
#
# Without root, unshare or ip, the command runs as it is, with
# TYPHARENDER_E2E_NETNS_SKIP saying why; the tests that need the namespace skip
# with that reason (and fail under CI=true).
set -euo pipefail

node_ip=192.0.2.10

if [[ "${1:-}" == --inside ]]; then
	shift
	ip link set lo up
	ip addr add "$node_ip/32" dev lo
	export TYPHARENDER_E2E_NODE_IP=$node_ip
	exec "$@"
fi

why=""
if [[ $(id -u) != 0 ]]; then
	why="not root: cannot create a network namespace for the relay test"
elif ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
	why="unshare (util-linux) or ip (iproute2) missing: cannot create a network namespace for the relay test"
elif ! unshare --net true 2>/dev/null; then
	why="unshare --net failed (no CAP_SYS_ADMIN here?): cannot create a network namespace for the relay test"
fi
if [[ -n "$why" ]]; then
	export TYPHARENDER_E2E_NETNS_SKIP=$why
	exec "$@"
fi
# --kill-child: if unshare is signalled (go test's -timeout), the command dies
# too, and with it (Pdeathsig) every server it started.
exec unshare --net --fork --kill-child -- "$0" --inside "$@"
