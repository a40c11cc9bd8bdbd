//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A rendered Typha Deployment has several replicas, each a hostNetwork pod
// on a node of its own, each listening on the node's port 5473 and serving
// its health on the node's localhost:9098. To run R of them on one machine,
// each replica here runs in a network namespace of its own (a simulated
// node), made inside the private namespace of hack/e2e-netns.sh and joined
// to it by a veth pair:
//
//	test namespace (nodeIP on lo)  <- tvN ----- eth0 ->  replica namespace (its node address)
//
// The replica reaches the API server on nodeIP (the cluster must listen
// there: clusterOptions.address), Felix reaches the replica on its node
// address, and nothing leaves the test's namespace. When the replica's
// process ends, its namespace and the veth pair go with it.

// replicaNodeNet is where the simulated nodes' addresses come from
// (TEST-NET-1, as hack/e2e-netns.sh's node address): 192.0.2.20 and up.
const replicaNodeNet = "192.0.2."

const replicaFirstHost = 20

// typhaReplica is one running Typha pod of the rendered Deployment.
type typhaReplica struct {
	name string // the pod
	node string // the simulated node it runs on
	ip   string // the node's address: the pod's IP (hostNetwork)
	p    *process
}

// addr is the replica's Felix address, as Felix's discovery builds it from
// the Endpoints.
func (r *typhaReplica) addr(port int32) string {
	return net.JoinHostPort(r.ip, fmt.Sprint(port))
}

// replicaSetup is the shell that runs inside the replica's new network
// namespace: it waits for the test to hand it eth0 and to touch the flag
// file, sets up its address and its route to the test's namespace, and
// then becomes Typha (exec keeps the PID, the process group and Pdeathsig).
const replicaSetup = `set -e
flag=$1 ip=$2 peer=$3; shift 3
while [ ! -e "$flag" ]; do sleep 0.02; done
ip link set lo up
ip addr add "$ip/32" dev eth0
ip link set eth0 up
ip route add "$peer/32" dev eth0 src "$ip"
exec "$@"`

// startTyphaReplica runs the Typha binary bin as startTyphaBinary does (the
// rendered container's env plus KUBECONFIG), as pod name on simulated node
// number host (its address replicaNodeNet+host) in a network namespace of
// its own. It is stopped when t ends.
func (e *relayEnv) startTyphaReplica(t testing.TB, name, bin, kubeconfig string, host int) *typhaReplica {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("a Typha replica needs unshare (util-linux): %v", err)
	}
	ip := fmt.Sprintf("%s%d", replicaNodeNet, host)
	env := e.typhaEnv(t, kubeconfig)
	// The setup script's own commands (ip, sleep); Typha ignores PATH.
	env = append(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	e.runs++
	flag := filepath.Join(e.c.dir, fmt.Sprintf("%s-%d.netns-ready", name, e.runs))
	p := e.c.startProcess(t, fmt.Sprintf("%s-%d", name, e.runs), unshare, env,
		"--net", "--", "/bin/sh", "-c", replicaSetup, "sh", flag, ip, e.nodeIP, bin)
	t.Cleanup(func() { p.stop(t) })
	r := &typhaReplica{name: name, node: fmt.Sprintf("typha-node-%d", host), ip: ip, p: p}

	// Wait for unshare(2), then hand the namespace its end of a veth pair.
	pid := p.cmd.Process.Pid
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err == nil && ns != own {
			break
		}
		if exited(p) || time.Now().After(deadline) {
			t.Fatalf("%s: no network namespace of its own (%v, exited %v):\n%s", name, err, exited(p), tail(p.logPath, 10))
		}
		time.Sleep(10 * time.Millisecond)
	}
	veth := fmt.Sprintf("tv%d", e.runs)
	for _, args := range [][]string{
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", fmt.Sprint(pid)},
		{"link", "set", veth, "up"},
		{"route", "add", ip + "/32", "dev", veth, "src", e.nodeIP},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: ip %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: Typha %s on simulated node %s (%s), pid %d", name, filepath.Base(bin), r.node, ip, pid)
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
	pid := r.p.cmd.Process.Pid
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, pid, network, addr)
		},
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

// dialInNetns dials addr from inside the network namespace of process pid:
// the socket is made on an OS thread that joins that namespace and then
// returns to its own. The thread must not end in between or after: a
// thread that ends sends Pdeathsig to every child it forked (the servers
// of startProcess), so it is unlocked only once it is back home, and left
// locked (to die with its goroutine) only if it cannot get back.
func dialInNetns(ctx context.Context, pid int, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer home.Close()
		there, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer there.Close()
		if err := unix.Setns(int(there.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns into the network namespace of pid %d: %w", pid, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		back := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET)
		ch <- result{c, err}
		if back != nil {
			select {} // stranded: keep the thread (and the children it forked) alive
		}
		runtime.UnlockOSThread()
	}()
	r := <-ch
	return r.c, r.err
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
// replicas (the same conditions as hack/e2e-netns.sh: root, unshare, ip).
func keepReplicaNets(t testing.TB) {
	t.Helper()
	for _, cmd := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(cmd); err != nil {
			skipOrFail(t, fmt.Sprintf("Typha replicas need %s in network namespaces of their own: %v", cmd, err))
		}
	}
}
