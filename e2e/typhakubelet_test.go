//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"

	"github.com/typharender/typharender/render"
)

// typhaKubelet is the kubelet of the simulated cluster's pods that run a
// Typha image: where kwok pretends, it runs. Every pod of kube-system with
// a container image REGISTRY/.../typha:TAG (the rendered Deployment's pods,
// and the plan's image-pull check), once the scheduler has put it on a
// node, becomes a real Typha process:
//
//   - the binary is the one its image names (binFor: e.g.
//     quay.io/calico/typha:v3.24.5 is calico-typha-v3.24.5 from
//     hack/calico-binaries.sh): that is what "the node can pull the image"
//     means here. An image with no binary cannot be pulled (ErrImagePull,
//     then ImagePullBackOff), and the pod never runs. The container's
//     command, if it has one, must start with calico-typha, the image's
//     binary; its arguments and args are passed on, and restartPolicy is
//     followed (the image-pull check runs calico-typha --version once);
//   - it runs in a network namespace of its own: for a hostNetwork pod the
//     node's (nodeNetns), so that several Typhas bind 5473, 9093 and 9098
//     as they would on their nodes, with the pod's container ports
//     published on the node's address, where Felix's discovery, the API
//     server's pod proxy and kubectl port-forward reach them;
//   - its environment is the container's, resolved as the kubelet does, and
//     it reaches the API server as in-cluster clients do: the pod's
//     ServiceAccount volume (a token bound to the pod from TokenRequest, the
//     CA, the namespace) at /var/run/secrets/kubernetes.io/serviceaccount in
//     a mount namespace of its own, and KUBERNETES_SERVICE_HOST/PORT naming
//     the API server at 127.0.0.1, which the node's namespace forwards (the
//     kubelet names the kubernetes Service, which kube-proxy forwards). So
//     Typha's connection rebalancing, which reads the API server with the
//     in-cluster configuration only, works too;
//   - the pod's status is written as a kubelet writes it, and Ready follows
//     the container's readinessProbe, sent to the real Typha: kwok's
//     pod-ready stage, which would mark the pod Ready at once, leaves these
//     pods alone (see kwokStages). The livenessProbe restarts the process,
//     as does its exit, with the kubelet's back-off;
//   - its log, in the CRI format, is what `kubectl logs` returns for the pod
//     (a kwok Logs object), and `kubectl port-forward` reaches its ports (a
//     kwok PortForward object).
//
// Typha on a virtual node (type=virtual-kubelet: ECI, no host network) does
// not run: the pod stays Pending.
type typhaKubelet struct {
	s      *simCluster
	t      *testing.T
	binFor func(image string) (string, error)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	pods     map[types.UID]*typhaPod
	runs     int               // processes started, for unique log names
	blocked  map[int32]bool    // node ports a firewall rejects (blockPort)
	imageIDs map[string]string // by binary
}

// typhaPod is one Typha pod this kubelet runs.
type typhaPod struct {
	k         *typhaKubelet
	namespace string
	name      string
	uid       types.UID
	node      *simNode
	container corev1.Container
	logPath   string
	stop      chan struct{}
	done      chan struct{}

	mu          sync.Mutex
	exitCode    int  // of a container that ran to its end
	ranToEnd    bool // it did (restartPolicy Never, or OnFailure with status 0)
	hostNetwork bool
	ns          *nodeNetns
	proc        *process
	ready       bool
	restarts    int
	events      []string // what happened, timestamped, for failure messages
}

// saMountPath is where a pod's ServiceAccount volume is mounted.
const saMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// typhaImageMarker is in the image of every container this kubelet runs
// (and kwok leaves alone: see typhaPodsExcluded): REGISTRY/.../typha:TAG.
const typhaImageMarker = "/typha:"

// runsTyphaImage reports whether a container of pod runs a Typha image.
func runsTyphaImage(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Spec.Containers, func(c corev1.Container) bool { return strings.Contains(c.Image, typhaImageMarker) })
}

// startTyphaKubelet runs the kubelet until the test ends.
func startTyphaKubelet(t *testing.T, s *simCluster, binFor func(image string) (string, error)) *typhaKubelet {
	ctx, cancel := context.WithCancel(s.ctx)
	k := &typhaKubelet{s: s, t: t, binFor: binFor, ctx: ctx, cancel: cancel, pods: map[types.UID]*typhaPod{}, blocked: map[int32]bool{}, imageIDs: map[string]string{}}
	t.Cleanup(k.shutdown) // runs after the informer's cleanup: no event arrives during shutdown
	s.podInformer(t, render.Namespace, nil, cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.sync(obj.(*corev1.Pod)) },
		UpdateFunc: func(_, obj any) { k.sync(obj.(*corev1.Pod)) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if pod, ok := obj.(*corev1.Pod); ok {
				k.kill(pod.UID, "deleted")
			}
		},
	})
	return k
}

// shutdown stops every Typha and waits for them.
func (k *typhaKubelet) shutdown() {
	k.cancel()
	k.mu.Lock()
	for _, p := range k.pods {
		p.halt()
	}
	k.mu.Unlock()
	k.wg.Wait()
}

// sync starts a pod that has a node and is not running yet, and stops one
// that is being deleted.
func (k *typhaKubelet) sync(pod *corev1.Pod) {
	if !runsTyphaImage(pod) {
		return
	}
	if pod.DeletionTimestamp != nil {
		k.kill(pod.UID, "terminating")
		return
	}
	if pod.Spec.NodeName == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ctx.Err() != nil {
		return
	}
	if _, ok := k.pods[pod.UID]; ok {
		return
	}
	p := &typhaPod{k: k, namespace: pod.Namespace, name: pod.Name, uid: pod.UID, stop: make(chan struct{}), done: make(chan struct{})}
	k.pods[pod.UID] = p
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer close(p.done)
		p.run(pod.DeepCopy())
	}()
}

// blockPort makes every node refuse connections to port from other nodes,
// now and for Typha pods started later, as a security group without a rule
// for it does (rejecting); the pods' processes still listen and their
// probes, sent on the node itself, still pass.
func (k *typhaKubelet) blockPort(port int32) {
	k.mu.Lock()
	k.blocked[port] = true
	k.mu.Unlock()
	for _, p := range k.all() {
		p.mu.Lock()
		ns, node := p.ns, p.node
		p.mu.Unlock()
		if ns != nil {
			ns.Unpublish(net.JoinHostPort(node.ip, strconv.Itoa(int(port))))
		}
	}
}

// unblockPort undoes blockPort: the port is published again on every node
// whose hostNetwork Typha pod runs.
func (k *typhaKubelet) unblockPort(port int32) {
	k.mu.Lock()
	delete(k.blocked, port)
	k.mu.Unlock()
	for _, p := range k.all() {
		p.mu.Lock()
		ns, node, hostNetwork := p.ns, p.node, p.hostNetwork
		p.mu.Unlock()
		if ns == nil || !hostNetwork || !slices.ContainsFunc(p.container.Ports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == port }) {
			continue
		}
		if err := ns.Publish(net.JoinHostPort(node.ip, strconv.Itoa(int(port)))); err != nil {
			p.note("publish port %d again: %v", port, err)
		}
	}
}

// exitedPod returns the exit status of the container of a pod named name
// that ran to its end (restartPolicy Never), if one did.
func (k *typhaKubelet) exitedPod(name string) (code int, ok bool) {
	for _, p := range k.all() {
		p.mu.Lock()
		c, done := p.exitCode, p.ranToEnd
		p.mu.Unlock()
		if p.name == name && done {
			return c, true
		}
	}
	return 0, false
}

// kill stops the pod's Typha, if it runs.
func (k *typhaKubelet) kill(uid types.UID, why string) {
	k.mu.Lock()
	p := k.pods[uid]
	k.mu.Unlock()
	if p != nil {
		p.note("pod %s: stopping Typha", why)
		p.halt()
	}
}

// running returns the hostNetwork pods whose Typha process runs (at most
// one per node: they share its ports), by node name.
func (k *typhaKubelet) running() map[string]*typhaPod {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]*typhaPod{}
	for _, p := range k.pods {
		p.mu.Lock()
		if p.hostNetwork && p.proc != nil && !exited(p.proc) {
			out[p.node.name] = p
		}
		p.mu.Unlock()
	}
	return out
}

// all returns every pod the kubelet has seen, running or not.
func (k *typhaKubelet) all() []*typhaPod {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]*typhaPod, 0, len(k.pods))
	for _, p := range k.pods {
		out = append(out, p)
	}
	return out
}

func (p *typhaPod) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
}

func (p *typhaPod) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	p.events = append(p.events, time.Now().Format("15:04:05.000")+" "+msg)
	p.mu.Unlock()
	p.k.t.Logf("Typha pod %s/%s: %s", p.namespace, p.name, msg)
}

// history is what happened to the pod, one line per event.
func (p *typhaPod) history() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.events, "\n")
}

func (p *typhaPod) String() string {
	if p.node == nil {
		return p.namespace + "/" + p.name
	}
	return fmt.Sprintf("%s/%s on %s (%s)", p.namespace, p.name, p.node.name, p.node.ip)
}

// run is the pod's life: set up the node side, then start the container
// and probe it until the pod goes.
func (p *typhaPod) run(pod *corev1.Pod) {
	k := p.k
	ctx := k.ctx
	node := k.s.node(pod.Spec.NodeName)
	if node == nil {
		p.note("node %s is not one of the simulated nodes; not started", pod.Spec.NodeName)
		return
	}
	p.node = node
	if len(pod.Spec.Containers) != 1 {
		p.note("has %d containers; the Typha kubelet runs pods of one container", len(pod.Spec.Containers))
		return
	}
	p.container = pod.Spec.Containers[0]
	waiting := func(reason, msg string) {
		p.note("%s: %s", reason, msg)
		p.writeStatus(ctx, func(st *corev1.PodStatus) {
			st.Phase = corev1.PodPending
			st.HostIP, st.HostIPs = node.ip, []corev1.HostIP{{IP: node.ip}}
			st.ContainerStatuses = []corev1.ContainerStatus{{
				Name: p.container.Name, Image: p.container.Image,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
			}}
		})
	}
	hostNetwork := pod.Spec.HostNetwork
	p.mu.Lock()
	p.hostNetwork = hostNetwork
	p.mu.Unlock()
	if hostNetwork && node.kind == virtualNode {
		waiting("HostNetworkUnsupported", fmt.Sprintf("node %s is a virtual node (%s): no host network for a hostNetwork pod", node.name, "type=virtual-kubelet"))
		return
	}
	bin, err := k.binFor(p.container.Image)
	if err != nil {
		waiting("ErrImagePull", err.Error())
		select { // the kubelet backs off from the next pull
		case <-time.After(2 * time.Second):
		case <-p.stop:
			return
		}
		waiting("ImagePullBackOff", "Back-off pulling image "+strconv.Quote(p.container.Image)+": "+err.Error())
		return
	}
	var args []string
	if c := p.container.Command; len(c) > 0 {
		if c[0] != "calico-typha" && c[0] != "/calico-typha" {
			waiting("CreateContainerError", fmt.Sprintf("exec: %q: executable file not found in $PATH (the image's binary is calico-typha)", c[0]))
			return
		}
		args = append(args, c[1:]...)
	}
	args = append(args, p.container.Args...)
	imageID, err := k.imageID(bin)
	if err != nil {
		p.note("%v", err)
		return
	}
	podIP := ""
	if hostNetwork {
		podIP = node.ip
	}

	// The node's network namespace and its forwarders.
	ns, err := newNodeNetns()
	if err != nil {
		p.note("network namespace: %v", err)
		return
	}
	defer ns.Close()
	if err := ns.Reach(k.s.apiAddr, k.s.apiAddr); err != nil {
		p.note("%v", err)
		return
	}
	p.mu.Lock()
	p.ns = ns
	p.mu.Unlock()
	for _, cp := range p.container.Ports {
		if !hostNetwork {
			break // a pod network the simulated cluster does not have: nothing reaches its ports
		}
		if cp.Protocol != "" && cp.Protocol != corev1.ProtocolTCP {
			continue
		}
		addr := net.JoinHostPort(node.ip, strconv.Itoa(int(cp.ContainerPort)))
		k.mu.Lock()
		blocked := k.blocked[cp.ContainerPort]
		k.mu.Unlock()
		if blocked {
			p.note("port %d is blocked (blockPort): not published on %s", cp.ContainerPort, node.ip)
			continue
		}
		if err := ns.Publish(addr); err != nil {
			// Another process has the node's port: a real node would
			// refuse the pod's host port too.
			waiting("HostPortInUse", err.Error())
			return
		}
	}

	// The container's environment, as the kubelet resolves it now.
	cms, err := k.s.configMaps(ctx, pod.Namespace)
	if err != nil {
		p.note("read ConfigMaps: %v", err)
		return
	}
	env, err := containerEnv(pod, &p.container, cms)
	if err != nil {
		waiting("CreateContainerConfigError", err.Error())
		return
	}
	// The ServiceAccount's volume, as the kubelet projects it: a token bound
	// to the pod, the cluster's CA and the namespace.
	tokenDir := filepath.Join(k.s.dir, "pods", pod.Namespace+"_"+pod.Name+"_serviceaccount")
	if err := os.MkdirAll(tokenDir, 0o755); err != nil {
		p.note("%v", err)
		return
	}
	if am := pod.Spec.AutomountServiceAccountToken; am == nil || *am {
		if err := k.s.writeServiceAccountVolume(ctx, pod, tokenDir); err != nil {
			waiting("CreateContainerConfigError", "ServiceAccount token: "+err.Error())
			return
		}
	}
	_, apiPort, _ := net.SplitHostPort(k.s.apiAddr)
	// The pod's env: the container's, the image's PATH, and the API server
	// as in-cluster clients find it (the kubelet gives the kubernetes
	// Service's address, which kube-proxy forwards; here the node's
	// loopback forwards it).
	cmdEnv := append(envStrings(env), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT="+apiPort)

	p.logPath = filepath.Join(k.s.dir, "pods", pod.Namespace+"_"+pod.Name+"_"+p.container.Name+".log")
	if err := os.MkdirAll(filepath.Dir(p.logPath), 0o755); err != nil {
		p.note("%v", err)
		return
	}
	clog, err := createCRILog(p.logPath)
	if err != nil {
		p.note("%v", err)
		return
	}
	defer clog.Close()
	var ports []corev1.ContainerPort
	if hostNetwork {
		ports = p.container.Ports
	}
	if err := k.s.kwokPodObjects(ctx, pod, p.logPath, map[string][]corev1.EnvVar{p.container.Name: env}, ports, node.ip); err != nil {
		p.note("kwok objects: %v", err)
	}

	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		p.note("nsenter (util-linux) is needed to run Typha in the node's network namespace: %v", err)
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		p.note("unshare (util-linux) is needed to give Typha its ServiceAccount volume: %v", err)
		return
	}
	start := func() error {
		k.mu.Lock()
		k.runs++
		name := fmt.Sprintf("typha-%s-%d", node.name, k.runs)
		k.mu.Unlock()
		// In the node's network namespace, and a mount namespace of its
		// own where the ServiceAccount volume is at the path in-cluster
		// clients read (/var/run is /run; an empty tmpfs hides the
		// host's /run from Typha, which does not use it).
		argv := append(ns.NsenterArgs(), unshare, "--mount", "--propagation", "private", "--",
			"/bin/sh", "-c", `mount -t tmpfs -o size=1m tmpfs /run && mkdir -p `+saMountPath+` && mount --bind "$0" `+saMountPath+` && exec "$@"`,
			tokenDir, bin)
		cmd := exec.Command(nsenter, append(argv, args...)...)
		cmd.Env = cmdEnv
		cmd.Stdout = clog.writer("stdout")
		cmd.Stderr = clog.writer("stderr")
		proc, err := k.s.launch(k.t, name, cmd, p.logPath)
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.proc = proc
		p.ready = false
		p.mu.Unlock()
		now := metav1.Now()
		p.writeStatus(ctx, func(st *corev1.PodStatus) {
			st.Phase = corev1.PodRunning
			st.HostIP, st.HostIPs = node.ip, []corev1.HostIP{{IP: node.ip}}
			if podIP != "" {
				st.PodIP, st.PodIPs = podIP, []corev1.PodIP{{IP: podIP}}
			}
			if st.StartTime == nil {
				st.StartTime = &now
			}
			setCondition(st, corev1.PodInitialized, corev1.ConditionTrue)
			setCondition(st, corev1.ContainersReady, corev1.ConditionFalse)
			setCondition(st, corev1.PodReady, corev1.ConditionFalse)
			st.ContainerStatuses = []corev1.ContainerStatus{{
				Name: p.container.Name, Image: p.container.Image, ImageID: imageID,
				ContainerID: fmt.Sprintf("e2e://%d", proc.cmd.Process.Pid),
				Started:     ptr(true), RestartCount: int32(p.restarts),
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
			}}
		})
		p.note("Typha %s %s started, pid %d, env %s", filepath.Base(bin), strings.Join(args, " "), proc.cmd.Process.Pid, strings.Join(envStrings(env), " "))
		return nil
	}
	if err := start(); err != nil {
		p.note("%v", err)
		return
	}
	stopProc := func() {
		p.mu.Lock()
		proc := p.proc
		p.mu.Unlock()
		if proc != nil {
			proc.stop(k.t)
		}
	}
	defer stopProc()

	probe := &prober{p: p, ns: ns}
	readiness := newProbeTimer(p.container.ReadinessProbe, false)
	liveness := newProbeTimer(p.container.LivenessProbe, true)
	defer func() { readiness.stop(); liveness.stop() }()
	backoff := 10 * time.Second // the kubelet's first restart back-off, doubled to 5 minutes
	var restartAt <-chan time.Time
	for {
		p.mu.Lock()
		proc := p.proc
		p.mu.Unlock()
		var exitedC <-chan struct{}
		if restartAt == nil {
			exitedC = proc.exited
		}
		select {
		case <-p.stop:
			return
		case <-ctx.Done():
			return
		case <-exitedC:
			code := proc.cmd.ProcessState.ExitCode()
			if policy := pod.Spec.RestartPolicy; policy == corev1.RestartPolicyNever || (policy == corev1.RestartPolicyOnFailure && code == 0) {
				p.terminated(ctx, code)
				<-p.stop // the pod stays, terminated, until it is deleted
				return
			}
			p.note("Typha exited (%v); restarting in %v; last lines:\n%s", proc.waitErr, backoff, tail(p.logPath, 5))
			p.setReady(ctx, false)
			p.writeStatus(ctx, func(st *corev1.PodStatus) {
				for i := range st.ContainerStatuses {
					cs := &st.ContainerStatuses[i]
					cs.Ready, cs.Started = false, ptr(false)
					cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: "Error", FinishedAt: metav1.Now()}}
					cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off %v restarting failed container", backoff)}}
				}
			})
			restartAt = time.After(backoff)
			backoff = min(2*backoff, 5*time.Minute)
		case <-restartAt:
			restartAt = nil
			p.restarts++
			readiness.stop()
			liveness.stop()
			readiness, liveness = newProbeTimer(p.container.ReadinessProbe, false), newProbeTimer(p.container.LivenessProbe, true)
			if err := start(); err != nil {
				p.note("%v", err)
				return
			}
		case <-readiness.c():
			if restartAt != nil {
				continue
			}
			ok, detail := probe.do(ctx, p.container.ReadinessProbe)
			if ready, changed := readiness.result(ok); changed {
				p.note("readiness %s: %s", map[bool]string{true: "passes", false: "fails"}[ready], detail)
				p.setReady(ctx, ready)
			}
		case <-liveness.c():
			if restartAt != nil {
				continue
			}
			ok, detail := probe.do(ctx, p.container.LivenessProbe)
			if live, changed := liveness.result(ok); changed && !live {
				p.note("liveness fails (%s): killing Typha", detail)
				_ = syscall.Kill(-proc.cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	}
}

// terminated writes the status of a pod whose container exited for good
// (restartPolicy Never, or OnFailure with exit status 0).
func (p *typhaPod) terminated(ctx context.Context, code int) {
	phase, reason := corev1.PodSucceeded, "Completed"
	if code != 0 {
		phase, reason = corev1.PodFailed, "Error"
	}
	p.note("the container exited with status %d: pod %s", code, phase)
	p.mu.Lock()
	p.ready = false
	p.exitCode, p.ranToEnd = code, true
	p.mu.Unlock()
	p.writeStatus(ctx, func(st *corev1.PodStatus) {
		st.Phase = phase
		setCondition(st, corev1.ContainersReady, corev1.ConditionFalse)
		setCondition(st, corev1.PodReady, corev1.ConditionFalse)
		for i := range st.ContainerStatuses {
			cs := &st.ContainerStatuses[i]
			started := metav1.Now()
			if cs.State.Running != nil {
				started = cs.State.Running.StartedAt
			}
			cs.Ready, cs.Started = false, ptr(false)
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason, StartedAt: started, FinishedAt: metav1.Now()}}
		}
	})
}

// imageID is the image ID the kubelet reports for bin: the sha256 of the
// binary that stands for the image, computed once.
func (k *typhaKubelet) imageID(bin string) (string, error) {
	k.mu.Lock()
	id, ok := k.imageIDs[bin]
	k.mu.Unlock()
	if ok {
		return id, nil
	}
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	id = fmt.Sprintf("sha256:%x", h.Sum(nil))
	k.mu.Lock()
	k.imageIDs[bin] = id
	k.mu.Unlock()
	return id, nil
}

// setReady writes the Ready condition and the container's ready flag.
func (p *typhaPod) setReady(ctx context.Context, ready bool) {
	p.mu.Lock()
	p.ready = ready
	p.mu.Unlock()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.writeStatus(ctx, func(st *corev1.PodStatus) {
		setCondition(st, corev1.ContainersReady, status)
		setCondition(st, corev1.PodReady, status)
		for i := range st.ContainerStatuses {
			st.ContainerStatuses[i].Ready = ready
		}
	})
}

// isReady reports whether the pod's readiness probe last passed.
func (p *typhaPod) isReady() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready
}

// writeStatus changes the pod's status with mutate and writes it, retrying
// on conflicts; a pod that is gone is left alone.
func (p *typhaPod) writeStatus(ctx context.Context, mutate func(*corev1.PodStatus)) {
	pods := p.k.s.cl.cs.CoreV1().Pods(p.namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := pods.Get(ctx, p.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pod.UID != p.uid {
			return apierrors.NewNotFound(corev1.Resource("pods"), p.name)
		}
		mutate(&pod.Status)
		_, err = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{FieldManager: "e2e-typha-kubelet"})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		p.note("write status: %v", err)
	}
}

func setCondition(st *corev1.PodStatus, typ corev1.PodConditionType, status corev1.ConditionStatus) {
	now := metav1.Now()
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type == typ {
			if c.Status != status {
				c.Status, c.LastTransitionTime = status, now
			}
			return
		}
	}
	st.Conditions = append(st.Conditions, corev1.PodCondition{Type: typ, Status: status, LastTransitionTime: now})
}

// probeTimer schedules a probe as the kubelet does (initialDelaySeconds,
// then every periodSeconds) and turns results into a state with the probe's
// successThreshold (default 1) and failureThreshold (default 3). The state
// starts as initial: false for readiness, true for liveness. A nil probe
// never fires.
type probeTimer struct {
	probe     *corev1.Probe
	ticker    *time.Ticker
	first     <-chan time.Time
	state     bool
	successes int
	failures  int
}

func newProbeTimer(pr *corev1.Probe, initial bool) *probeTimer {
	pt := &probeTimer{probe: pr, state: initial}
	if pr != nil {
		pt.first = time.After(time.Duration(pr.InitialDelaySeconds) * time.Second)
	}
	return pt
}

// c fires when the next probe is due.
func (pt *probeTimer) c() <-chan time.Time {
	if pt.probe == nil {
		return nil
	}
	if pt.ticker == nil {
		return pt.first
	}
	return pt.ticker.C
}

// result records a probe's outcome; it returns the state and whether it
// changed.
func (pt *probeTimer) result(ok bool) (state, changed bool) {
	if pt.ticker == nil {
		period := time.Duration(pt.probe.PeriodSeconds) * time.Second
		if period == 0 {
			period = 10 * time.Second
		}
		pt.ticker = time.NewTicker(period)
	}
	succ, fail := max(int(pt.probe.SuccessThreshold), 1), int(pt.probe.FailureThreshold)
	if fail == 0 {
		fail = 3
	}
	if ok {
		pt.successes, pt.failures = pt.successes+1, 0
	} else {
		pt.successes, pt.failures = 0, pt.failures+1
	}
	prev := pt.state
	switch {
	case ok && !pt.state && pt.successes >= succ:
		pt.state = true
	case !ok && pt.state && pt.failures >= fail:
		pt.state = false
	}
	return pt.state, pt.state != prev
}

// stop releases the timer.
func (pt *probeTimer) stop() {
	if pt.ticker != nil {
		pt.ticker.Stop()
	}
}

// prober sends a container's probes inside the node's network namespace,
// where the container's localhost is.
type prober struct {
	p  *typhaPod
	ns *nodeNetns
}

// do runs one HTTP or TCP probe; it returns whether it passed and what it
// saw.
func (pr *prober) do(ctx context.Context, probe *corev1.Probe) (bool, string) {
	timeout := time.Duration(probe.TimeoutSeconds) * time.Second
	if timeout == 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dialHost := func(host string) string {
		switch host {
		case "", "localhost":
			return "127.0.0.1" // the pod IP is the node's, which is this namespace's loopback here
		}
		return host
	}
	switch {
	case probe.HTTPGet != nil:
		h := probe.HTTPGet
		addr := net.JoinHostPort(dialHost(h.Host), h.Port.String())
		client := &http.Client{Transport: &http.Transport{DialContext: pr.ns.DialContext, DisableKeepAlives: true}}
		host := h.Host
		if host == "" {
			host = pr.p.node.ip
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+h.Path, nil)
		if err != nil {
			return false, err.Error()
		}
		req.Host = net.JoinHostPort(host, h.Port.String())
		resp, err := client.Do(req)
		if err != nil {
			return false, fmt.Sprintf("GET http://%s%s: %v", req.Host, h.Path, err)
		}
		body, _ := readAll(resp)
		return probeSucceeds(resp.StatusCode), fmt.Sprintf("GET http://%s%s: HTTP %d %.200s", req.Host, h.Path, resp.StatusCode, strings.TrimSpace(string(body)))
	case probe.TCPSocket != nil:
		addr := net.JoinHostPort(dialHost(probe.TCPSocket.Host), probe.TCPSocket.Port.String())
		c, err := pr.ns.Dial(ctx, addr)
		if err != nil {
			return false, fmt.Sprintf("connect %s: %v", addr, err)
		}
		c.Close()
		return true, "connect " + addr
	}
	return false, errors.New("the Typha kubelet sends only httpGet and tcpSocket probes").Error()
}
