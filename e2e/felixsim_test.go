//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// felixsimName is the Felix 3.24.5 simulator in hack/calico-binaries.sh's
// directory (e2e/felixsim/main.go, built in the v3.24.5 tree; its interface
// is agreed in the relay issue's FELIXSIM.md): one process, one Felix client
// per simulated node.
const felixsimName = "felixsim"

// Felix modes of a felixsim client.
const (
	felixDirect = "direct" // libcalico-go's felix syncer against the API server
	felixTypha  = "typha"  // typha/pkg/discovery over the Service's Endpoints, then typha/pkg/syncclient
)

// Statuses of a felixsim client, as Felix's syncer reports them.
const felixInSync = "in-sync"

// felixsim is the running simulator and its control API.
type felixsim struct {
	proc *process
	base string // http://127.0.0.1:PORT
	http *http.Client
}

// felixClientSpec starts one node's Felix (POST /clients).
type felixClientSpec struct {
	Node           string `json:"node"`
	Mode           string `json:"mode"`
	TyphaNamespace string `json:"typhaNamespace,omitempty"`
	TyphaService   string `json:"typhaService,omitempty"`
	LogPath        string `json:"logPath"`
}

// felixClientState is one row of GET /clients.
type felixClientState struct {
	Node        string `json:"node"`
	Mode        string `json:"mode"`
	Status      string `json:"status"`
	TyphaAddr   string `json:"typhaAddr"`
	InSyncSince string `json:"inSyncSince"`
	Connects    int    `json:"connects"`
	Keys        int    `json:"keys"`
	KeysHash    string `json:"keysHash"`
}

// startFelixsim runs the simulator as kubeconfig's user (Terway's
// ServiceAccount: Felix runs in Terway's policy container) and waits for its
// control API.
func startFelixsim(t *testing.T, c *cluster, bins, kubeconfig string) *felixsim {
	t.Helper()
	port := freePorts(t, 1)[0]
	listen := "127.0.0.1:" + strconv.Itoa(port)
	p := c.startProcess(t, felixsimName, filepath.Join(bins, felixsimName),
		[]string{"PATH=/usr/bin:/bin", "HOME=" + c.dir},
		"--kubeconfig="+kubeconfig, "--listen="+listen, "--log-format=cri")
	f := &felixsim{proc: p, base: "http://" + listen, http: &http.Client{Timeout: 2 * time.Minute}}
	waitHTTP(t, p, f.base+"/healthz", http.DefaultClient, func([]byte) bool { return true })
	return f
}

func (f *felixsim) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return fmt.Errorf("felixsim %s %s: %w", method, path, err)
	}
	data, err := readAll(resp)
	if err != nil {
		return fmt.Errorf("felixsim %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("felixsim %s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("felixsim %s %s: %w: %.200s", method, path, err, data)
		}
	}
	return nil
}

// start starts (or replaces) one node's Felix.
func (f *felixsim) start(ctx context.Context, spec felixClientSpec) error {
	return f.do(ctx, http.MethodPost, "/clients", spec, nil)
}

// startAll starts (or replaces) several nodes' Felix in one request.
func (f *felixsim) startAll(ctx context.Context, specs []felixClientSpec) error {
	return f.do(ctx, http.MethodPost, "/clients", specs, nil)
}

// stop stops one node's Felix, as a Felix that exits.
func (f *felixsim) stop(ctx context.Context, node string) error {
	return f.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(node), nil, nil)
}

// clients returns every client's state, sorted by node.
func (f *felixsim) clients(ctx context.Context) ([]felixClientState, error) {
	var out []felixClientState
	err := f.do(ctx, http.MethodGet, "/clients", nil, &out)
	return out, err
}
