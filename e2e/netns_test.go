//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// nodeNetns is the network namespace of one simulated node that runs a
// hostNetwork process of its own (a Typha pod): Typha binds 0.0.0.0:5473,
// 0.0.0.0:9093 and localhost:9098 there, as on a real node, and several
// Typha pods on several nodes do not collide. It is the one way the e2e
// tests make such namespaces: the simulated cluster's Typha pods and the
// relay benchmark's Typha replicas. The namespace has only its loopback,
// up. A veth pair (Veth: the relay benchmark, where the node's address is
// Typha's alone) or two kinds of forwarder (the simulated cluster, where
// kwok serves every node's kubelet port on the node's address) join it to
// the e2e's own namespace (hack/e2e-netns.sh), where every other server
// runs:
//
//   - publish: a listener on the node's address in the e2e namespace,
//     forwarding each connection to the same port on the loopback of the
//     node's namespace, as a container runtime's userland proxy publishes a
//     port. Felix reaches Typha at the address the Endpoints name, the API
//     server's pod proxy reaches the metrics port, and nothing in the plan's
//     commands changes;
//   - reach: a listener on the node's loopback forwarding to an address of
//     the e2e namespace: the API server, which listens on 127.0.0.1 there,
//     is at the same 127.0.0.1:port inside the node, so a kubeconfig works
//     unchanged in both.
//
// The namespace is made on a thread of this process, which serves the
// namespace's dials and listens until Close and then returns to the e2e's
// namespace, and it is held by a file descriptor; processes enter it with
// nsenter(1) (util-linux, like the unshare that hack/e2e-netns.sh uses).
// Close ends the forwarders and releases the namespace.
type nodeNetns struct {
	fd     int // the namespace, held open
	dialer chan dialReq
	done   chan struct{}

	mu        sync.Mutex
	listeners []net.Listener
	published map[string]net.Listener // by outer address
	closed    bool
}

type dialReq struct {
	addr  string
	reply chan dialResult
}

type dialResult struct {
	conn     net.Conn
	listener net.Listener // for a listen request ("@host:port")
	err      error
}

// newNodeNetns makes a network namespace with its loopback up.
func newNodeNetns() (*nodeNetns, error) {
	res := make(chan error, 1)
	ns := &nodeNetns{fd: -1, dialer: make(chan dialReq), done: make(chan struct{}), published: map[string]net.Listener{}}
	go func() {
		// The thread enters the new namespace for as long as the namespace
		// is served, then goes back to the e2e's and is unlocked. It must
		// not end with the goroutine (as a thread locked at its end does):
		// the kernel sends Pdeathsig when the *thread* that started a
		// process ends, and this thread may have started any of the
		// cluster's servers before (measured: kube-apiserver was killed
		// when the first Typha pod's namespace closed).
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			res <- fmt.Errorf("open this thread's network namespace: %w", err)
			return
		}
		defer func() {
			if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
				// Stay locked: the thread ends, which is safer than
				// running other goroutines in the wrong namespace.
				panic(fmt.Sprintf("e2e: cannot return a thread to the e2e's network namespace: %v", err))
			}
			unix.Close(home)
			runtime.UnlockOSThread()
		}()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			res <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			res <- fmt.Errorf("open the new network namespace: %w", err)
			return
		}
		ns.fd = fd
		if err := loopbackUp(); err != nil {
			res <- err
			return
		}
		res <- nil
		ns.serveDials()
	}()
	if err := <-res; err != nil {
		if ns.fd >= 0 {
			unix.Close(ns.fd)
		}
		return nil, err
	}
	return ns, nil
}

// loopbackUp sets lo up in the calling thread's network namespace.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo up: %w", err)
	}
	return nil
}

// serveDials runs on the namespace's own thread: every socket it makes
// belongs to the namespace, and keeps it after the thread is gone.
func (ns *nodeNetns) serveDials() {
	for {
		select {
		case req := <-ns.dialer:
			var r dialResult
			if req.addr[0] == '@' { // a listener: "@host:port"
				r.listener, r.err = net.Listen("tcp", req.addr[1:])
			} else {
				r.conn, r.err = net.Dial("tcp", req.addr)
			}
			req.reply <- r
		case <-ns.done:
			return
		}
	}
}

// Dial connects to addr inside the namespace.
func (ns *nodeNetns) Dial(ctx context.Context, addr string) (net.Conn, error) {
	reply := make(chan dialResult, 1)
	select {
	case ns.dialer <- dialReq{addr: addr, reply: reply}:
	case <-ns.done:
		return nil, errors.New("the node's network namespace is closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := <-reply
	return r.conn, r.err
}

// DialContext is Dial in the signature of net.Dialer.DialContext.
func (ns *nodeNetns) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	return ns.Dial(ctx, addr)
}

// Publish forwards connections to outerAddr (host:port in the e2e
// namespace) to the same port on the namespace's loopback.
func (ns *nodeNetns) Publish(outerAddr string) error {
	_, port, err := net.SplitHostPort(outerAddr)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", outerAddr)
	if err != nil {
		return fmt.Errorf("publish %s: %w", outerAddr, err)
	}
	inner := net.JoinHostPort("127.0.0.1", port)
	ns.serve(l, func(ctx context.Context) (net.Conn, error) { return ns.Dial(ctx, inner) })
	ns.mu.Lock()
	ns.published[outerAddr] = l
	ns.mu.Unlock()
	return nil
}

// Unpublish stops forwarding outerAddr: a connection to it is refused, as
// through a firewall that rejects it. Connections already open stay.
func (ns *nodeNetns) Unpublish(outerAddr string) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if l := ns.published[outerAddr]; l != nil {
		l.Close()
		delete(ns.published, outerAddr)
	}
}

// Reach forwards connections to innerAddr (host:port on the namespace's
// loopback) to outerAddr in the e2e namespace.
func (ns *nodeNetns) Reach(innerAddr, outerAddr string) error {
	reply := make(chan dialResult, 1)
	select {
	case ns.dialer <- dialReq{addr: "@" + innerAddr, reply: reply}:
	case <-ns.done:
		return errors.New("the node's network namespace is closed")
	}
	r := <-reply
	if r.err != nil {
		return fmt.Errorf("listen on %s in the node's namespace: %w", innerAddr, r.err)
	}
	var d net.Dialer
	ns.serve(r.listener, func(ctx context.Context) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", outerAddr)
	})
	return nil
}

// serve accepts on l until Close, joining each connection to one from dial.
// A connection whose other side cannot be reached is closed at once, as a
// proxy does.
func (ns *nodeNetns) serve(l net.Listener, dial func(context.Context) (net.Conn, error)) {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		l.Close()
		return
	}
	ns.listeners = append(ns.listeners, l)
	ns.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed
			}
			go func() {
				defer c.Close()
				ctx, cancel := context.WithCancel(context.Background())
				go func() {
					select {
					case <-ns.done:
					case <-ctx.Done():
					}
					cancel()
				}()
				defer cancel()
				o, err := dial(ctx)
				if err != nil {
					return
				}
				defer o.Close()
				pipe(c, o)
			}()
		}
	}()
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}

// Veth joins the namespace to the e2e's by a veth pair, as a node's network
// joins it to the others: eth0 in the namespace holds ip, tv (the name of
// the e2e's end) routes ip into it, and the namespace routes peer, an
// address of the e2e namespace, back. Connections then reach the
// namespace's listeners at ip through the kernel, no forwarder in between;
// the pair goes with the namespace.
func (ns *nodeNetns) Veth(tv, ip, peer string) error {
	self := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.fd)
	for _, args := range [][]string{
		// ip accepts a path for netns (iproute2 netns_get_fd).
		{"ip", "link", "add", tv, "type", "veth", "peer", "name", "eth0", "netns", self},
		{"ip", "link", "set", tv, "up"},
		{"ip", "route", "add", ip + "/32", "dev", tv, "src", peer},
		{"nsenter", "--net=" + self, "--", "ip", "addr", "add", ip + "/32", "dev", "eth0"},
		{"nsenter", "--net=" + self, "--", "ip", "link", "set", "eth0", "up"},
		{"nsenter", "--net=" + self, "--", "ip", "route", "add", peer + "/32", "dev", "eth0", "src", ip},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("veth %s for %s: %s: %v: %s", tv, ip, strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// NsenterArgs are the arguments that run a command in the namespace:
// nsenter --net=/proc/PID/fd/FD -- CMD..., with this process's PID and the
// namespace's descriptor.
func (ns *nodeNetns) NsenterArgs() []string {
	return []string{fmt.Sprintf("--net=/proc/%d/fd/%d", os.Getpid(), ns.fd), "--"}
}

// Close ends every forwarder (open connections drop) and releases the
// namespace; a process still running in it keeps it until it exits.
func (ns *nodeNetns) Close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return
	}
	ns.closed = true
	close(ns.done)
	for _, l := range ns.listeners {
		l.Close()
	}
	unix.Close(ns.fd)
}
