//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/typharender/typharender/e2e/felixsimclient"
)

// The relay benchmark's machinery, shared by its long form (BenchmarkRelay,
// `make bench-relay`) and its short form in `make e2e` (TestRelayShape):
// a Terway cluster with realistic objects on a real kube-apiserver with API
// Priority and Fairness on; N simulated Felix 3.24.5 agents (felixsim)
// direct against it or through the R replicas of the rendered Typha
// Deployment, each replica in a network namespace of its own
// (replicas_test.go); what the API server's own /metrics say, what the
// processes cost (/proc), how long a NetworkPolicy change takes to reach
// every agent, and whether every agent ends with the API server's key set.

// relayObjects is the cluster the agents watch: each object kind that
// Felix watches and that a Terway cluster has in numbers.
type relayObjects struct {
	Namespaces int `json:"namespaces"` // plus default and kube-system; each with a ServiceAccount default (Felix's profiles)
	Nodes      int `json:"nodes"`      // Node objects with an InternalIP
	Pods       int `json:"pods"`       // Running, with a pod IP, on those nodes: Felix's workload endpoints
	Policies   int `json:"policies"`   // Kubernetes NetworkPolicies, spread over the namespaces
}

// relayBench is one run: the cluster, the Typha binary, the replicas
// running now and the background load.
type relayBench struct {
	e          *relayEnv
	calico     string // hack/calico-binaries.sh's directory
	kubeconfig string // Terway's ServiceAccount (Felix and Typha run as it)
	objects    relayObjects
	pods       []types.NamespacedName // for churn
	admin      kubernetes.Interface   // system:masters (exempt from API Priority and Fairness), high QPS
	metricsRT  http.RoundTripper
	nextHost   int
	replicas   []*typhaReplica
	churn      *churn
	sampler    *sampler
	probeNS    string // where the propagation probes' NetworkPolicies live
	probes     int
	faults     int           // faults run so far: each names its NetworkPolicies with its number
	settle     time.Duration // settledWatches reads this far apart (3 s unless set)
}

// newRelayBench starts the cluster (API Priority and Fairness on, listening
// on the node address that Typha replicas reach) with Terway's objects and
// objs, and the sampler of process figures.
func newRelayBench(ctx context.Context, t testing.TB, objs relayObjects, tokenExpiry time.Duration) *relayBench {
	t.Helper()
	calico := calicoBinaries(t)
	nodeIP := privateNodeIP(t)
	keepReplicaNets(t)
	c := startClusterWith(t, clusterOptions{address: nodeIP, priorityAndFairness: true})
	e := newTerwayEnvOn(ctx, t, c, nodeIP)
	e.tokenExpiry = tokenExpiry
	e.applyRendered(t, e.renderOptions(""))
	kubeconfig := e.kubeconfigFor(t, terwaySA)
	cfg := rest.CopyConfig(c.config)
	cfg.QPS, cfg.Burst = 2000, 4000
	rt, err := rest.TransportFor(c.config)
	if err != nil {
		t.Fatal(err)
	}
	b := &relayBench{
		e: e, calico: calico, kubeconfig: kubeconfig, objects: objs,
		admin:     kubernetes.NewForConfigOrDie(cfg),
		metricsRT: rt,
		nextHost:  replicaFirstHost,
		probeNS:   "default",
	}
	b.sampler = newSampler()
	t.Cleanup(b.sampler.stop)
	b.sampler.watch("kube-apiserver", c.apiserver.cmd.Process.Pid)
	b.sampler.watch("etcd", c.etcd.cmd.Process.Pid)
	start := time.Now()
	b.createObjects(t)
	t.Logf("created %+v in %v", objs, time.Since(start).Round(time.Millisecond))
	b.churn = newChurn(b.admin, b.pods)
	t.Cleanup(b.churn.stop)
	return b
}

// ---- objects ----

// parallel runs do(i) for i in [0, n) on workers goroutines and returns the
// first error.
func parallel(n, workers int, do func(i int) error) error {
	var (
		next  atomic.Int64
		first atomic.Value
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || first.Load() != nil {
					return
				}
				if err := do(i); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return err
	}
	return nil
}

func benchNamespace(i int) string { return fmt.Sprintf("app-%03d", i) }
func benchNode(i int) string      { return fmt.Sprintf("node-%05d", i) }

// createObjects creates b.objects: namespaces with their default
// ServiceAccount (no controller-manager runs here to make it), Nodes,
// Pods bound to them and Running with an IP (status written as the
// kubelet writes it), and NetworkPolicies that select them.
func (b *relayBench) createObjects(t testing.TB) {
	t.Helper()
	ctx, cs, o := b.e.ctx, b.admin, b.objects
	const workers = 16
	err := parallel(o.Namespaces, workers, func(i int) error {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace(i), Labels: map[string]string{"team": fmt.Sprintf("t%d", i%7)}}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create namespaces: %v", err)
	}
	saNamespaces := []string{"default"}
	for i := range o.Namespaces {
		saNamespaces = append(saNamespaces, benchNamespace(i))
	}
	err = parallel(len(saNamespaces), workers, func(i int) error {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: saNamespaces[i]}}
		_, err := cs.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatalf("create ServiceAccounts: %v", err)
	}
	err = parallel(o.Nodes, workers, func(i int) error {
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: benchNode(i), Labels: map[string]string{
				"kubernetes.io/os": "linux", "kubernetes.io/hostname": benchNode(i), "topology.kubernetes.io/zone": fmt.Sprintf("cn-hangzhou-%c", 'h'+i%3),
			}},
			Spec: corev1.NodeSpec{PodCIDR: fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256)},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("172.16.%d.%d", i/250, 1+i%250)},
				{Type: corev1.NodeHostName, Address: benchNode(i)},
			}},
		}
		_, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("create Nodes: %v", err)
	}
	b.pods = make([]types.NamespacedName, o.Pods)
	err = parallel(o.Pods, workers, func(i int) error {
		ns := benchNamespace(i % o.Namespaces)
		app := fmt.Sprintf("app-%d", i%20)
		node := i % max(o.Nodes, 1)
		ip := fmt.Sprintf("10.%d.%d.%d", 64+node/256, node%256, 2+i/max(o.Nodes, 1)%250)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%05d", app, i), Namespace: ns,
				Labels: map[string]string{"app": app, "tier": []string{"web", "api", "db"}[i%3], "churn": "0"},
			},
			Spec: corev1.PodSpec{
				NodeName:   benchNode(node),
				Containers: []corev1.Container{{Name: "app", Image: "registry-vpc.cn-hangzhou.aliyuncs.com/acs/pause:3.10", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "http"}}}},
			},
		}
		got, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		got.Status = corev1.PodStatus{
			Phase:  corev1.PodRunning,
			HostIP: fmt.Sprintf("172.16.%d.%d", node/250, 1+node%250),
			PodIP:  ip, PodIPs: []corev1.PodIP{{IP: ip}},
			StartTime: &now,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, Image: pod.Spec.Containers[0].Image,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}},
		}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			return err
		}
		b.pods[i] = types.NamespacedName{Namespace: ns, Name: pod.Name}
		return nil
	})
	if err != nil {
		t.Fatalf("create Pods: %v", err)
	}
	err = parallel(o.Policies, workers, func(i int) error {
		np := benchPolicy(benchNamespace(i%max(o.Namespaces, 1)), fmt.Sprintf("allow-%05d", i), i)
		_, err := cs.NetworkingV1().NetworkPolicies(np.Namespace).Create(ctx, np, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("create NetworkPolicies: %v", err)
	}
}

// benchPolicy is a NetworkPolicy of the usual shape: it selects an app's
// pods and admits one tier of the same namespace and a team's namespaces
// on a port. Variant v changes the port (a change Felix must apply).
func benchPolicy(namespace, name string, v int) *networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	port := intstr.FromInt32(int32(8000 + v%1000))
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("app-%d", v%20)}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{
					{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": []string{"web", "api", "db"}[v%3]}}},
					{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprintf("t%d", v%7)}}},
				},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}
}

// ---- background load ----

// churn updates one pod label after another at a fixed rate while it runs,
// as rollouts and the kubelet keep a real cluster's pods changing: each
// update is an event on every pod watch (Felix's workload endpoints).
type churn struct {
	cs      kubernetes.Interface
	pods    []types.NamespacedName
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	next    int
	Updates atomic.Int64
	Errors  atomic.Int64
	lastErr atomic.Value
}

func newChurn(cs kubernetes.Interface, pods []types.NamespacedName) *churn {
	return &churn{cs: cs, pods: pods}
}

// start runs the churn at perSecond updates a second until pause.
func (c *churn) start(perSecond float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil || len(c.pods) == 0 || perSecond <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		tick := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			c.next++
			p := c.pods[c.next%len(c.pods)]
			patch := fmt.Appendf(nil, `{"metadata":{"labels":{"churn":"%d"}}}`, c.next)
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := c.cs.CoreV1().Pods(p.Namespace).Patch(rctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
			rcancel()
			if err != nil && ctx.Err() == nil {
				c.Errors.Add(1)
				c.lastErr.Store(err.Error())
				continue
			}
			c.Updates.Add(1)
		}
	}()
}

// pause stops the churn and waits for its last update.
func (c *churn) pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
	c.cancel = nil
}

func (c *churn) stop() { c.pause() }

// ---- process figures ----

// procFigures are one process's CPU seconds and resident memory now.
type procFigures struct {
	cpu float64 // user+system seconds since it started
	rss float64 // bytes
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100

// readProc reads /proc/pid: CPU seconds (stat fields 14 and 15) and VmRSS.
func readProc(pid int) (procFigures, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procFigures{}, err
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procFigures{}, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// After "pid (comm)": state is field 3, utime 14, stime 15.
	if len(f) < 13 {
		return procFigures{}, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return procFigures{}, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procFigures{}, err
	}
	var rss float64
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			fs := strings.Fields(line)
			kb, err := strconv.ParseFloat(fs[1], 64)
			if err != nil {
				return procFigures{}, fmt.Errorf("/proc/%d/status: %q", pid, line)
			}
			rss = kb * 1024
		}
	}
	return procFigures{cpu: (ut + st) / clockTicks, rss: rss}, nil
}

// sampler reads the resident memory of named processes every second and
// keeps, for each, the maximum and the mean since reset.
type sampler struct {
	mu    sync.Mutex
	pids  map[string]int
	stats map[string]rssStats
	quit  chan struct{}
	once  sync.Once
}

// rssStats are one process's RSS samples since a reset, in bytes.
type rssStats struct {
	max, sum float64
	n        int
}

func (r rssStats) mean() float64 {
	if r.n == 0 {
		return 0
	}
	return r.sum / float64(r.n)
}

func newSampler() *sampler {
	s := &sampler{pids: map[string]int{}, stats: map[string]rssStats{}, quit: make(chan struct{})}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *sampler) stop() { s.once.Do(func() { close(s.quit) }) }

func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, pid := range s.pids {
		f, err := readProc(pid)
		if err != nil {
			continue
		}
		st := s.stats[name]
		st.max = max(st.max, f.rss)
		st.sum += f.rss
		st.n++
		s.stats[name] = st
	}
}

// watch adds (or with pid 0 removes) a process to sample.
func (s *sampler) watch(name string, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pid == 0 {
		delete(s.pids, name)
		return
	}
	s.pids[name] = pid
}

// reset forgets the samples and returns them.
func (s *sampler) reset() map[string]rssStats {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	s.stats = map[string]rssStats{}
	return out
}

// ---- the API server's /metrics ----

// apiMetrics is what the benchmark reads from the API server's /metrics.
type apiMetrics struct {
	watches  map[string]int     // apiserver_longrunning_requests{verb="WATCH"}, by resource (group/resource)
	rejected map[string]float64 // apiserver_flowcontrol_rejected_requests_total, by "reason priority_level/flow_schema"
}

func (m apiMetrics) totalWatches() int {
	n := 0
	for _, v := range m.watches {
		n += v
	}
	return n
}

// scrape reads the API server's /metrics.
func (b *relayBench) scrape(t testing.TB) apiMetrics {
	t.Helper()
	var last error
	for range 5 { // the API server may be busy (or restarting)
		m, err := b.scrapeOnce()
		if err == nil {
			return m
		}
		last = err
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("the API server's /metrics: %v", last)
	return apiMetrics{}
}

func (b *relayBench) scrapeOnce() (apiMetrics, error) {
	ctx, cancel := context.WithTimeout(b.e.ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.e.c.config.Host+"/metrics", nil)
	resp, err := (&http.Client{Transport: b.metricsRT}).Do(req)
	if err != nil {
		return apiMetrics{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiMetrics{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return apiMetrics{}, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	return parseAPIMetrics(string(body))
}

// parseAPIMetrics reads the two metrics out of the Prometheus text format.
func parseAPIMetrics(text string) (apiMetrics, error) {
	m := apiMetrics{watches: map[string]int{}, rejected: map[string]float64{}}
	for _, line := range strings.Split(text, "\n") {
		var name string
		switch {
		case strings.HasPrefix(line, "apiserver_longrunning_requests{"):
			name = "watch"
		case strings.HasPrefix(line, "apiserver_flowcontrol_rejected_requests_total{"):
			name = "rejected"
		default:
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return m, fmt.Errorf("metric line %q", line)
		}
		labels := promLabels(line[strings.IndexByte(line, '{')+1 : end])
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return m, fmt.Errorf("metric line %q: %v", line, err)
		}
		if name == "watch" {
			if labels["verb"] != "WATCH" {
				continue
			}
			res := labels["resource"]
			if g := labels["group"]; g != "" {
				res = g + "/" + res
			}
			m.watches[res] += int(v)
			continue
		}
		m.rejected[labels["reason"]+" "+labels["priority_level"]+"/"+labels["flow_schema"]] += v
	}
	return m, nil
}

// promLabels parses `a="x",b="y"` (values without escaped quotes, as
// these metrics have).
func promLabels(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			break
		}
		rest := s[eq+2:]
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		out[s[:eq]] = rest[:q]
		s = strings.TrimPrefix(rest[q+1:], ",")
	}
	return out
}

// diffRejected is after minus before, by reason, without zeros.
func diffRejected(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// settledWatches waits until the WATCH count stays the same over two reads
// b.settle apart (watches open and close as clients start and stop) and
// returns the metrics; after bound it returns the last read.
func (b *relayBench) settledWatches(t testing.TB, bound time.Duration) apiMetrics {
	t.Helper()
	start := time.Now()
	prev := b.scrape(t)
	every := b.settle
	if every == 0 {
		every = 3 * time.Second
	}
	for {
		time.Sleep(every)
		m := b.scrape(t)
		if m.totalWatches() == prev.totalWatches() || time.Since(start) > bound {
			return m
		}
		prev = m
	}
}

// ---- Typha replicas ----

// renderFor renders Typha tag ("" the default) for a cluster of nodes
// nodes and applies the Deployment (so the container run is the one the
// cluster stores); it returns the replica count the Deployment sets.
func (b *relayBench) renderFor(t testing.TB, nodes int, tag string) int {
	t.Helper()
	opts := b.e.renderOptions(tag)
	opts.Nodes = nodes
	res := b.e.applyRenderedDeployment(t, opts)
	if res.Deployment.Spec.Replicas == nil {
		t.Fatal("the rendered Deployment sets no replicas")
	}
	return int(*res.Deployment.Spec.Replicas)
}

// renderedBinary is the Typha binary of the rendered image's tag.
func (b *relayBench) renderedBinary(t testing.TB) string {
	t.Helper()
	image := b.e.container.Image
	rel := image[strings.LastIndexByte(image, ':')+1:]
	bin := filepath.Join(b.calico, "calico-typha-"+rel)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the rendered image %s: no Typha %s in %s: %v", image, rel, b.calico, err)
	}
	return bin
}

// startReplicas starts r replicas of bin, each on a simulated node of its
// own, waits for each to pass the rendered readinessProbe and publishes
// them, ready, in the Endpoints (with what was running before).
func (b *relayBench) startReplicas(t testing.TB, name, bin string, r int) time.Duration {
	t.Helper()
	var started []*typhaReplica
	for i := range r {
		if b.nextHost > 254 {
			t.Fatalf("out of simulated node addresses (%s%d and up)", replicaNodeNet, replicaFirstHost)
		}
		rep := b.e.startTyphaReplica(t, fmt.Sprintf("%s-%d", name, i), bin, b.kubeconfig, b.nextHost)
		b.nextHost++
		b.sampler.watch(rep.name, rep.p.cmd.Process.Pid)
		started = append(started, rep)
	}
	took := b.e.waitReplicasReady(t, started, typhaReadyBound+time.Duration(r)*2*time.Second)
	b.replicas = append(b.replicas, started...)
	b.e.publishEndpoints(t, replicaAddresses(b.replicas))
	return took
}

// stopReplicas stops every replica and empties the Endpoints.
func (b *relayBench) stopReplicas(t testing.TB) {
	t.Helper()
	rs := b.replicas
	b.replicas = nil
	for _, r := range rs {
		r.p.stop(t)
		b.sampler.watch(r.name, 0)
	}
	b.e.publishEndpoints(t, nil)
}

// replicaFigures reads every running replica's /proc figures.
func (b *relayBench) replicaFigures(t testing.TB) []procFigures {
	t.Helper()
	var out []procFigures
	for _, r := range b.replicas {
		f, err := readProc(r.p.cmd.Process.Pid)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		out = append(out, f)
	}
	return out
}

func sumFigures(fs []procFigures) procFigures {
	var s procFigures
	for _, f := range fs {
		s.cpu += f.cpu
		s.rss += f.rss
	}
	return s
}

// ---- agents ----

// startSim starts a felixsim for a phase; the caller stops it (sim.p.stop).
func (b *relayBench) startSim(t testing.TB) *felixSim {
	t.Helper()
	// felixsim's heap grows with the agents (about 0.9 MiB each with 8,000
	// keys): a soft limit at seven tenths of the memory available now makes
	// its garbage collector work harder before it crowds out the rest.
	limit := fmt.Sprintf("GOMEMLIMIT=%dMiB", int(0.7*memAvailableMiB()))
	sim := b.e.startFelixSim(t, filepath.Join(b.calico, felixsimName), b.kubeconfig, limit)
	// With thousands of agents syncing on two cores, felixsim answers
	// slowly; what it answers is timed by its own clock.
	sim.HTTP.Timeout = 10 * time.Minute
	b.sampler.watch("felixsim", sim.p.cmd.Process.Pid)
	return sim
}

// agentSpecs are n agents named prefix-00000 and up, in mode; every
// hundredth one logs (Felix's own lines) into the cluster's directory.
func (b *relayBench) agentSpecs(prefix, mode string, from, n int) []felixsimclient.Spec {
	specs := make([]felixsimclient.Spec, n)
	for i := range specs {
		node := fmt.Sprintf("%s-%05d", prefix, from+i)
		specs[i] = felixsimclient.Spec{Node: node, Mode: mode}
		if mode == felixsimclient.ModeTypha {
			specs[i].TyphaService = b.e.felixService
		}
		if (from+i)%100 == 0 {
			specs[i].LogPath = filepath.Join(b.e.c.dir, "felix-"+node+".log")
		}
	}
	return specs
}

// rolloutBatch is how many agents start at once: a twentieth of them, at
// least 10, as a DaemonSet rollout of Terway (which restarts Felix) with
// maxUnavailable 5% would. All of them at once would measure felixsim's
// two shared cores instead: thousands of simulated Felix decoding their
// snapshots together starve each other until Felix's 10 s wait for Typha's
// hello runs out (measured: 1,476 restarts for 1,000 agents).
func rolloutBatch(n int) int { return max(10, (n+19)/20) }

// startAgents starts specs a batch at a time, the next batch when every
// agent started so far is in sync, as a rollout goes on when the pods it
// restarted are Ready.
func startAgents(ctx context.Context, sim *felixSim, specs []felixsimclient.Spec, bound time.Duration) error {
	batch := rolloutBatch(len(specs))
	start := time.Now()
	for i := 0; i < len(specs); i += batch {
		end := min(i+batch, len(specs))
		if err := sim.Start(ctx, specs[i:end]...); err != nil {
			return err
		}
		if _, err := waitInSync(ctx, sim, end, bound-time.Since(start)); err != nil {
			return fmt.Errorf("batch %d-%d of %d: %v", i, end, len(specs), err)
		}
	}
	return nil
}

// waitInSync waits until sim has n agents, all in sync, and returns the
// summary; an error after bound or when felixsim exits.
func waitInSync(ctx context.Context, sim *felixSim, n int, bound time.Duration) (felixsimclient.Summary, error) {
	start := time.Now()
	var sum felixsimclient.Summary
	for {
		if exited(sim.p) {
			return sum, fmt.Errorf("felixsim exited: %v\n%s", sim.p.waitErr, tail(sim.p.logPath, 20))
		}
		var err error
		sum, err = sim.Summary(ctx)
		if err == nil && sum.Clients == n && sum.ByStatus[felixsimclient.StatusInSync] == n {
			return sum, nil
		}
		if time.Since(start) > bound {
			return sum, fmt.Errorf("after %v: %d agents, by status %v (want %d in sync); summary error %v", bound, sum.Clients, sum.ByStatus, n, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ---- propagation ----

// percentiles of one set of latencies, in seconds.
type percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentilesOf(d []time.Duration) percentiles {
	if len(d) == 0 {
		return percentiles{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(i, 0)].Seconds()
	}
	return percentiles{N: len(s), P50: at(0.50), P99: at(0.99), Max: s[len(s)-1].Seconds()}
}

// waitEveryAgent waits until every agent of sim (n of them) holds key as
// wanted, first seen at or after since (present: its current revision;
// deleted: its deletion), and returns how long after since each saw it.
func waitEveryAgent(ctx context.Context, sim *felixSim, key string, deleted bool, since time.Time, n int, bound time.Duration) ([]time.Duration, error) {
	start := time.Now()
	for {
		seen, err := sim.Seen(ctx, key)
		if err != nil {
			return nil, err
		}
		var lat []time.Duration
		for _, s := range seen {
			if s.Deleted == deleted && !s.Seen.Before(since) {
				lat = append(lat, s.Seen.Sub(since))
			}
		}
		if len(lat) >= n {
			return lat, nil
		}
		if time.Since(start) > bound {
			return lat, fmt.Errorf("%d of %d agents have the %s of %s after %v", len(lat), n, map[bool]string{false: "current revision", true: "deletion"}[deleted], key, bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// propagate creates, changes and deletes a NetworkPolicy rounds times and
// returns, per operation, how long each of the n agents took to see it.
func (b *relayBench) propagate(sim *felixSim, n, rounds int, bound time.Duration) (map[string][]time.Duration, error) {
	out := map[string][]time.Duration{}
	nps := b.admin.NetworkingV1().NetworkPolicies(b.probeNS)
	for range rounds {
		b.probes++
		name := fmt.Sprintf("probe-%04d", b.probes)
		key := felixsimclient.KubernetesNetworkPolicyKey(b.probeNS, name)
		var stored *networkingv1.NetworkPolicy
		for _, s := range []struct {
			op      string
			deleted bool
			do      func() error
		}{
			{"create", false, func() (err error) {
				stored, err = nps.Create(b.e.ctx, benchPolicy(b.probeNS, name, b.probes), metav1.CreateOptions{})
				return err
			}},
			{"change", false, func() error {
				np := benchPolicy(b.probeNS, name, b.probes+1)
				np.ResourceVersion = stored.ResourceVersion
				_, err := nps.Update(b.e.ctx, np, metav1.UpdateOptions{})
				return err
			}},
			{"delete", true, func() error { return nps.Delete(b.e.ctx, name, metav1.DeleteOptions{}) }},
		} {
			since := time.Now()
			if err := s.do(); err != nil {
				return out, fmt.Errorf("%s NetworkPolicy %s/%s: %v", s.op, b.probeNS, name, err)
			}
			lat, err := waitEveryAgent(b.e.ctx, sim, key, s.deleted, since, n, bound)
			if err != nil {
				return out, fmt.Errorf("%s: %v", s.op, err)
			}
			out[s.op] = append(out[s.op], lat...)
			time.Sleep(500 * time.Millisecond)
		}
	}
	return out, nil
}

// ---- the API server's key set ----

// reference starts one more agent, direct against the API server with
// libcalico-go's felixsyncer (what Felix does without Typha), waits until
// it is in sync and returns its name and key set hash: the API server's
// state as Felix 3.24.5 reads it. The caller stops it.
func (b *relayBench) reference(ctx context.Context, sim *felixSim, name string, bound time.Duration) (string, error) {
	spec := felixsimclient.Spec{Node: name, Mode: felixsimclient.ModeDirect}
	if err := sim.Start(ctx, spec); err != nil {
		return "", err
	}
	start := time.Now()
	for {
		row, err := sim.Client(ctx, name)
		if err != nil {
			return "", err
		}
		if row.Status == felixsimclient.StatusInSync {
			return row.KeysHash, nil
		}
		if time.Since(start) > bound {
			return "", fmt.Errorf("reference agent %s not in sync after %v: %+v", name, bound, row)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// keySetDiff is how an agent's key set differs from the reference's.
type keySetDiff struct {
	Agent   string   `json:"agent"`
	Only    []string `json:"onlyAgent,omitempty"`     // keys only the agent holds
	Missing []string `json:"onlyReference,omitempty"` // keys only the reference holds
	Values  []string `json:"valuesDiffer,omitempty"`  // keys whose values differ
}

func (d *keySetDiff) String() string {
	if d == nil {
		return "no difference"
	}
	few := func(l []string) string {
		if len(l) > 5 {
			return fmt.Sprintf("%q and %d more", l[:5], len(l)-5)
		}
		return fmt.Sprintf("%q", l)
	}
	return fmt.Sprintf("agent %s: %d keys only it holds %s; %d only the reference %s; %d values differ %s",
		d.Agent, len(d.Only), few(d.Only), len(d.Missing), few(d.Missing), len(d.Values), few(d.Values))
}

// within reports whether every key of the difference starts with one of
// prefixes.
func (d *keySetDiff) within(prefixes ...string) bool {
	for _, l := range [][]string{d.Only, d.Missing, d.Values} {
		for _, k := range l {
			if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
				return false
			}
		}
	}
	return true
}

// converged waits until every agent of sim is in sync with the reference's
// key set (the churn paused, so that the key set holds still). When all n
// agents are in sync and agree on another key set for 5 s, it returns how
// that differs; after bound, an error.
func (b *relayBench) converged(ctx context.Context, sim *felixSim, n int, tag string, bound time.Duration) (*keySetDiff, error) {
	b.churn.pause()
	refName := "reference-" + tag
	ref, err := b.reference(ctx, sim, refName, bound)
	defer func() { _ = sim.Stop(context.Background(), refName) }()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var agreeSince time.Time
	for {
		sum, err := sim.Summary(ctx)
		if err != nil {
			return nil, err
		}
		inSync := sum.Clients == n+1 && sum.ByStatus[felixsimclient.StatusInSync] == n+1
		if inSync && sum.ByKeysHash[ref] == n+1 {
			return nil, nil
		}
		other := inSync && len(sum.ByKeysHash) == 2 && sum.ByKeysHash[ref] == 1
		switch {
		case !other:
			agreeSince = time.Time{}
		case agreeSince.IsZero():
			agreeSince = time.Now()
		case time.Since(agreeSince) >= 5*time.Second:
			d, err := keyDiff(ctx, sim, refName, ref)
			return d, err
		}
		if time.Since(start) > bound {
			d, derr := keyDiff(ctx, sim, refName, ref)
			return d, fmt.Errorf("%d of %d agents do not hold the API server's key set (that of %s, %s) after %v: by hash %v, by status %v; %s (%v)",
				sum.Clients-sum.ByKeysHash[ref], n, refName, ref, bound, sum.ByKeysHash, sum.ByStatus, d, derr)
		}
		time.Sleep(time.Second)
	}
}

// keyDiff compares the first agent whose key set differs from the
// reference's with it.
func keyDiff(ctx context.Context, sim *felixSim, refName, ref string) (*keySetDiff, error) {
	rows, err := sim.Clients(ctx)
	if err != nil {
		return nil, err
	}
	d := &keySetDiff{}
	for _, r := range rows {
		if r.KeysHash != ref && r.Node != refName {
			d.Agent = r.Node
			break
		}
	}
	if d.Agent == "" {
		return nil, nil
	}
	want, err := sim.Keys(ctx, refName)
	if err != nil {
		return nil, err
	}
	got, err := sim.Keys(ctx, d.Agent)
	if err != nil {
		return nil, err
	}
	for k, v := range got {
		w, ok := want[k]
		switch {
		case !ok:
			d.Only = append(d.Only, k)
		case !bytes.Equal(v, w):
			d.Values = append(d.Values, k)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			d.Missing = append(d.Missing, k)
		}
	}
	slices.Sort(d.Only)
	slices.Sort(d.Missing)
	slices.Sort(d.Values)
	return d, nil
}

// ---- JSON ----

// writeJSONFile writes v as indented JSON to path (a temporary file first).
func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadAverage reads /proc/loadavg: the 1, 5 and 15 minute load averages.
func loadAverage() [3]float64 {
	var l [3]float64
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(data))
	for i := range l {
		if i < len(f) {
			l[i], _ = strconv.ParseFloat(f[i], 64)
		}
	}
	return l
}
