// Package felixsimclient drives felixsim, the Felix 3.24.5 simulator
// (e2e/felixsim/main.go, built by hack/calico-binaries.sh), over its HTTP
// interface: start and stop simulated Felix agents, read their status, key
// sets and the time each saw a key's current revision. The interface is
// agreed in FELIXSIM.md; this package is its Go side, for the e2e tests and
// the relay benchmark.
package felixsimclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Modes of a simulated Felix.
const (
	ModeTypha  = "typha"  // discovery over the Service's Endpoints, then Typha's syncclient
	ModeDirect = "direct" // libcalico-go's felixsyncer against the API server
)

// Statuses of a simulated Felix: libcalico-go's api.SyncStatus strings.
const (
	StatusWaitForReady = "wait-for-ready"
	StatusResync       = "resync"
	StatusInSync       = "in-sync"
)

// Spec starts one simulated Felix.
type Spec struct {
	Node           string `json:"node"`
	Mode           string `json:"mode"`                     // ModeTypha or ModeDirect
	TyphaNamespace string `json:"typhaNamespace,omitempty"` // default kube-system (FELIX_TYPHAK8SNAMESPACE)
	TyphaService   string `json:"typhaService,omitempty"`   // FELIX_TYPHAK8SSERVICENAME; required in typha mode
	LogPath        string `json:"logPath,omitempty"`        // default none
}

// Client is one row of GET /clients.
type Client struct {
	Node        string `json:"node"`
	Mode        string `json:"mode"`
	Status      string `json:"status"`
	TyphaAddr   string `json:"typhaAddr"`   // the Typha it is connected to, host:port
	InSyncSince string `json:"inSyncSince"` // RFC 3339 with nanoseconds; empty unless in sync
	Connects    int    `json:"connects"`    // connections made to Typha (direct: syncer starts)
	Restarts    int    `json:"restarts"`    // Felix restarts (the kubelet's)
	Keys        int    `json:"keys"`
	KeysHash    string `json:"keysHash"` // equal for equal key/value sets
}

// Seen is one client's view of one key (GET /seen?detail=1).
type Seen struct {
	Seen     time.Time `json:"seen"`     // when it first saw Revision (or the deletion)
	Revision string    `json:"revision"` // empty when deleted
	Deleted  bool      `json:"deleted"`
}

// Summary is GET /summary.
type Summary struct {
	Clients    int            `json:"clients"`
	ByStatus   map[string]int `json:"byStatus"`
	ByKeysHash map[string]int `json:"byKeysHash"`
	Connects   int            `json:"connects"`
	Restarts   int            `json:"restarts"`
}

// Stats is GET /stats: the felixsim process.
type Stats struct {
	Clients    int     `json:"clients"`
	Goroutines int     `json:"goroutines"`
	HeapAlloc  uint64  `json:"heapAllocBytes"`
	HeapInuse  uint64  `json:"heapInuseBytes"`
	Sys        uint64  `json:"sysBytes"`
	RSS        uint64  `json:"rssBytes"`
	CPUSeconds float64 `json:"cpuSeconds"`
	OpenFDs    int     `json:"openFDs"`
}

// KubernetesNetworkPolicyKey is the key under which Felix 3.24.5 holds the
// Kubernetes NetworkPolicy namespace/name: a PolicyKey named
// "<namespace>/knp.default.<name>" in its default path, '/' escaped as %2f.
// Source (calico v3.24.5): libcalico-go/lib/backend/k8s/conversion/
// constants.go (K8sNetworkPolicyNamePrefix), model/policy.go (defaultPath),
// model/name.go (escapeName).
func KubernetesNetworkPolicyKey(namespace, name string) string {
	n := namespace + "/knp.default." + name
	n = strings.ReplaceAll(n, "%", "%25")
	n = strings.ReplaceAll(n, "/", "%2f")
	return "/calico/v1/policy/tier/default/policy/" + n
}

// Sim talks to one felixsim.
type Sim struct {
	URL  string // such as http://127.0.0.1:7000
	HTTP *http.Client
}

// New returns a Sim for felixsim's --listen address.
func New(listen string) *Sim {
	return &Sim{URL: "http://" + listen, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

func (s *Sim) do(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return err
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("felixsim %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("felixsim %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("felixsim %s %s: HTTP %d, want %d: %s", method, path, resp.StatusCode, want, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("felixsim %s %s: %w", method, path, err)
		}
	}
	return nil
}

// Healthy reports whether felixsim answers /healthz.
func (s *Sim) Healthy(ctx context.Context) error {
	return s.do(ctx, http.MethodGet, "/healthz", nil, http.StatusOK, nil)
}

// Start starts (or replaces) the simulated Felix of each spec's node.
func (s *Sim) Start(ctx context.Context, specs ...Spec) error {
	return s.do(ctx, http.MethodPost, "/clients", specs, http.StatusCreated, nil)
}

// Stop stops node's Felix, as a Felix that exits.
func (s *Sim) Stop(ctx context.Context, node string) error {
	return s.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(node), nil, http.StatusNoContent, nil)
}

// Clients lists every simulated Felix, sorted by node.
func (s *Sim) Clients(ctx context.Context) ([]Client, error) {
	var out []Client
	err := s.do(ctx, http.MethodGet, "/clients", nil, http.StatusOK, &out)
	return out, err
}

// Client returns node's row; an error if there is none.
func (s *Sim) Client(ctx context.Context, node string) (Client, error) {
	cs, err := s.Clients(ctx)
	if err != nil {
		return Client{}, err
	}
	for _, c := range cs {
		if c.Node == node {
			return c, nil
		}
	}
	return Client{}, fmt.Errorf("felixsim has no client for node %q", node)
}

// Keys returns node's key set: key to value as JSON.
func (s *Sim) Keys(ctx context.Context, node string) (map[string]json.RawMessage, error) {
	var out map[string]json.RawMessage
	err := s.do(ctx, http.MethodGet, "/clients/"+url.PathEscape(node)+"/keys", nil, http.StatusOK, &out)
	return out, err
}

// Seen returns, per node that has key, when it first saw key's current
// revision (or its deletion).
func (s *Sim) Seen(ctx context.Context, key string) (map[string]Seen, error) {
	var out map[string]Seen
	err := s.do(ctx, http.MethodGet, "/seen?detail=1&key="+url.QueryEscape(key), nil, http.StatusOK, &out)
	return out, err
}

// Summary counts the clients by status and by key set.
func (s *Sim) Summary(ctx context.Context) (Summary, error) {
	var out Summary
	err := s.do(ctx, http.MethodGet, "/summary", nil, http.StatusOK, &out)
	return out, err
}

// Stats reads the felixsim process's own figures; with gc, after a garbage
// collection that returns freed memory to the OS.
func (s *Sim) Stats(ctx context.Context, gc bool) (Stats, error) {
	var out Stats
	path := "/stats"
	if gc {
		path += "?gc=1"
	}
	err := s.do(ctx, http.MethodGet, path, nil, http.StatusOK, &out)
	return out, err
}
