// Package e2e proves that Kubernetes itself accepts what typharender renders,
// and that Typha, configured as rendered, relays.
//
// It is a separate module so that nothing of kube-apiserver, etcd, Typha or
// their dependencies enters the library's go.mod. The tests carry the build
// tag "e2e" and need the directory of the kube-apiserver and etcd binaries in
// TYPHARENDER_E2E_BIN; `make e2e` builds or reuses them (hack/e2e-binaries.sh)
// and runs
//
//	go test -tags e2e -exec hack/e2e-netns.sh ./...
//
// The harness starts etcd and kube-apiserver on 127.0.0.1 only, on free ports,
// in a temporary directory, and stops both on every exit path of the test.
//
// The relay tests run real Typha and Felix code in the private network
// namespace that hack/e2e-netns.sh creates (its only non-loopback address is
// in TYPHARENDER_E2E_NODE_IP):
//
//   - TestTyphaRelay (configuration cases on the guide's Typha v3.20.2) needs
//     the v3.20.2 binaries in TYPHARENDER_E2E_TYPHA_BIN (hack/typha-binaries.sh
//     builds them from the sources in ../shared; felixclient/ is Felix
//     v3.20.2's side, built in Typha's tree, not in this module);
//   - TestTyphaVersions (every Typha release we render or warn about, against
//     Felix 3.24.5) and TestFelixsimScale need the Calico binaries in
//     TYPHARENDER_E2E_CALICO_BIN (hack/calico-binaries.sh: Typha v3.24.5 to
//     v3.32.1 and felixsim/, the Felix 3.24.5 simulator built in the v3.24.5
//     tree; felixsimclient is its Go client);
//   - TestRelayShape, the relay benchmark's short form, needs them too: a
//     small cluster with pods and NetworkPolicies (the API server listening
//     on the namespace's node address, API Priority and Fairness on), agents
//     direct, then through the rendered Deployment's replicas of every Typha
//     case that syncs, each replica on a simulated node of its own (a network
//     namespace inside the private one, replicas_test.go), and one failover.
//
// BenchmarkRelay is the long form (make bench-relay; the relay_*_test.go
// files): the same at N in the thousands, with propagation, failover and
// datastore faults, written as JSON for bench/relaychart.
//
// Without them they skip and say why; with CI=true they fail instead.
//
// The rehearsal (TestRehearsal, TestRehearsalRestarts; docs/e2e.md) runs
// every command of the plans through bash with the real kubectl on a
// simulated Terway cluster built from real parts (simcluster_test.go):
// kube-controller-manager, kube-scheduler and kubectl of the API server's
// version and kwok v0.8.0, all from hack/e2e-binaries.sh; Terway's
// DaemonSet and eni-config from its chart; a test double of Terway's policy
// container (terwaydouble_test.go) that runs each node's Felix 3.24.5 in one
// felixsim process; real Typha processes for the Typha pods
// (typhakubelet_test.go), each in a network namespace of its node's
// (netns_test.go, which the relay benchmark's replicas use too).
// TestRehearsal's cluster has 500 Felix nodes, TestRehearsalRestarts's and
// TestSimulatedCluster's (the parts alone) 100. felixsim and the Typha
// builds come from hack/calico-binaries.sh (TYPHARENDER_E2E_CALICO_BIN);
// without them or the Kubernetes binaries these tests skip, or fail under
// CI=true. TYPHARENDER_E2E_FELIX_NODES=N sets every simulated cluster's
// size, for a quick local run.
package e2e
