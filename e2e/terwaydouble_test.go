//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/terway"
)

// terwayDouble is a test double of Terway's policy container, and only of
// what the plan depends on. It is not Terway: it programs nothing and
// allocates no ENI. kwok runs the Terway DaemonSet's pods (Ready as soon as
// they are scheduled: Terway's own readinessProbe is a TCP connect to
// Felix's health port, which opens when Felix starts, not when it is in
// sync), and when one starts on a node, the double does what Terway's
// policy container does at start:
//
//   - it reads eni-config at that moment, as the kubelet resolves the
//     container's env from it (DISABLE_POLICY, FELIX_TYPHAK8SSERVICENAME) and
//     Terway reads its CNI configuration from the mounted ConfigMap;
//   - it decides the NetworkPolicy engine with the library's own reading of
//     Terway (terway.ReadEngine: cmd/terway-cli/policy.go), and on an
//     exclusive-ENI node runs none (terway.LabelExclusiveENI);
//   - where the engine is Felix, it starts that node's Felix 3.24.5 in
//     felixsim: through Typha when FELIX_TYPHAK8SSERVICENAME names a Service
//     (Felix's own discovery over its Endpoints in kube-system), directly
//     against the API server when it is absent, empty or "none";
//   - `kubectl exec POD -c policy -- CMD` runs CMD with the container's
//     resolved env (a kwok Exec object), and `kubectl logs POD -c policy`
//     returns that node's Felix log in the CRI format (a kwok Logs object).
//
// Once started, a pod keeps what it read: a later eni-config edit reaches it
// only when the pod is replaced (`kubectl rollout restart`), as with
// Terway. When the pod goes, its Felix stops. Virtual nodes get no Terway
// pod (the DaemonSet's affinity keeps it off them).
type terwayDouble struct {
	s     *simCluster
	t     *testing.T
	felix *felixSim

	queues []chan *corev1.Pod // per-node order: a node's events go to one worker
	wg     sync.WaitGroup

	mu      sync.Mutex
	current map[string]*terwayPod // node name -> the pod whose Felix runs there
	started []terwayStart         // every start, in order
	held    []felixsimclient.Spec // Felix starts deferred while holding (the cluster's bring-up)
	holding bool
}

// terwayPod is what one Terway pod read at its start.
type terwayPod struct {
	uid     types.UID
	name    string
	node    string
	engine  terway.Engine
	why     string // the setting that decided the engine
	felix   *felixsimclient.Spec
	env     []corev1.EnvVar
	logPath string
	at      time.Time
}

// terwayStart records one pod start for the test's assertions.
type terwayStart struct {
	pod, node string
	engine    terway.Engine
	mode      string // felixsimclient.ModeDirect or felixsimclient.ModeTypha when the engine is Felix
	service   string // the Typha Service in typha mode
	at        time.Time
}

const terwayWorkers = 8

// startTerwayDouble runs the double for the DaemonSet pods that match
// selector, until the test ends.
func startTerwayDouble(t *testing.T, s *simCluster, felix *felixSim, selector map[string]string) *terwayDouble {
	d := &terwayDouble{s: s, t: t, felix: felix, current: map[string]*terwayPod{}}
	for range terwayWorkers {
		q := make(chan *corev1.Pod, 1024)
		d.queues = append(d.queues, q)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for pod := range q {
				d.handle(pod)
			}
		}()
	}
	// Registered before the informer's, so it runs after the informer stops.
	t.Cleanup(func() {
		for _, q := range d.queues {
			close(q)
		}
		d.wg.Wait()
	})
	enqueue := func(obj any) {
		if del, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = del.Obj
		}
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.Spec.NodeName == "" {
			return
		}
		h := fnv.New32a()
		h.Write([]byte(pod.Spec.NodeName))
		d.queues[h.Sum32()%terwayWorkers] <- pod
	}
	s.podInformer(t, terway.ENIConfigNamespace, selector, cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: func(obj any) {
			if del, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = del.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				gone := pod.DeepCopy()
				if gone.DeletionTimestamp == nil {
					gone.DeletionTimestamp = ptr(gone.CreationTimestamp) // any non-nil value: the pod is gone
				}
				enqueue(gone)
			}
		},
	})
	return d
}

// handle starts the pod's Felix when the pod runs, and stops it when the
// pod goes.
func (d *terwayDouble) handle(pod *corev1.Pod) {
	ctx := d.s.ctx
	if ctx.Err() != nil {
		return
	}
	node := pod.Spec.NodeName
	d.mu.Lock()
	cur := d.current[node]
	d.mu.Unlock()
	if pod.DeletionTimestamp != nil {
		if cur == nil || cur.uid != pod.UID {
			return // a pod that never ran, or one already replaced
		}
		d.mu.Lock()
		delete(d.current, node)
		d.mu.Unlock()
		if cur.felix != nil {
			err := d.retry(ctx, "stop Felix of "+node, func() error {
				err := d.felix.Stop(ctx, node)
				if err != nil && strings.Contains(err.Error(), "HTTP 404") {
					return nil // an earlier try that timed out stopped it
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				d.t.Errorf("Terway double: stop Felix of %s (pod %s went): %v", node, pod.Name, err)
			}
		}
		return
	}
	if cur != nil && cur.uid == pod.UID {
		return // already started
	}
	if pod.Status.Phase != corev1.PodRunning || !podReady(pod) {
		return
	}
	var tp *terwayPod
	err := d.retry(ctx, "start pod "+pod.Name+" on "+node, func() error {
		var err error
		tp, err = d.start(ctx, pod)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			d.t.Errorf("Terway double: start pod %s on %s: %v", pod.Name, node, err)
		}
		return
	}
	d.mu.Lock()
	d.current[node] = tp
	st := terwayStart{pod: pod.Name, node: node, engine: tp.engine, at: tp.at}
	if tp.felix != nil {
		st.mode, st.service = tp.felix.Mode, tp.felix.TyphaService
	}
	d.started = append(d.started, st)
	d.mu.Unlock()
}

// retryBound is how long the double retries a start or stop that fails
// (the API server or felixsim not answering in time, on a busy machine),
// as the kubelet retries a container.
const retryBound = 3 * time.Minute

// retry calls f until it succeeds, the test ends, or retryBound passes.
func (d *terwayDouble) retry(ctx context.Context, what string, f func() error) error {
	deadline := time.Now().Add(retryBound)
	for {
		err := f()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (retried for %v)", err, retryBound)
		}
		d.t.Logf("Terway double: %s: %v; retrying", what, err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// start does what the pod's policy container does when it starts.
func (d *terwayDouble) start(ctx context.Context, pod *corev1.Pod) (*terwayPod, error) {
	tp := &terwayPod{uid: pod.UID, name: pod.Name, node: pod.Spec.NodeName, at: time.Now()}
	var policy *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == terwayPolicyContainer {
			policy = &pod.Spec.Containers[i]
		}
	}
	if policy == nil {
		return nil, fmt.Errorf("pod has no %s container", terwayPolicyContainer)
	}
	// eni-config now: the env the kubelet gives the container, and the CNI
	// configuration Terway reads.
	cms, err := d.s.configMaps(ctx, pod.Namespace)
	if err != nil {
		return nil, err
	}
	eni := cms[terway.ENIConfigName]
	if eni == nil {
		return nil, fmt.Errorf("no ConfigMap %s/%s", pod.Namespace, terway.ENIConfigName)
	}
	env, err := containerEnv(pod, policy, cms)
	if err != nil {
		return nil, err
	}
	tp.env = env

	node := d.s.node(tp.node)
	switch {
	case node == nil:
		return nil, fmt.Errorf("node %s is not one of the simulated nodes", tp.node)
	case node.kind == exclusiveENINode:
		tp.engine, tp.why = terway.EngineNone, terway.SkipExclusiveENI
	default:
		r, err := terway.ReadEngine(eni.Data)
		if err != nil {
			return nil, err
		}
		tp.engine, tp.why = r.Engine, r.Decided()+" "+r.Reason
	}

	dir := filepath.Join(d.s.dir, "pods")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tp.logPath = filepath.Join(dir, pod.Namespace+"_"+pod.Name+"_"+terwayPolicyContainer+".log")
	if err := os.WriteFile(tp.logPath, nil, 0o644); err != nil {
		return nil, err
	}
	if tp.engine == terway.EngineFelix {
		spec := &felixsimclient.Spec{Node: tp.node, Mode: felixsimclient.ModeDirect, LogPath: tp.logPath}
		if svc, ok := typhaServiceOf(env); ok {
			spec.Mode, spec.TyphaNamespace, spec.TyphaService = felixsimclient.ModeTypha, terway.ENIConfigNamespace, svc
		}
		tp.felix = spec
	}
	// kubectl logs and exec for the pod, before Felix starts logging.
	if err := d.s.kwokPodObjects(ctx, pod, tp.logPath, map[string][]corev1.EnvVar{terwayPolicyContainer: env}, nil, ""); err != nil {
		return nil, err
	}
	if tp.felix != nil {
		d.mu.Lock()
		holding := d.holding
		if holding {
			d.held = append(d.held, *tp.felix)
		}
		d.mu.Unlock()
		if !holding {
			if err := d.felix.Start(ctx, *tp.felix); err != nil {
				return nil, err
			}
		}
	}
	return tp, nil
}

// hold defers the start of Felix (not the reading of eni-config, which
// happens when each pod starts) until release: the simulated cluster's
// bring-up starts Terway on every node at once, and every Felix started
// while the others' pods are still being created would receive each of
// those pods' events, N² in all, which is what Typha is for but not what
// the rehearsal measures. The rehearsal itself never holds.
func (d *terwayDouble) hold() {
	d.mu.Lock()
	d.holding = true
	d.mu.Unlock()
}

// release starts every held Felix, releaseBatch at a time, each batch
// once the one before is in sync (or after releaseWait): 500 Felix agents
// that list every pod and node of the cluster at once starve a busy
// 2-core machine, until client keepalives time out and every watch starts
// over (measured); in batches the same work finishes.
func (d *terwayDouble) release(ctx context.Context) error {
	d.mu.Lock()
	held := d.held
	d.held, d.holding = nil, false
	d.mu.Unlock()
	for len(held) > 0 {
		batch := held[:min(releaseBatch, len(held))]
		held = held[len(batch):]
		if err := d.retry(ctx, fmt.Sprintf("start %d held Felix agents", len(batch)), func() error { return d.felix.Start(ctx, batch...) }); err != nil {
			return err
		}
		deadline := time.Now().Add(releaseWait)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if d.inSync(ctx, batch) {
				break
			}
			time.Sleep(time.Second)
		}
	}
	return nil
}

// How the held Felix agents start (release).
const (
	releaseBatch = 50
	releaseWait  = 3 * time.Minute
)

// inSync reports whether every client of specs is in sync.
func (d *terwayDouble) inSync(ctx context.Context, specs []felixsimclient.Spec) bool {
	clients, err := d.felix.Clients(ctx)
	if err != nil {
		return false
	}
	status := make(map[string]string, len(clients))
	for _, c := range clients {
		status[c.Node] = c.Status
	}
	for _, sp := range specs {
		if status[sp.Node] != felixsimclient.StatusInSync {
			return false
		}
	}
	return true
}

// terwayPolicyContainer is the Terway DaemonSet's container that runs
// Felix (the chart's policy container).
const terwayPolicyContainer = "policy"

// typhaServiceOf reads FELIX_TYPHAK8SSERVICENAME from the policy
// container's env as Felix does (Terway passes felix_relay_service through
// unchanged): absent, empty or "none" in any case means no Typha, and so
// does a value that is not one line, which fails Felix's validation (Felix
// then runs without Typha) [design.md, felix_relay_service].
func typhaServiceOf(env []corev1.EnvVar) (string, bool) {
	for _, e := range env {
		if e.Name != "FELIX_TYPHAK8SSERVICENAME" {
			continue
		}
		v := e.Value
		if v == "" || strings.EqualFold(v, "none") || strings.ContainsAny(v, "\r\n") {
			return "", false
		}
		return v, true
	}
	return "", false
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// running returns what each node's current Terway pod read at its start.
func (d *terwayDouble) running() map[string]terwayPod {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]terwayPod, len(d.current))
	for n, p := range d.current {
		out[n] = *p
	}
	return out
}

// starts returns every pod start so far, in order.
func (d *terwayDouble) starts() []terwayStart {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]terwayStart(nil), d.started...)
}
