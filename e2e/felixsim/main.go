//go:build ignore

// Command felixsim hosts many simulated Felix 3.24.5 agents in one process,
// one per simulated node, each running Felix 3.24.5's own datastore code. It
// is the interface FELIXSIM.md (beside the worktrees) agrees between the
// relay-proof e2e (e2e/typha_versions_test.go), the relay benchmark and the
// rehearsal's Terway test double.
//
// It is not part of the e2e module: the constraint above keeps the e2e module
// from building or tidying it, and hack/calico-binaries.sh builds it inside
// the extracted Calico v3.24.5 tree (as typha/cmd/felixsim), the exact commit
// Terway builds Felix from, against that tree's typha/pkg/discovery,
// typha/pkg/syncclient and libcalico-go. The tree's go.mod names go 1.18, so
// this file keeps to the Go 1.18 language.
//
// # Modes
//
// typha: what Felix does when FELIX_TYPHAK8SSERVICENAME names a Service (as
// Terway's felix_relay_service does). discovery.DiscoverTyphaAddrs with
// WithKubeService(namespace, service), WithKubeClient and
// WithNodeAffinity(node) reads the Service's core/v1 Endpoints; then
// syncclient.New(addrs, "v3.24.5", node, ...) with Felix's options (an empty
// SyncerType: felix) connects, as Felix 3.24.5's daemon does. Felix's
// behaviour around it is modelled from felix/daemon/daemon.go at v3.24.5:
// discovery failure is retried every second; a failed Start is retried every
// second for 30 s, then Felix exits; no server hello within 10 s and Felix
// exits; a lost connection ("Connection to Typha failed") makes Felix log
// "Felix is shutting down", sleep 2 s and exit. An exited Felix is restarted
// as the kubelet restarts a container: at once the first time, then after
// --crashloop-backoff, doubling up to 5 minutes, reset after 10 minutes of
// running. A restart discovers again and reconnects.
//
// direct: what Felix does without Typha. libcalico-go's Kubernetes backend
// (backend.NewClient with DATASTORE_TYPE=kubernetes and the kubeconfig) and
// felixsyncer.New(client, spec, callbacks, true), started once. Each direct
// client has its own connection to the API server, as each Felix process
// has (client-go would otherwise share one transport among all clients).
//
// # State
//
// Each client keeps its current key/value set (keys are libcalico-go's
// default paths, such as /calico/v1/policy/tier/default/policy/knp.default.np;
// values as Felix parsed them, re-encoded as JSON), its status (wait-for-ready,
// resync, in-sync) and, per key, when it first saw the key's current revision
// (or its deletion). Values are shared between clients (one copy per key and
// revision), so thousands of clients fit in memory. After a restart the
// previous key set is kept (as a restarted Felix keeps its dataplane) until
// the new connection is in sync; then keys the new snapshot did not carry
// count as deleted at that moment.
//
// # Flags and HTTP interface
//
//	--kubeconfig PATH        the API server (the ServiceAccount it runs as)
//	--listen 127.0.0.1:PORT  control/status HTTP server (required)
//	--log-format plain|cri   cri: kubelet CRI log lines ("<RFC3339Nano> stdout F <line>")
//	--crashloop-backoff D    the kubelet's restart back-off after the first restart (10s; 0: none)
//	--use-pod-cidr           direct mode: USE_POD_CIDR=true (no IPAM block watch)
//
//	POST   /clients          {"node","mode","typhaNamespace","typhaService","logPath"}, or an array of them
//	DELETE /clients/{node}   stop it (as a Felix that exits)
//	GET    /clients          [{"node","mode","status","typhaAddr","inSyncSince","connects","restarts","keys","keysHash"}]
//	GET    /clients/{node}/keys  {"key": value-as-JSON, ...}
//	GET    /seen?key=K       {"node": "<RFC3339Nano>"}; &detail=1: {"node": {"seen","revision","deleted"}}
//	GET    /summary          {"clients","byStatus","byKeysHash","connects","restarts"}
//	GET    /stats            the process: goroutines, heap, RSS, CPU seconds; ?gc=1 collects garbage first
//	GET    /healthz          200 "ok"
//	GET    /debug/pprof/...  Go's profiles of felixsim itself (net/http/pprof): profile?seconds=N, heap, goroutine
//
// # Logs
//
// Each client appends to its logPath (none when empty) the lines Felix
// 3.24.5's code logs for it, through Felix's own logrus formatter
// (libcalico-go/lib/logutils): the discovery and syncclient lines verbatim,
// attributed by the syncclient's connID or by the goroutine that logs them.
// felixsim's own lines (its model of Felix's daemon, from main.go) say
// `status <status>` on every status change (as e2e/felixclient did), and
// what Felix's daemon would log around a restart. Lines that belong to no
// client (libcalico-go's watchers in direct mode run in goroutines of their
// own) go to felixsim's stderr.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	log "github.com/sirupsen/logrus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/projectcalico/calico/libcalico-go/lib/apiconfig"
	"github.com/projectcalico/calico/libcalico-go/lib/backend"
	"github.com/projectcalico/calico/libcalico-go/lib/backend/api"
	"github.com/projectcalico/calico/libcalico-go/lib/backend/model"
	"github.com/projectcalico/calico/libcalico-go/lib/backend/syncersv1/felixsyncer"
	"github.com/projectcalico/calico/libcalico-go/lib/logutils"
	"github.com/projectcalico/calico/typha/pkg/discovery"
	"github.com/projectcalico/calico/typha/pkg/syncclient"
)

// felixVersion is what the simulated Felix tells Typha in its hello.
const felixVersion = "v3.24.5"

// Felix 3.24.5's daemon timings (felix/daemon/daemon.go).
const (
	discoveryRetry    = time.Second      // "Typha discovery enabled but discovery failed.", then retry
	startRetryFor     = 30 * time.Second // Start is retried this long, then "Failed to connect to Typha"
	startRetryEvery   = time.Second
	helloTimeout      = 10 * time.Second // SupportsNodeResourceUpdates(10 * time.Second)
	shutdownSleep     = 2 * time.Second  // "Sleeping to avoid tight restart loop."
	maxCrashLoop      = 5 * time.Minute  // the kubelet's cap
	crashLoopResetRun = 10 * time.Minute // a container that ran this long restarts at once
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server and the identity Felix runs as")
	listen := flag.String("listen", "", "address of the control/status HTTP server, such as 127.0.0.1:7000 (required)")
	logFormat := flag.String("log-format", "plain", "per-client log lines: plain, or cri (kubelet CRI log lines)")
	backoff := flag.Duration("crashloop-backoff", 10*time.Second, "the kubelet's delay before the second restart of an exited Felix, doubled after each (0: restart at once)")
	usePodCIDR := flag.Bool("use-pod-cidr", false, "direct mode: USE_POD_CIDR=true, as a Felix whose pods take the node's pod CIDR")
	flag.Parse()
	if *listen == "" || *kubeconfig == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "felixsim: want --listen HOST:PORT and --kubeconfig PATH, and no arguments")
		flag.Usage()
		os.Exit(2)
	}
	if *logFormat != "plain" && *logFormat != "cri" {
		fmt.Fprintf(os.Stderr, "felixsim: --log-format %q: want plain or cri\n", *logFormat)
		os.Exit(2)
	}
	s, err := newSim(*kubeconfig, *logFormat == "cri", *backoff, *usePodCIDR)
	if err != nil {
		fmt.Fprintf(os.Stderr, "felixsim: %v\n", err)
		os.Exit(1)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "felixsim: %v\n", err)
		os.Exit(1)
	}
	log.WithField("listen", l.Addr().String()).Info("felixsim serving")
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(l); err != nil {
		fmt.Fprintf(os.Stderr, "felixsim: %v\n", err)
		os.Exit(1)
	}
}

// sim is the process: its clients, their shared values and the log router.
type sim struct {
	kubeconfig  string
	rawConfig   []byte // the kubeconfig file, for direct clients' own copies
	discoveryCS kubernetes.Interface
	cri         bool
	backoff     time.Duration
	usePodCIDR  bool
	store       *valueStore
	logs        *logRouter

	newMu sync.Mutex // syncclient.New numbers clients from an unguarded counter

	mu      sync.Mutex
	clients map[string]*client
}

func newSim(kubeconfig string, cri bool, backoff time.Duration, usePodCIDR bool) (*sim, error) {
	raw, err := ioutil.ReadFile(kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %v", kubeconfig, err)
	}
	// Felix's discovery is one GET per start; thousands of clients starting
	// at once must not wait on client-go's default 5 QPS.
	cfg.QPS, cfg.Burst = 1000, 2000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &sim{
		kubeconfig:  kubeconfig,
		rawConfig:   raw,
		discoveryCS: cs,
		cri:         cri,
		backoff:     backoff,
		usePodCIDR:  usePodCIDR,
		store:       newValueStore(),
		clients:     map[string]*client{},
	}
	s.logs = newLogRouter(os.Stderr, cri)
	return s, nil
}

// ---- HTTP ----

type clientSpec struct {
	Node           string `json:"node"`
	Mode           string `json:"mode"`
	TyphaNamespace string `json:"typhaNamespace"`
	TyphaService   string `json:"typhaService"`
	LogPath        string `json:"logPath"`
}

type clientRow struct {
	Node        string `json:"node"`
	Mode        string `json:"mode"`
	Status      string `json:"status"`
	TyphaAddr   string `json:"typhaAddr"`
	InSyncSince string `json:"inSyncSince"`
	Connects    int    `json:"connects"`
	Restarts    int    `json:"restarts"`
	Keys        int    `json:"keys"`
	KeysHash    string `json:"keysHash"`
}

type seenDetail struct {
	Seen     string `json:"seen"`
	Revision string `json:"revision"`
	Deleted  bool   `json:"deleted"`
}

func (s *sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/healthz" && r.Method == http.MethodGet:
		io.WriteString(w, "ok")
	case path == "/debug/pprof/profile" && r.Method == http.MethodGet:
		pprof.Profile(w, r) // what the simulator spends its CPU on
	case strings.HasPrefix(path, "/debug/pprof/") && r.Method == http.MethodGet:
		pprof.Index(w, r) // heap, goroutine, allocs, ...
	case path == "/clients" && r.Method == http.MethodPost:
		s.postClients(w, r)
	case path == "/clients" && r.Method == http.MethodGet:
		writeJSON(w, s.rows())
	case strings.HasPrefix(path, "/clients/") && strings.HasSuffix(path, "/keys") && r.Method == http.MethodGet:
		node := strings.TrimSuffix(strings.TrimPrefix(path, "/clients/"), "/keys")
		c := s.client(node)
		if c == nil {
			httpError(w, http.StatusNotFound, "no client for node %q", node)
			return
		}
		writeJSON(w, c.keys())
	case strings.HasPrefix(path, "/clients/") && r.Method == http.MethodDelete:
		node := strings.TrimPrefix(path, "/clients/")
		if !s.stop(node) {
			httpError(w, http.StatusNotFound, "no client for node %q", node)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case path == "/seen" && r.Method == http.MethodGet:
		key := r.URL.Query().Get("key")
		if key == "" {
			httpError(w, http.StatusBadRequest, "want ?key=K (a libcalico-go default path such as /calico/v1/policy/tier/default/policy/knp.default.NAME)")
			return
		}
		s.seen(w, key, r.URL.Query().Get("detail") == "1")
	case path == "/summary" && r.Method == http.MethodGet:
		writeJSON(w, s.summary())
	case path == "/stats" && r.Method == http.MethodGet:
		if r.URL.Query().Get("gc") == "1" {
			debug.FreeOSMemory() // a GC, and the freed memory back to the OS: RSS without garbage
		}
		writeJSON(w, processStats(len(s.all())))
	default:
		httpError(w, http.StatusNotFound, "%s %s: not part of felixsim's interface (see its doc comment)", r.Method, path)
	}
}

func writeJSON(w http.ResponseWriter, v interface{}) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, code int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, format string, args ...interface{}) {
	http.Error(w, "felixsim: "+fmt.Sprintf(format, args...), code)
}

func (s *sim) postClients(w http.ResponseWriter, r *http.Request) {
	body, err := ioutil.ReadAll(r.Body)
	if err != nil {
		httpError(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	var specs []clientSpec
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "[") {
		err = json.Unmarshal(body, &specs)
	} else {
		var one clientSpec
		err = json.Unmarshal(body, &one)
		specs = []clientSpec{one}
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "body: %v (want {\"node\",\"mode\",\"typhaNamespace\",\"typhaService\",\"logPath\"} or an array of them)", err)
		return
	}
	seen := map[string]bool{}
	for i := range specs {
		sp := &specs[i]
		if sp.TyphaNamespace == "" {
			sp.TyphaNamespace = "kube-system"
		}
		switch {
		case sp.Node == "" || strings.Contains(sp.Node, "/"):
			err = fmt.Errorf("client %d: node %q: want a node name (no '/')", i, sp.Node)
		case sp.Mode != "typha" && sp.Mode != "direct":
			err = fmt.Errorf("client %q: mode %q: want typha or direct", sp.Node, sp.Mode)
		case sp.Mode == "typha" && sp.TyphaService == "":
			err = fmt.Errorf("client %q: mode typha needs typhaService (Felix's FELIX_TYPHAK8SSERVICENAME)", sp.Node)
		case seen[sp.Node]:
			err = fmt.Errorf("node %q given twice", sp.Node)
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		seen[sp.Node] = true
	}
	// Open every log first: a bad path starts nothing.
	outs := make([]*lineWriter, len(specs))
	for i, sp := range specs {
		if sp.LogPath == "" {
			continue
		}
		f, err := os.OpenFile(sp.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			for _, o := range outs[:i] {
				if o != nil {
					o.close()
				}
			}
			httpError(w, http.StatusBadRequest, "client %q: logPath: %v", sp.Node, err)
			return
		}
		outs[i] = &lineWriter{f: f, cri: s.cri}
	}
	for i, sp := range specs {
		s.start(sp, outs[i])
	}
	writeJSONStatus(w, http.StatusCreated, map[string]int{"started": len(specs)})
}

func (s *sim) client(node string) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[node]
}

func (s *sim) all() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spec.Node < out[j].spec.Node })
	return out
}

func (s *sim) rows() []clientRow {
	cs := s.all()
	rows := make([]clientRow, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, c.row())
	}
	return rows
}

func (s *sim) summary() interface{} {
	byStatus := map[string]int{}
	byHash := map[string]int{}
	connects, restarts := 0, 0
	cs := s.all()
	for _, c := range cs {
		row := c.row()
		byStatus[row.Status]++
		byHash[row.KeysHash]++
		connects += row.Connects
		restarts += row.Restarts
	}
	return map[string]interface{}{
		"clients":    len(cs),
		"byStatus":   byStatus,
		"byKeysHash": byHash,
		"connects":   connects,
		"restarts":   restarts,
	}
}

func (s *sim) seen(w http.ResponseWriter, key string, detail bool) {
	plain := map[string]string{}
	full := map[string]seenDetail{}
	for _, c := range s.all() {
		c.mu.Lock()
		e, ok := c.entries[key]
		c.mu.Unlock()
		if !ok {
			continue
		}
		at := time.Unix(0, e.seen).UTC().Format(time.RFC3339Nano)
		plain[c.spec.Node] = at
		d := seenDetail{Seen: at, Deleted: e.v == nil}
		if e.v != nil {
			d.Revision = e.v.rev
		}
		full[c.spec.Node] = d
	}
	if detail {
		writeJSON(w, full)
		return
	}
	writeJSON(w, plain)
}

// start starts (or replaces) node sp.Node's Felix.
func (s *sim) start(sp clientSpec, out *lineWriter) {
	s.mu.Lock()
	old := s.clients[sp.Node]
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		sim:     s,
		spec:    sp,
		out:     out,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		status:  api.WaitForDatastore.String(),
		entries: map[string]entry{},
	}
	c.publishLocked() // not yet shared: no lock needed
	s.clients[sp.Node] = c
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	go c.run()
}

// stop stops node's Felix and forgets it; false if there is none.
func (s *sim) stop(node string) bool {
	s.mu.Lock()
	c := s.clients[node]
	delete(s.clients, node)
	s.mu.Unlock()
	if c == nil {
		return false
	}
	c.stop()
	return true
}

// ---- clients ----

// client is one simulated Felix.
type client struct {
	sim    *sim
	spec   clientSpec
	out    *lineWriter // nil: no log
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu          sync.Mutex
	conn        uint32 // the current connection (or syncer run); callbacks of older ones are ignored
	status      string
	typhaAddr   string
	inSyncSince time.Time
	connects    int
	restarts    int
	entries     map[string]entry
	live        int
	hash        uint64 // sum of the live values' hashes: the key set's hash, whatever the order
	released    bool   // stop has released the entries' values

	goroutines []uint64 // bound to this client in the log router (guarded by its mu)

	published atomic.Value // clientRow: see row
}

// entry is a client's view of one key: its value, or a deletion (v nil),
// with when the client first saw that revision (or the deletion) and the
// connection that last sent it.
type entry struct {
	v    *value
	seen int64 // UnixNano
	conn uint32
}

func (c *client) stop() {
	c.cancel()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn++ // late callbacks change nothing
	if !c.released {
		c.released = true
		for _, e := range c.entries {
			if e.v != nil {
				c.sim.store.release(e.v)
			}
		}
	}
	if c.out != nil {
		c.out.close()
	}
}

// row is the client's row as last published: reading it takes no lock, so
// the HTTP interface answers while thousands of clients hold their own
// locks decoding snapshots.
func (c *client) row() clientRow {
	if r, ok := c.published.Load().(clientRow); ok {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rowLocked()
}

// publishLocked makes the client's current state what row returns; every
// change of a row field calls it, with c.mu held.
func (c *client) publishLocked() { c.published.Store(c.rowLocked()) }

func (c *client) rowLocked() clientRow {
	row := clientRow{
		Node:      c.spec.Node,
		Mode:      c.spec.Mode,
		Status:    c.status,
		TyphaAddr: c.typhaAddr,
		Connects:  c.connects,
		Restarts:  c.restarts,
		Keys:      c.live,
		KeysHash:  fmt.Sprintf("%016x", c.hash),
	}
	if !c.inSyncSince.IsZero() {
		row.InSyncSince = c.inSyncSince.UTC().Format(time.RFC3339Nano)
	}
	return row
}

func (c *client) keys() map[string]json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]json.RawMessage, c.live)
	for k, e := range c.entries {
		if e.v != nil {
			out[k] = e.v.json
		}
	}
	return out
}

// run is the client's life: for typha mode, Felix processes, each restarted
// as the kubelet restarts a container; for direct mode, one syncer.
func (c *client) run() {
	defer close(c.done)
	c.sim.logs.bindGoroutine(goroutineID(), c)
	defer c.sim.logs.unbindClient(c)
	if c.spec.Mode == "direct" {
		c.runDirect()
		return
	}
	delay := time.Duration(0)
	for {
		started := time.Now()
		reason := c.felix()
		if c.ctx.Err() != nil {
			return
		}
		// The kubelet: a container that ran long enough restarts at once.
		if time.Since(started) >= crashLoopResetRun {
			delay = 0
		}
		c.logf(log.InfoLevel, "Felix exited (%s); the kubelet restarts it in %v", reason, delay)
		if !c.sleep(delay) {
			return
		}
		switch {
		case c.sim.backoff <= 0:
		case delay == 0:
			delay = c.sim.backoff
		default:
			delay *= 2
			if delay > maxCrashLoop {
				delay = maxCrashLoop
			}
		}
		c.mu.Lock()
		c.restarts++
		c.publishLocked()
		c.mu.Unlock()
	}
}

func (c *client) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// newConn starts a new connection (or a new Felix process): its callbacks
// are the only ones that count from now on.
func (c *client) newConn() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn++
	c.typhaAddr = ""
	c.setStatusLocked(api.WaitForDatastore)
	c.publishLocked()
	return c.conn
}

// felix runs one Felix process in typha mode and returns why it exited.
func (c *client) felix() string {
	conn := c.newConn()
	// Felix's config loop: discovery is retried every second.
	var addrs []discovery.Typha
	for {
		var err error
		addrs, err = discovery.DiscoverTyphaAddrs(
			discovery.WithKubeService(c.spec.TyphaNamespace, c.spec.TyphaService),
			discovery.WithKubeClient(c.sim.discoveryCS),
			discovery.WithNodeAffinity(c.spec.Node),
		)
		if err == nil && len(addrs) == 0 {
			err = errors.New("no Typha service configured")
		}
		if err == nil {
			break
		}
		log.WithError(err).Error("Typha discovery enabled but discovery failed.")
		if !c.sleep(discoveryRetry) {
			return "stopped"
		}
	}
	log.WithField("addr", addrs).Info("Connecting to Typha.")
	// The process's context: cancelling it closes the connection, as
	// Felix's exit closes its socket.
	ctx, exit := context.WithCancel(c.ctx)
	defer exit()
	cbs := &callbacks{c: c, conn: conn}
	c.sim.newMu.Lock()
	tc := syncclient.New(addrs, felixVersion, c.spec.Node,
		"Revision: f1a1611a; Build date: felixsim (Felix v3.24.5's syncclient)", cbs, &syncclient.Options{})
	c.sim.newMu.Unlock()
	c.sim.logs.bindConn(tc.ID, c)
	defer c.sim.logs.unbindConn(tc.ID)

	// Start is retried every second for 30 s, then Felix gives up.
	err := tc.Start(ctx)
	if err != nil {
		log.WithError(err).Error("Failed to connect to Typha. Retrying...")
		startTime := time.Now()
		for err != nil && time.Since(startTime) < startRetryFor {
			if c.ctx.Err() != nil {
				return "stopped"
			}
			err = tc.Start(ctx)
			if err == nil {
				break
			}
			c.sleep(startRetryEvery)
		}
		if err != nil {
			c.logf(log.ErrorLevel, "Failed to connect to Typha (Felix exits: log.Fatal) error=%v", err)
			return "failed to connect to Typha"
		}
		log.Info("Connected to Typha after retries.")
	}
	c.mu.Lock()
	c.connects++
	c.publishLocked()
	c.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		tc.Finished.Wait()
		close(finished)
	}()
	hello := make(chan error, 1)
	go func() {
		_, err := tc.SupportsNodeResourceUpdates(helloTimeout)
		hello <- err
	}()
	select {
	case err := <-hello:
		if err != nil {
			log.WithError(err).Error("Did not get hello message from Typha in time, assuming it does not support node resource updates")
			exit()
			<-finished
			return "no hello from Typha"
		}
	case <-c.ctx.Done():
		<-finished
		return "stopped"
	}
	select {
	case <-finished:
	case <-c.ctx.Done():
		<-finished
		return "stopped"
	}
	reason := "Connection to Typha failed"
	log.WithField("reason", reason).Warn("Felix is shutting down")
	log.WithField("reason", reason).Info("Sleeping to avoid tight restart loop.")
	if !c.sleep(shutdownSleep) {
		return "stopped"
	}
	return reason
}

func (c *client) runDirect() {
	conn := c.newConn()
	cfg, err := c.directConfig()
	if err != nil {
		c.logf(log.ErrorLevel, "direct mode: %v", err)
		return
	}
	bc, err := backend.NewClient(cfg)
	if err != nil {
		log.WithError(err).Error("Failed to (re)connect to datastore")
		return
	}
	syncer := felixsyncer.New(bc, cfg.Spec, &callbacks{c: c, conn: conn}, true)
	log.Info("using resource updates where applicable")
	log.Infof("Starting the datastore Syncer")
	syncer.Start()
	c.mu.Lock()
	c.connects++
	c.publishLocked()
	c.mu.Unlock()
	<-c.ctx.Done()
	c.mu.Lock()
	c.conn++ // the deletions Stop emits are not Felix's view
	c.mu.Unlock()
	syncer.Stop()
}

// directConfig is the datastore configuration of a Felix with
// FELIX_DATASTORETYPE=kubernetes and this kubeconfig. The kubeconfig's CA
// data gets a comment line naming the node (PEM ignores text outside its
// blocks): client-go shares one transport between clients whose TLS
// settings are equal, and each Felix has its own connection.
func (c *client) directConfig() (apiconfig.CalicoAPIConfig, error) {
	cfg, err := clientcmd.Load(c.sim.rawConfig)
	if err != nil {
		return apiconfig.CalicoAPIConfig{}, fmt.Errorf("kubeconfig %s: %v", c.sim.kubeconfig, err)
	}
	for name, cl := range cfg.Clusters {
		ca := cl.CertificateAuthorityData
		if len(ca) == 0 && cl.CertificateAuthority != "" {
			if ca, err = ioutil.ReadFile(cl.CertificateAuthority); err != nil {
				return apiconfig.CalicoAPIConfig{}, err
			}
			cl.CertificateAuthority = ""
		}
		if len(ca) > 0 {
			cl.CertificateAuthorityData = append([]byte("# felixsim node "+c.spec.Node+"\n"), ca...)
		}
		cfg.Clusters[name] = cl
	}
	inline, err := clientcmd.Write(*cfg)
	if err != nil {
		return apiconfig.CalicoAPIConfig{}, err
	}
	out := apiconfig.NewCalicoAPIConfig()
	out.Spec.DatastoreType = apiconfig.Kubernetes
	out.Spec.KubeconfigInline = string(inline)
	out.Spec.K8sUsePodCIDR = c.sim.usePodCIDR
	return *out, nil
}

// callbacks are one connection's (or syncer's) SyncerCallbacks.
type callbacks struct {
	c    *client
	conn uint32
}

func (cb *callbacks) OnStatusUpdated(status api.SyncStatus) {
	c := cb.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != cb.conn {
		return
	}
	if status == api.InSync {
		c.dropUnsentLocked(time.Now().UnixNano())
	}
	c.setStatusLocked(status)
	c.publishLocked()
}

func (c *client) setStatusLocked(status api.SyncStatus) {
	s := status.String()
	if s == c.status {
		return
	}
	c.status = s
	if status == api.InSync {
		c.inSyncSince = time.Now()
	} else {
		c.inSyncSince = time.Time{}
	}
	c.writeLine("status " + s)
}

// dropUnsentLocked turns the keys the current connection did not send into
// deletions: what a restarted Felix finds gone once it is in sync.
func (c *client) dropUnsentLocked(now int64) {
	st := c.sim.store
	for k, e := range c.entries {
		if e.v == nil || e.conn == c.conn {
			continue
		}
		c.hash -= e.v.hash
		c.live--
		st.release(e.v)
		c.entries[k] = entry{seen: now, conn: c.conn}
	}
}

func (cb *callbacks) OnUpdates(updates []api.Update) {
	c := cb.c
	now := time.Now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != cb.conn {
		return
	}
	defer c.publishLocked()
	st := c.sim.store
	for _, u := range updates {
		k := keyString(u.Key)
		old, had := c.entries[k]
		if u.Value == nil || u.UpdateType == api.UpdateTypeKVDeleted {
			if had && old.v == nil {
				old.conn = c.conn
				c.entries[k] = old // deleted before: keep when it was first seen deleted
				continue
			}
			if had {
				k = old.v.key // share the key string
				c.hash -= old.v.hash
				c.live--
				st.release(old.v)
			}
			c.entries[k] = entry{seen: now, conn: c.conn}
			continue
		}
		v, err := st.get(k, u.Revision, u.Value)
		if err != nil {
			c.logf(log.ErrorLevel, "value of %s (revision %s) does not encode as JSON: %v", k, u.Revision, err)
			continue
		}
		if had && old.v != nil && sameValue(old.v, v) {
			st.release(v) // the same revision again (a resync): keep when it was first seen
			old.conn = c.conn
			c.entries[v.key] = old
			continue
		}
		if had && old.v != nil {
			c.hash -= old.v.hash
			c.live--
			st.release(old.v)
		}
		c.entries[v.key] = entry{v: v, seen: now, conn: c.conn}
		c.hash += v.hash
		c.live++
	}
}

// keyString is the key's libcalico-go default path, or its String() for a
// key without one.
func keyString(k model.Key) string {
	if p, err := model.KeyToDefaultPath(k); err == nil {
		return p
	}
	return k.String()
}

// ---- shared values ----

type valueKey struct{ key, rev string }

// value is one key at one revision, shared by every client that has it.
type value struct {
	key  string
	rev  string
	json json.RawMessage
	hash uint64 // of key and JSON
	refs int64  // atomic
}

// valueStore holds the shared values: a sync.Map (a concurrent hash trie
// since Go 1.24: lock-free reads) and atomic reference counts. Thousands of
// clients decode the same snapshot at once, in the same order; behind one
// lock (or one lock per shard of keys, since they all want the same key at
// the same moment) their callbacks queued (measured: 862 of 1,000 waiting)
// and felixsim's HTTP interface stalled behind the clients' own locks.
//
// A value whose last reference is released while another client takes a
// new one may leave the map while still in use; the next client then makes
// a second copy. Copies are equal (sameValue), so nothing but memory
// depends on there being one.
type valueStore struct {
	m sync.Map // valueKey -> *value
}

func newValueStore() *valueStore { return &valueStore{} }

func (v *value) storeKey() valueKey {
	if v.rev == "" {
		return valueKey{v.key, "json:" + string(v.json)}
	}
	return valueKey{v.key, v.rev}
}

// sameValue reports whether a and b are the same key at the same revision
// (or, without one, with the same JSON).
func sameValue(a, b *value) bool {
	return a == b || a.storeKey() == b.storeKey()
}

// get returns the shared value of key at rev, with a reference taken. A key
// and revision name one state of one object; values without a revision are
// told apart by their JSON.
func (st *valueStore) get(key, rev string, v interface{}) (*value, error) {
	vk := valueKey{key, rev}
	var data []byte
	if rev == "" {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, err
		}
		vk.rev = "json:" + string(data)
	}
	if x, ok := st.m.Load(vk); ok {
		sv := x.(*value)
		atomic.AddInt64(&sv.refs, 1)
		return sv, nil
	}
	if data == nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256([]byte(key + "\x00" + string(data)))
	nv := &value{key: key, rev: rev, json: data, hash: binary.BigEndian.Uint64(sum[:8]), refs: 1}
	if x, loaded := st.m.LoadOrStore(vk, nv); loaded { // another client stored it meanwhile
		sv := x.(*value)
		atomic.AddInt64(&sv.refs, 1)
		return sv, nil
	}
	return nv, nil
}

// release drops a reference to v, and v from the map when it was the last.
func (st *valueStore) release(v *value) {
	if atomic.AddInt64(&v.refs, -1) == 0 {
		st.m.CompareAndDelete(v.storeKey(), v)
	}
}

// ---- logs ----

// lineWriter is one client's log file.
type lineWriter struct {
	mu     sync.Mutex
	f      *os.File
	cri    bool
	closed bool
}

func (w *lineWriter) write(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if !w.cri {
		_, _ = w.f.Write(p)
		return
	}
	_, _ = w.f.Write(criLines(p))
}

func (w *lineWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		_ = w.f.Close()
	}
}

// criLines prefixes each line of p as the kubelet writes a container's
// stdout: "<RFC3339Nano> stdout F <line>".
func criLines(p []byte) []byte {
	stamp := time.Now().UTC().Format(time.RFC3339Nano)
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line == "" {
			continue
		}
		b.WriteString(stamp)
		b.WriteString(" stdout F ")
		b.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// writeLine writes one of felixsim's own bare lines (status changes).
func (c *client) writeLine(line string) {
	if c.out != nil {
		c.out.write([]byte(line + "\n"))
	}
}

// logf logs one of felixsim's own lines (its model of Felix's daemon) in
// Felix's log format, to the client's log.
func (c *client) logf(level log.Level, format string, args ...interface{}) {
	log.WithField(clientField, c).Logf(level, format, args...)
}

// clientField routes felixsim's own entries; it is not printed.
const clientField = "__felixsim_client__"

// logRouter sends every logrus entry, formatted as Felix formats it, to the
// log of the client it belongs to: the syncclient's connID names it, or the
// goroutine that logs it does (each client's own goroutine, and each
// syncclient loop once it has logged with its connID).
type logRouter struct {
	format  logutils.Formatter
	process io.Writer
	cri     bool

	mu     sync.Mutex
	byConn map[uint64]*client
	byGo   map[uint64]*client
}

func newLogRouter(process io.Writer, cri bool) *logRouter {
	r := &logRouter{process: process, cri: cri, byConn: map[uint64]*client{}, byGo: map[uint64]*client{}}
	logger := log.StandardLogger()
	logger.SetLevel(log.InfoLevel) // FELIX_LOGSEVERITYSCREEN=info, as Terway sets it
	logger.SetOutput(ioutil.Discard)
	logger.SetFormatter(nopFormatter{})
	logger.AddHook(logutils.ContextHook{}) // file and line, as Felix logs them
	logger.AddHook(r)
	return r
}

type nopFormatter struct{}

func (nopFormatter) Format(*log.Entry) ([]byte, error) { return nil, nil }

func (r *logRouter) Levels() []log.Level { return log.AllLevels }

func (r *logRouter) Fire(e *log.Entry) error {
	var c *client
	if own, ok := e.Data[clientField].(*client); ok {
		delete(e.Data, clientField)
		r.emit(own, e)
		return nil
	}
	r.mu.Lock()
	if id, ok := e.Data["connID"].(uint64); ok {
		c = r.byConn[id]
		if c != nil {
			if g := goroutineID(); r.byGo[g] != c {
				r.byGo[g] = c // the syncclient's loop: its later lines too
				c.goroutines = append(c.goroutines, g)
			}
		}
	}
	if c == nil {
		c = r.byGo[goroutineID()]
	}
	r.mu.Unlock()
	if c != nil && e.Message == "Connected to Typha." {
		if t, ok := e.Data["address"].(discovery.Typha); ok {
			c.mu.Lock()
			c.typhaAddr = t.Addr
			c.publishLocked()
			c.mu.Unlock()
		}
	}
	r.emit(c, e)
	return nil
}

func (r *logRouter) emit(c *client, e *log.Entry) {
	line, err := r.format.Format(e)
	if err != nil {
		return
	}
	if c == nil {
		if r.cri {
			line = criLines(line)
		}
		_, _ = r.process.Write(line)
		return
	}
	if c.out != nil {
		c.out.write(line)
	}
}

func (r *logRouter) bindConn(id uint64, c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byConn[id] = c
}

func (r *logRouter) unbindConn(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byConn, id)
}

func (r *logRouter) bindGoroutine(id uint64, c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byGo[id] = c
	c.goroutines = append(c.goroutines, id)
}

// unbindClient forgets the client's goroutines: its own and its
// connections' loops.
func (r *logRouter) unbindClient(c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range c.goroutines {
		delete(r.byGo, id)
	}
	c.goroutines = nil
}

// goroutineID is the current goroutine's number, from its stack header
// ("goroutine 123 [running]:").
func goroutineID() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}

// ---- process statistics ----

type stats struct {
	Clients    int     `json:"clients"`
	Goroutines int     `json:"goroutines"`
	HeapAlloc  uint64  `json:"heapAllocBytes"`
	HeapInuse  uint64  `json:"heapInuseBytes"`
	Sys        uint64  `json:"sysBytes"`
	RSS        uint64  `json:"rssBytes"`
	CPUSeconds float64 `json:"cpuSeconds"`
	OpenFDs    int     `json:"openFDs"`
}

func processStats(clients int) stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := stats{
		Clients:    clients,
		Goroutines: runtime.NumGoroutine(),
		HeapAlloc:  ms.HeapAlloc,
		HeapInuse:  ms.HeapInuse,
		Sys:        ms.Sys,
	}
	if data, err := ioutil.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseUint(f[1], 10, 64)
					st.RSS = kb * 1024
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		st.CPUSeconds = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	if fds, err := ioutil.ReadDir("/proc/self/fd"); err == nil {
		st.OpenFDs = len(fds)
	}
	return st
}
