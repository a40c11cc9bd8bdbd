//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// binEnv names the environment variable holding the directory with the
// kube-apiserver and etcd binaries (see hack/e2e-binaries.sh; make e2e sets it).
const binEnv = "TYPHARENDER_E2E_BIN"

const (
	readyTimeout = 2 * time.Minute  // etcd + kube-apiserver cold start on 2 busy cores
	stopTimeout  = 15 * time.Second // SIGTERM grace before SIGKILL
)

// cluster is one etcd and one kube-apiserver, both listening on 127.0.0.1
// only, with all their state in a test temporary directory.
type cluster struct {
	dir    string
	config *rest.Config // admin (system:masters) client certificate

	mu    sync.Mutex // guards procs: the simulated cluster starts processes from its controllers
	procs []*process // in start order; stopped in reverse

	etcd          *process
	etcdURL       string // etcd's client URL
	apiserver     *process
	apiserverBin  string
	apiserverArgs []string
	apiserverRuns int // starts of kube-apiserver so far
}

// clusterOptions change how startClusterWith starts the servers; the zero
// value is startCluster's cluster.
type clusterOptions struct {
	// address is where kube-apiserver listens and what the admin config
	// (and every kubeconfig written from it) dials; default 127.0.0.1. The
	// relay benchmark gives the private network namespace's node address,
	// which Typha replicas in network namespaces of their own reach.
	address string
	// priorityAndFairness leaves API Priority and Fairness on, as in a real
	// cluster (startCluster turns it off).
	priorityAndFairness bool
	// apiserverArgs are added to kube-apiserver's flags.
	apiserverArgs []string
}

// clients are the admin clients the tests use on a cluster.
type clients struct {
	cs     *kubernetes.Clientset
	dyn    *dynamic.DynamicClient
	disco  *discovery.DiscoveryClient
	mapper *restmapper.DeferredDiscoveryRESTMapper // kinds to resources, through discovery
}

// clients returns new admin clients of c.
func (c *cluster) clients() clients {
	disco := discovery.NewDiscoveryClientForConfigOrDie(c.config)
	return clients{
		cs:     kubernetes.NewForConfigOrDie(c.config),
		dyn:    dynamic.NewForConfigOrDie(c.config),
		disco:  disco,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco)),
	}
}

// process is a started server. PIDs are logged and written to dir/pids so a
// human can check for strays; stop is idempotent.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when Wait returns
	waitErr error

	mu      sync.Mutex // stop may be called from several goroutines
	stopped bool       // stop has run
}

// startCluster starts etcd and kube-apiserver and waits for /readyz. Both are
// stopped by t.Cleanup on every exit path of the test, including t.Fatal and a
// failed start. If the test binary itself dies (panic, -timeout, SIGKILL), the
// kernel kills the servers through Pdeathsig, and each runs in its own
// process group so that nothing it forks survives either.
func startCluster(t testing.TB) *cluster {
	t.Helper()
	return startClusterWith(t, clusterOptions{})
}

// startClusterWith is startCluster with opts.
func startClusterWith(t testing.TB, opts clusterOptions) *cluster {
	t.Helper()
	address := opts.address
	if address == "" {
		address = "127.0.0.1"
	}
	binDir := os.Getenv(binEnv)
	if binDir == "" {
		t.Fatalf("%s is not set: run `make e2e`, or set it to the directory printed by hack/e2e-binaries.sh", binEnv)
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(binDir, name)); err != nil {
			t.Fatalf("%s=%s: %v (run hack/e2e-binaries.sh)", binEnv, binDir, err)
		}
	}

	c := &cluster{dir: t.TempDir()}
	t.Cleanup(func() { c.stop(t) })

	pki := filepath.Join(c.dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	adminCert, adminKey, caPEM := writePKI(t, pki, net.ParseIP(address))

	ports := freePorts(t, 3)
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	apiPort := ports[2]

	c.etcdURL = etcdClient
	c.etcd = c.start(t, filepath.Join(binDir, "etcd"),
		"--name=e2e",
		"--data-dir="+filepath.Join(c.dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=e2e="+etcdPeer,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	)
	waitHTTP(t, c.etcd, etcdClient+"/health", http.DefaultClient, func(body []byte) bool {
		return bytes.Contains(body, []byte(`"health":"true"`))
	})

	apf := "--enable-priority-and-fairness=false"
	if opts.priorityAndFairness {
		apf = "--enable-priority-and-fairness=true"
	}
	c.apiserverBin = filepath.Join(binDir, "kube-apiserver")
	c.apiserverArgs = []string{
		"--bind-address=" + address,
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--etcd-servers=" + etcdClient,
		"--cert-dir=" + filepath.Join(c.dir, "apiserver-certs"),
		"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// The kubernetes Service's endpoints would have to be a routable
		// address; nothing here needs them.
		"--endpoint-reconciler-type=none",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		apf,
		"--v=1",
	}
	c.apiserverArgs = append(c.apiserverArgs, opts.apiserverArgs...)
	c.apiserver = c.start(t, c.apiserverBin, c.apiserverArgs...)
	c.apiserverRuns = 1

	c.config = &rest.Config{
		Host: "https://" + net.JoinHostPort(address, strconv.Itoa(apiPort)),
		TLSClientConfig: rest.TLSClientConfig{
			CertData: adminCert,
			KeyData:  adminKey,
			CAData:   caPEM,
		},
		QPS:     50,
		Burst:   100,
		Timeout: 30 * time.Second,
	}
	c.waitAPIServerReady(t)
	return c
}

// waitAPIServerReady waits for the API server's /readyz.
func (c *cluster) waitAPIServerReady(t testing.TB) {
	t.Helper()
	rt, err := rest.TransportFor(c.config)
	if err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, c.apiserver, c.config.Host+"/readyz", &http.Client{Transport: rt, Timeout: 5 * time.Second}, func(body []byte) bool {
		return string(body) == "ok"
	})
}

// restartAPIServer stops kube-apiserver (SIGTERM, as the kubelet stops a
// static pod), waits down, then starts it again with the same flags on the
// same port and waits for /readyz. It returns when the old process exited
// and when the new one was ready.
func (c *cluster) restartAPIServer(t testing.TB, down time.Duration) (stopped, ready time.Time) {
	t.Helper()
	c.apiserver.stop(t)
	stopped = time.Now()
	time.Sleep(down)
	c.apiserverRuns++
	c.apiserver = c.startProcess(t, fmt.Sprintf("kube-apiserver-%d", c.apiserverRuns), c.apiserverBin, c.serverEnv(), c.apiserverArgs...)
	c.waitAPIServerReady(t)
	return stopped, time.Now()
}

// start launches one server with its output in dir/<name>.log.
func (c *cluster) start(t testing.TB, bin string, args ...string) *process {
	t.Helper()
	return c.startProcess(t, filepath.Base(bin), bin, c.serverEnv(), args...)
}

// serverEnv is only what the servers need from the environment; in
// particular no proxy settings and no KUBECONFIG.
func (c *cluster) serverEnv() []string {
	return []string{"PATH=/usr/bin:/bin", "HOME=" + c.dir, "TMPDIR=" + c.dir}
}

// startProcess launches bin with exactly env as its environment and its
// output in dir/<name>.log, under the same guarantees as the servers: its own
// process group, SIGKILL when the test binary dies, stopped by the cluster's
// cleanup at the latest (stop it earlier with p.stop).
func (c *cluster) startProcess(t testing.TB, name, bin string, env []string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(c.dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = env
	p, err := c.launch(t, name, cmd, logPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launch starts cmd, whose output the caller has directed to logPath, with
// the guarantees of startProcess. It is safe to call from any goroutine
// while the test runs.
func (c *cluster) launch(t testing.TB, name string, cmd *exec.Cmd, logPath string) (*process, error) {
	if cmd.Dir == "" {
		cmd.Dir = c.dir
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // signal the whole group on stop
		Pdeathsig: syscall.SIGKILL, // die with the test binary (panic, timeout)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	t.Logf("started %s pid %d (log %s)", name, cmd.Process.Pid, logPath)
	c.writePIDs(t)
	return p, nil
}

func (c *cluster) writePIDs(t testing.TB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, p := range c.procs {
		fmt.Fprintf(&b, "%s %d\n", p.name, p.cmd.Process.Pid)
	}
	if err := os.WriteFile(filepath.Join(c.dir, "pids"), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
	if f := os.Getenv("TYPHARENDER_E2E_PIDFILE"); f != "" { // used by TestNothingLeftRunning
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// pids returns the process IDs of the servers, in start order.
func (c *cluster) pids() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pids []int
	for _, p := range c.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// stop stops the servers in reverse start order: SIGTERM to the process
// group, SIGKILL after stopTimeout. On a failed test the tail of each log is
// printed.
func (c *cluster) stop(t testing.TB) {
	c.mu.Lock()
	procs := slices.Clone(c.procs)
	c.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(t)
	}
}

// stop ends p and its process group (SIGTERM, SIGKILL after stopTimeout) and
// logs the tail of its log if the test failed. A second call does nothing.
func (p *process) stop(t testing.TB) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	pid := p.cmd.Process.Pid
	select {
	case <-p.exited:
	default:
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			t.Logf("%s pid %d did not stop in %v; killing", p.name, pid, stopTimeout)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.exited
		}
	}
	// Anything left in the group (there should be nothing) goes too.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	t.Logf("stopped %s pid %d", p.name, pid)
	if t.Failed() {
		t.Logf("last lines of %s:\n%s", p.logPath, tail(p.logPath, 40))
	}
}

// waitHTTP polls url until ok(body) with status 200, failing the test after
// readyTimeout or as soon as the process exits.
func waitHTTP(t testing.TB, p *process, url string, client *http.Client, ok func([]byte) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	start := time.Now()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := readAll(resp)
			if resp.StatusCode == http.StatusOK && ok(body) {
				t.Logf("%s ready after %v", p.name, time.Since(start).Round(time.Millisecond))
				return
			}
			last = fmt.Sprintf("HTTP %d: %.300s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it was ready: %v (its log follows)", p.name, p.waitErr)
		case <-ctx.Done():
			t.Fatalf("%s not ready at %s after %v: %s (its log follows)", p.name, url, readyTimeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(resp.Body)
	return b.Bytes(), err
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts reserves n distinct loopback ports by listening on port 0 and
// closing, all listeners open at once so the ports differ.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// writePKI writes a CA, a serving certificate for 127.0.0.1/localhost, a
// service-account key pair, and returns an admin client certificate in the
// system:masters group (PEM cert, PEM key, PEM CA).
func writePKI(t testing.TB, dir string, serving net.IP) (adminCert, adminKey, caPEM []byte) {
	t.Helper()
	now := time.Now()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "typharender-e2e-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	caPEM = pemBlock("CERTIFICATE", caDER)

	issue := func(serial int64, tmpl *x509.Certificate) (certPEM, keyPEM []byte) {
		key := newKey(t)
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = now.Add(-time.Hour)
		tmpl.NotAfter = now.Add(24 * time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pemBlock("CERTIFICATE", der), keyPEMBytes(t, key)
	}

	servingCert, servingKey := issue(2, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), serving},
	})
	adminCert, adminKey = issue(3, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "typharender-e2e-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})

	saKey := newKey(t)
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	for name, data := range map[string][]byte{
		"ca.crt":        caPEM,
		"apiserver.crt": servingCert,
		"apiserver.key": servingKey,
		"sa.key":        keyPEMBytes(t, saKey),
		"sa.pub":        pemBlock("PUBLIC KEY", saPub),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Sanity: the pair we hand the client must load.
	if _, err := tls.X509KeyPair(adminCert, adminKey); err != nil {
		t.Fatal(err)
	}
	return adminCert, adminKey, caPEM
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func keyPEMBytes(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("EC PRIVATE KEY", der)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// processGone reports whether pid no longer runs: it does not exist, or it
// is a zombie that nobody has reaped yet (as happens in a container whose
// PID 1 does not reap orphans).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}
