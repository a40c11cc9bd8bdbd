// Package e2e proves that Kubernetes itself accepts what typharender renders.
//
// It is a separate module so that nothing of kube-apiserver, etcd or their
// dependencies enters the library's go.mod. The tests carry the build tag
// "e2e" and need the directory of the kube-apiserver and etcd binaries in
// TYPHARENDER_E2E_BIN; `make e2e` builds or reuses them (hack/e2e-binaries.sh)
// and runs
//
//	go test -tags e2e ./...
//
// The harness starts etcd and kube-apiserver on 127.0.0.1 only, on free ports,
// in a temporary directory, and stops both on every exit path of the test.
package e2e
