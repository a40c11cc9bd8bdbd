//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A rendered Typha Deployment has several replicas, each a hostNetwork pod
// on a node of its own, each listening on the node's port 5473 and serving
// its health on the node's localhost:9098. To run R of them on one machine,
// each replica here runs in a network namespace of its own (a simulated
// node: nodeNetns, as the simulated cluster's Typha pods), made inside the
// private namespace of hack/e2e-netns.sh and joined to it by a veth pair
// (nodeNetns.Veth), so that Felix's connections reach Typha through the
// kernel, with no forwarder in between:
//
//	test namespace (nodeIP on lo)  <- tvN ----- eth0 ->  replica namespace (its node address)
//
// The replica reaches the API server on nodeIP (the cluster must listen
// there: clusterOptions.address), Felix reaches the replica on its node
// address, and nothing leaves the test's namespace. The namespace, and
// the veth pair with it, goes when the test ends.

// replicaNodeNet is where the simulated nodes' addresses come from
// (TEST-NET-1, as hack/e2e-netns.sh's node address): 192.0.2.20 and up.
const replicaNodeNet = "192.0.2."

const replicaFirstHost = 20

// typhaReplica is one running Typha pod of the rendered Deployment.
type typhaReplica struct {
	name string // the pod
	node string // the simulated node it runs on
	ip   string // the node's address: the pod's IP (hostNetwork)
	ns   *nodeNetns
	p    *process
}

// addr is the replica's Felix address, as Felix's discovery builds it from
// the Endpoints.
func (r *typhaReplica) addr(port int32) string {
	return net.JoinHostPort(r.ip, fmt.Sprint(port))
}

// startTyphaReplica runs the Typha binary bin as startTyphaBinary does (the
// rendered container's env plus KUBECONFIG), as pod name on simulated node
// number host (its address replicaNodeNet+host) in a network namespace of
// its own. It is stopped when t ends.
func (e *relayEnv) startTyphaReplica(t testing.TB, name, bin, kubeconfig string, host int) *typhaReplica {
	t.Helper()
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Fatalf("a Typha replica needs nsenter (util-linux): %v", err)
	}
	ip := fmt.Sprintf("%s%d", replicaNodeNet, host)
	ns, err := newNodeNetns()
	if err != nil {
		t.Fatalf("%s: a network namespace for its node: %v", name, err)
	}
	t.Cleanup(ns.Close) // after the process stops (cleanups run last first)
	e.runs++
	if err := ns.Veth(fmt.Sprintf("tv%d", e.runs), ip, e.nodeIP); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	p := e.c.startProcess(t, fmt.Sprintf("%s-%d", name, e.runs), nsenter, e.typhaEnv(t, kubeconfig),
		append(ns.NsenterArgs(), bin)...)
	t.Cleanup(func() { p.stop(t) })
	r := &typhaReplica{name: name, node: fmt.Sprintf("typha-node-%d", host), ip: ip, ns: ns, p: p}
	t.Logf("%s: Typha %s on simulated node %s (%s), pid %d", name, filepath.Base(bin), r.node, ip, p.cmd.Process.Pid)
	return r
}

// typhaEnv is the rendered container's env (literal values only), plus
// KUBECONFIG: the datastore connection the pod gets from its mounted
// ServiceAccount token.
func (e *relayEnv) typhaEnv(t testing.TB, kubeconfig string) []string {
	t.Helper()
	var env []string
	for _, v := range e.container.Env {
		if v.ValueFrom != nil {
			t.Fatalf("rendered env %s comes from %+v; this test runs only literal values", v.Name, v.ValueFrom)
		}
		env = append(env, v.Name+"="+v.Value)
	}
	return append(env, "KUBECONFIG="+kubeconfig)
}

// probeReplica sends the rendered readinessProbe to r inside r's network
// namespace, as the kubelet of r's node would: the status code (0 when
// nothing answers) and the body.
func (e *relayEnv) probeReplica(r *typhaReplica) (int, string) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext:       r.ns.DialContext,
	}}
	return e.probeWith(client, r.ip)
}

// waitReplicasReady waits until every replica passes the rendered
// readinessProbe and returns how long that took.
func (e *relayEnv) waitReplicasReady(t testing.TB, rs []*typhaReplica, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	pending := slices.Clone(rs)
	for len(pending) > 0 {
		r := pending[0]
		if exited(r.p) {
			t.Fatalf("%s exited before it was Ready: %v\n%s", r.name, r.p.waitErr, tail(r.p.logPath, 30))
		}
		code, body := e.probeReplica(r)
		if probeSucceeds(code) {
			pending = pending[1:]
			continue
		}
		if time.Since(start) > bound {
			t.Fatalf("%s not Ready after %v (readinessProbe: %d %s); %s; its last lines:\n%s", r.name, bound, code, body, typhaConfig(r.p), tail(r.p.logPath, 15))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return time.Since(start)
}

// endpointAddress is one address of the Typha Service's Endpoints.
type endpointAddress struct {
	ip, node, pod string
	ready         bool
}

// replicaAddresses are rs as the endpoints controller lists them: ready.
func replicaAddresses(rs []*typhaReplica) []endpointAddress {
	var out []endpointAddress
	for _, r := range rs {
		out = append(out, endpointAddress{ip: r.ip, node: r.node, pod: r.name, ready: true})
	}
	return out
}

// keepReplicaNets fails t if the test cannot make network namespaces for
// replicas (root, nsenter and ip, as hack/e2e-netns.sh needs unshare and ip).
func keepReplicaNets(t testing.TB) {
	t.Helper()
	for _, cmd := range []string{"nsenter", "ip"} {
		if _, err := exec.LookPath(cmd); err != nil {
			skipOrFail(t, fmt.Sprintf("Typha replicas need %s in network namespaces of their own: %v", cmd, err))
		}
	}
}
