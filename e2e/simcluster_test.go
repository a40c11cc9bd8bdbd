//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/terway"
)

// The simulated Terway cluster, built from real parts: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler of one Kubernetes version
// (hack/e2e-binaries.sh), kwok for the nodes and the pods that need no
// process, the Terway DaemonSet and eni-config as Terway's chart declares
// them (testdata/terway), Terway's policy container as a test double
// (terwayDouble) that runs each node's Felix 3.24.5 in felixsim, and real
// Typha processes for the Typha Deployment's pods (typhaKubelet).
//
// Everything runs in the e2e's private network namespace
// (hack/e2e-netns.sh). Every node has an address of its own in
// 198.18.0.0/15 (RFC 2544's benchmarking range: not loopback, which the API
// server refuses in Endpoints and for its pod proxy, and never routed),
// added to the namespace's loopback: the API server reaches kwok's
// kubelet-like server on it for logs, exec and port-forward, and Felix
// reaches Typha on it.

// The binaries of hack/e2e-binaries.sh the simulated cluster needs besides
// etcd and kube-apiserver.
var simBinaries = []string{"kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwok-data"}

// nodeKind is what runs on a simulated node.
type nodeKind int

const (
	felixNode        nodeKind = iota // Terway in shared-ENI mode: Felix
	exclusiveENINode                 // Terway, but no policy agent (terway.LabelExclusiveENI)
	virtualNode                      // ACK's virtual node (terway.LabelVirtualNode): no Terway at all
)

func (k nodeKind) String() string {
	return [...]string{"Felix", "exclusive-ENI", "virtual"}[k]
}

type simNode struct {
	name string
	ip   string
	kind nodeKind
}

// simOptions size the cluster.
type simOptions struct {
	felixNodes, exclusiveENINodes, virtualNodes int
}

// simCluster is the running simulated cluster.
type simCluster struct {
	*cluster
	t          *testing.T
	ctx        context.Context
	cl         clients
	ext        apiextensionsclient.Interface
	bins       string // hack/e2e-binaries.sh's directory
	calicoBins string // hack/calico-binaries.sh's directory
	apiAddr    string // host:port of the API server
	kubeconfig string // the admin's, for kubectl and the control plane
	terwayKC   string // Terway's ServiceAccount's, for felixsim
	kwokPort   int

	nodes  []simNode
	byName map[string]*simNode

	felix  *felixSim
	terway *terwayDouble
	typha  *typhaKubelet

	mu       sync.Mutex
	timings  []timing          // how long each phase of the start took
	workdirs map[string]string // each rehearsal scenario's working directory
}

type timing struct {
	what string
	took time.Duration
}

// simBins returns the directories of both sets of binaries, or skips (fails
// under CI=true) without them.
func simBins(t *testing.T) (bins, calico string) {
	t.Helper()
	bins = os.Getenv(binEnv)
	if bins == "" {
		skipOrFail(t, binEnv+" is not set: the simulated cluster needs the binaries of hack/e2e-binaries.sh (run `make e2e`)")
	}
	for _, name := range simBinaries {
		if _, err := os.Stat(filepath.Join(bins, name)); err != nil {
			skipOrFail(t, fmt.Sprintf("%s=%s has no %s, which the simulated cluster needs (run hack/e2e-binaries.sh): %v", binEnv, bins, name, err))
		}
	}
	calico = calicoBinaries(t)
	return bins, calico
}

// startSimCluster starts the cluster with Terway running on every node that
// has it, each Felix in sync directly with the API server, and no Typha.
// Everything stops when t ends.
func startSimCluster(t *testing.T, ctx context.Context, o simOptions) *simCluster {
	t.Helper()
	bins, calico := simBins(t)
	privateNodeIP(t) // the private network namespace, or skip
	for _, tool := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s (iproute2, util-linux) is needed for the simulated cluster's node addresses and namespaces: %v", tool, err)
		}
	}
	s := &simCluster{t: t, ctx: ctx, bins: bins, calicoBins: calico, byName: map[string]*simNode{}}
	s.planNodes(o)
	begin := time.Now()

	s.phase("add the node addresses", func() { s.addNodeAddresses(t) })
	s.phase("start etcd and kube-apiserver", func() {
		s.cluster = startClusterWith(t, clusterOptions{apiserverArgs: []string{"--kubelet-preferred-address-types=InternalIP,Hostname"}})
	})
	u, err := url.Parse(s.config.Host)
	if err != nil {
		t.Fatal(err)
	}
	s.apiAddr = u.Host
	// A request may wait long on a busy API server (500 direct Felix
	// agents listing); 30 s, the harness's default, is too short.
	s.config.Timeout = 2 * time.Minute
	s.cl = s.clients()
	s.ext = apiextensionsclient.NewForConfigOrDie(s.config)
	s.kubeconfig = filepath.Join(s.dir, "kubeconfig-admin")
	s.writeAdminKubeconfig(t, s.kubeconfig)
	waitForNamespace(ctx, t, s.cl.cs, terway.ENIConfigNamespace)

	s.phase("start kube-controller-manager and kube-scheduler", func() {
		kc := "--kubeconfig=" + s.kubeconfig
		// Without the node lifecycle controller: kwok's heartbeats lag on
		// the starved VM, the controller then marks a node's pods not
		// Ready, and kwok never marks them Ready again (measured: 56
		// Terway pods, which stopped the DaemonSet's restart at 308 of
		// 510 for good). Node health is not what the rehearsal tests.
		s.start(t, filepath.Join(bins, "kube-controller-manager"), kc, "--leader-elect=false", "--secure-port=0",
			"--kube-api-qps=200", "--kube-api-burst=400", "--controllers=*,-node-lifecycle-controller", "--v=1")
		s.start(t, filepath.Join(bins, "kube-scheduler"), kc, "--leader-elect=false", "--secure-port=0", "--v=1")
	})
	s.phase("start kwok", func() { s.startKwok(t) })
	// The nodes first, then Terway: each Felix that starts lists every node
	// and pod, and watches them (what Typha is for), so Felix agents
	// started while nodes are still being created slow everything down.
	s.phase(fmt.Sprintf("create %d nodes, all Ready", len(s.nodes)), func() { s.createNodes(t) })
	s.phase("install Terway's objects but its DaemonSet", func() {
		for _, f := range []string{"rbac.yaml", "crds.yaml", "eni-config.yaml"} {
			s.apply(t, filepath.Join("testdata", "terway", f))
		}
	})

	s.terwayKC = filepath.Join(s.dir, "kubeconfig-terway")
	if _, err := s.saKubeconfig(ctx, terway.ENIConfigNamespace, terwaySA, s.terwayKC); err != nil {
		t.Fatal(err)
	}
	s.phase("start felixsim, the Terway double and the Typha kubelet", func() {
		env := &relayEnv{ctx: ctx, c: s.cluster}
		s.felix = env.startFelixSimWith(t, filepath.Join(calico, felixsimName), s.terwayKC, nil, "--log-format=cri")
		ds := s.readDaemonSetFile(t)
		s.terway = startTerwayDouble(t, s, s.felix, ds.Spec.Selector.MatchLabels)
		s.typha = startTyphaKubelet(t, s, s.typhaBinary)
	})
	s.phase("Terway's DaemonSet on every node but the virtual ones", func() {
		s.terway.hold()
		s.apply(t, filepath.Join("testdata", "terway", "daemonset.yaml"))
		s.waitDaemonSet(t, rolloutBound)
		if err := s.terway.release(ctx); err != nil {
			t.Fatalf("start Felix on the Terway nodes: %v", err)
		}
	})
	s.phase(fmt.Sprintf("every Felix (%d) in sync with the API server", o.felixNodes), func() {
		s.waitFelix(t, felixsimclient.ModeDirect, "", rolloutBound)
	})
	s.timings = append(s.timings, timing{"cluster start in all", time.Since(begin)})
	return s
}

// Bounds of the simulated cluster's start, each well above what was
// measured on the busy 2-core VM (see docs/e2e.md).
const (
	rolloutBound = 10 * time.Minute
	nodesBound   = 3 * time.Minute
)

// coreServers are the processes without which the cluster is broken.
var coreServers = map[string]bool{"etcd": true, "kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true, "kwok": true, felixsimName: true}

// poll calls cond every interval until it returns true; it fails after
// bound, or at once when one of the cluster's servers has exited (with the
// end of its log).
func (s *simCluster) poll(bound, interval time.Duration, cond func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(s.ctx, bound)
	defer cancel()
	for {
		if cond(ctx) {
			return nil
		}
		s.cluster.mu.Lock()
		procs := slices.Clone(s.procs)
		s.cluster.mu.Unlock()
		for _, p := range procs {
			if coreServers[p.name] && exited(p) {
				return fmt.Errorf("%s exited (%v); its last lines:\n%s", p.name, p.waitErr, tail(p.logPath, 15))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not within %v", bound)
		case <-time.After(interval):
		}
	}
}

// phase runs f and records how long it took.
func (s *simCluster) phase(what string, f func()) {
	start := time.Now()
	f()
	took := time.Since(start)
	s.mu.Lock()
	s.timings = append(s.timings, timing{what, took})
	s.mu.Unlock()
	s.t.Logf("simulated cluster: %s: %v", what, took.Round(time.Millisecond))
}

// planNodes names the nodes, ACK style (REGION.ADDRESS), and mixes the
// kinds: exclusive-ENI and virtual nodes spread evenly among the Felix nodes.
func (s *simCluster) planNodes(o simOptions) {
	total := o.felixNodes + o.exclusiveENINodes + o.virtualNodes
	kinds := make([]nodeKind, total)
	spread := func(n int, k nodeKind, offset int) {
		for i := range n {
			j := (i*total/n + offset) % total
			for kinds[j] != felixNode {
				j = (j + 1) % total
			}
			kinds[j] = k
		}
	}
	spread(o.exclusiveENINodes, exclusiveENINode, 7)
	spread(o.virtualNodes, virtualNode, 13)
	for i, k := range kinds {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, binary.BigEndian.Uint32(net.IPv4(198, 18, 0, 0).To4())+uint32(i)+1)
		s.nodes = append(s.nodes, simNode{name: "cn-hangzhou." + ip.String(), ip: ip.String(), kind: k})
	}
	for i := range s.nodes {
		s.byName[s.nodes[i].name] = &s.nodes[i]
	}
}

// node returns the simulated node of that name, or nil.
func (s *simCluster) node(name string) *simNode { return s.byName[name] }

// nodesOf returns the names of the nodes of kind k.
func (s *simCluster) nodesOf(k nodeKind) []string {
	var out []string
	for _, n := range s.nodes {
		if n.kind == k {
			out = append(out, n.name)
		}
	}
	return out
}

// addNodeAddresses puts every node's address on the namespace's loopback.
// "replace", not "add": a test that ran before in the same namespace and
// was killed (TestNothingLeftRunningSimulated's helpers) left them there.
func (s *simCluster) addNodeAddresses(t *testing.T) {
	t.Helper()
	var b strings.Builder
	for _, n := range s.nodes {
		fmt.Fprintf(&b, "address replace %s/32 dev lo\n", n.ip)
	}
	cmd := exec.Command("ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip -batch (add %d node addresses to lo): %v\n%s", len(s.nodes), err, out)
	}
	t.Cleanup(func() {
		// The namespace goes with the test binary; a rerun in the same
		// namespace (go test -count) must find the addresses free.
		cmd := exec.Command("ip", "-batch", "-force", "-")
		cmd.Stdin = strings.NewReader(strings.ReplaceAll(b.String(), "address replace", "address del"))
		_ = cmd.Run()
	})
}

// writeAdminKubeconfig writes a kubeconfig with the admin's client
// certificate (system:masters).
func (s *simCluster) writeAdminKubeconfig(t *testing.T, path string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: s.config.Host, CertificateAuthorityData: s.config.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: s.config.CertData, ClientKeyData: s.config.KeyData}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin"}
	cfg.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// saKubeconfig writes a kubeconfig holding a token of ServiceAccount ns/sa
// to path.
func (s *simCluster) saKubeconfig(ctx context.Context, ns, sa, path string) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(6 * 3600))}}
	tr, err := s.cl.cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("TokenRequest for ServiceAccount %s/%s: %w", ns, sa, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: s.config.Host, CertificateAuthorityData: s.config.CAData}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "sa"}
	cfg.CurrentContext = "e2e"
	return path, clientcmd.WriteToFile(*cfg, path)
}

// writeServiceAccountVolume writes what the kubelet projects into a pod's
// ServiceAccount volume into dir: a token of the pod's ServiceAccount bound
// to the pod, the cluster's CA and the pod's namespace.
func (s *simCluster) writeServiceAccountVolume(ctx context.Context, pod *corev1.Pod, dir string) error {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: ptr(int64(6 * 3600)),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	tr, err := s.cl.cs.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, pod.Spec.ServiceAccountName, req, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("TokenRequest for ServiceAccount %s/%s: %w", pod.Namespace, pod.Spec.ServiceAccountName, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"token": []byte(tr.Status.Token), "ca.crt": s.config.CAData, "namespace": []byte(pod.Namespace)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// apply server-side applies every object of a YAML file as the admin.
func (s *simCluster) apply(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s.applyYAML(t, path, data)
}

func (s *simCluster) applyYAML(t *testing.T, name string, data []byte) {
	t.Helper()
	s.cl.mapper.Reset()
	for _, u := range decodeYAML(t, name, data) {
		ri, err := resourceForErr(s.cl, u)
		for i := 0; err != nil && i < 50; i++ { // a CRD applied just before may not be served yet
			time.Sleep(200 * time.Millisecond)
			s.cl.mapper.Reset()
			ri, err = resourceForErr(s.cl, u)
		}
		if err != nil {
			t.Fatalf("%s: %s %s is not served: %v", name, u.GetKind(), u.GetName(), err)
		}
		if _, err := ri.Apply(s.ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			t.Fatalf("%s: apply %s %s: %v", name, u.GetKind(), u.GetName(), err)
		}
	}
}

// resourceForErr is resourceFor with an error instead of t.Fatal.
func resourceForErr(cl clients, u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := cl.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return cl.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), nil
	}
	return cl.dyn.Resource(m.Resource), nil
}

// kwok's objects, served by its CRDs (--enable-crds).
var (
	kwokLogsGVR         = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	kwokExecsGVR        = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "execs"}
	kwokPortForwardsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}
)

// kwokStages are the stages kwok runs, from its module
// (kustomize/stage/node/fast, node/heartbeat-with-lease, pod/fast; see
// testdata/kwok/README.md), with one change: pod-ready leaves the pods
// that run a Typha image alone (they run for real, and their readiness is
// the real Typha's: see typhaKubelet).
var kwokStages = []string{"node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"}

// typhaPodsExcluded is the selector requirement added to kwok's pod-ready
// stage: pods none of whose containers runs a Typha image (see
// runsTyphaImage; typhaKubelet runs those).
var typhaPodsExcluded = map[string]any{
	"key":      `[.spec.containers[].image | contains("` + typhaImageMarker + `")] | any`,
	"operator": "NotIn",
	"values":   []any{"true"},
}

// startKwok installs kwok's CRDs and starts it with its stages.
func (s *simCluster) startKwok(t *testing.T) {
	t.Helper()
	data := filepath.Join(s.bins, "kwok-data")
	crds, err := filepath.Glob(filepath.Join(data, "crd", "*.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no kwok CRDs in %s/crd (%v): run hack/e2e-binaries.sh", data, err)
	}
	for _, f := range crds {
		s.apply(t, f)
	}
	var conf bytes.Buffer
	for _, name := range kwokStages {
		raw, err := os.ReadFile(filepath.Join(data, "stage", name))
		if err != nil {
			t.Fatalf("kwok stage %s: %v (run hack/e2e-binaries.sh)", name, err)
		}
		if name == "pod-ready.yaml" {
			raw = excludeTyphaPods(t, raw)
		}
		conf.WriteString("---\n")
		conf.Write(raw)
	}
	confPath := filepath.Join(s.dir, "kwok.yaml")
	if strings.Contains(confPath, ",") {
		// kwok's --config is a list flag: a comma splits the path.
		t.Fatalf("kwok's configuration path %s has a comma, which kwok --config reads as two paths: name the test without one", confPath)
	}
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s.kwokPort = freePorts(t, 1)[0]
	port := strconv.Itoa(s.kwokPort)
	// kwok's own environment is what `kubectl exec` commands see besides
	// the pod's env: keep it to PATH and HOME.
	s.startProcess(t, "kwok", filepath.Join(s.bins, "kwok"),
		[]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + s.dir},
		"--kubeconfig="+s.kubeconfig,
		"--config="+confPath,
		"--manage-all-nodes=true",
		"--node-ip="+os.Getenv(nodeIPEnv),
		"--node-port="+port,
		"--server-address=0.0.0.0:"+port,
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.0/16",
		"--enable-crds=Logs,Exec,PortForward",
		"--v=WARN",
	)
}

// excludeTyphaPods adds typhaPodsExcluded to the pod-ready stage.
func excludeTyphaPods(t *testing.T, raw []byte) []byte {
	t.Helper()
	var stage map[string]any
	if err := yaml.Unmarshal(raw, &stage); err != nil {
		t.Fatalf("kwok pod-ready stage: %v", err)
	}
	sel, ok := stage["spec"].(map[string]any)["selector"].(map[string]any)
	if !ok {
		t.Fatalf("kwok pod-ready stage has no spec.selector: %s", raw)
	}
	exprs, _ := sel["matchExpressions"].([]any)
	sel["matchExpressions"] = append(exprs, typhaPodsExcluded)
	out, err := yaml.Marshal(stage)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// createNodes creates the nodes as kwok's documentation shows them, with
// ACK's labels for the kinds, and waits until kwok has made every one Ready.
func (s *simCluster) createNodes(t *testing.T) {
	t.Helper()
	cs := s.fastClient(t)
	work := make(chan simNode)
	errs := make(chan error, len(s.nodes))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				if _, err := cs.CoreV1().Nodes().Create(s.ctx, nodeObject(n), metav1.CreateOptions{}); err != nil {
					errs <- fmt.Errorf("create node %s: %w", n.name, err)
				}
			}
		}()
	}
	for _, n := range s.nodes {
		work <- n
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var notReady []string
	err := s.poll(nodesBound, 500*time.Millisecond, func(ctx context.Context) bool {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return false
		}
		notReady = notReady[:0]
		for _, n := range list.Items {
			ready := false
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready = true
				}
			}
			if !ready {
				notReady = append(notReady, n.Name)
			}
		}
		return len(list.Items) == len(s.nodes) && len(notReady) == 0
	})
	if err != nil {
		t.Fatalf("nodes not Ready: %v; %d not Ready, e.g. %v; kwok's log:\n%s", err, len(notReady), head(notReady, 5), tail(filepath.Join(s.dir, "kwok.log"), 20))
	}
}

// nodeObject is a kwok node of kind n.kind. Its addresses are set at
// creation: with an InternalIP and a Hostname, kwok keeps them.
func nodeObject(n simNode) *corev1.Node {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/arch":     "amd64",
				"kubernetes.io/hostname": n.name,
				"kubernetes.io/os":       "linux",
				"type":                   "kwok",
			},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "kwok.x-k8s.io/node", Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: n.ip},
			{Type: corev1.NodeHostName, Address: n.name},
		}},
	}
	switch n.kind {
	case exclusiveENINode:
		node.Labels[terway.LabelExclusiveENI] = terway.ExclusiveENIOnly
	case virtualNode:
		node.Labels[terway.LabelVirtualNode] = terway.VirtualKubelet
	}
	return node
}

// fastClient is an admin clientset without client-side rate limits, for
// creating many objects at once.
func (s *simCluster) fastClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(s.config)
	cfg.QPS, cfg.Burst = 1000, 2000
	return kubernetes.NewForConfigOrDie(cfg)
}

// readDaemonSetFile returns Terway's DaemonSet as testdata has it.
func (s *simCluster) readDaemonSetFile(t *testing.T) *appsv1.DaemonSet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "terway", "daemonset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(data, &ds); err != nil {
		t.Fatalf("testdata/terway/daemonset.yaml: %v", err)
	}
	return &ds
}

// waitDaemonSet waits until Terway's DaemonSet has a current, Ready pod on
// every node but the virtual ones.
func (s *simCluster) waitDaemonSet(t *testing.T, bound time.Duration) {
	t.Helper()
	want := int32(len(s.nodes) - len(s.nodesOf(virtualNode)))
	var last appsv1.DaemonSetStatus
	err := s.poll(bound, time.Second, func(ctx context.Context) bool {
		ds, err := s.cl.cs.AppsV1().DaemonSets(terway.ENIConfigNamespace).Get(ctx, "terway-eniip", metav1.GetOptions{})
		if err != nil {
			return false
		}
		last = ds.Status
		st := ds.Status
		return st.ObservedGeneration >= ds.Generation && st.DesiredNumberScheduled == want &&
			st.UpdatedNumberScheduled == want && st.NumberReady == want && st.NumberAvailable == want
	})
	if err != nil {
		t.Fatalf("Terway's DaemonSet not on all %d Terway nodes: %v; status %+v\n%s", want, err, last, s.diagnose())
	}
}

// waitFelix waits until every Felix node's Felix runs in mode (through
// Service svc in typha mode) and is in sync, and no other node runs one.
func (s *simCluster) waitFelix(t *testing.T, mode, svc string, bound time.Duration) {
	t.Helper()
	var why string
	err := s.poll(bound, time.Second, func(ctx context.Context) bool {
		why = s.felixNot(ctx, mode, svc)
		return why == ""
	})
	if err != nil {
		t.Fatalf("Felix not in sync in %s mode on every Felix node: %v: %s\n%s", mode, err, why, s.diagnose())
	}
}

// felixNot says how the Felix clients differ from "one per Felix node, in
// mode, in sync", or "" when they do not.
func (s *simCluster) felixNot(ctx context.Context, mode, svc string) string {
	clients, err := s.felix.Clients(ctx)
	if err != nil {
		return err.Error()
	}
	want := map[string]bool{}
	for _, n := range s.nodesOf(felixNode) {
		want[n] = true
	}
	var problems []string
	seen := 0
	for _, c := range clients {
		if !want[c.Node] {
			problems = append(problems, fmt.Sprintf("%s (a %s node) runs Felix", c.Node, s.node(c.Node).kindString()))
			continue
		}
		seen++
		if c.Mode != mode {
			problems = append(problems, fmt.Sprintf("%s: mode %s", c.Node, c.Mode))
		} else if c.Status != felixsimclient.StatusInSync {
			problems = append(problems, fmt.Sprintf("%s: %s (Typha %q)", c.Node, c.Status, c.TyphaAddr))
		}
	}
	if seen != len(want) {
		problems = append(problems, fmt.Sprintf("%d of %d Felix nodes run Felix", seen, len(want)))
	}
	if len(problems) == 0 {
		return ""
	}
	return fmt.Sprintf("%d problems, e.g. %s", len(problems), strings.Join(head(problems, 8), "; "))
}

func (n *simNode) kindString() string {
	if n == nil {
		return "unknown"
	}
	return n.kind.String()
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// podInformer runs an informer on the pods of namespace ns with labels sel
// until the test ends, and waits for its first list.
func (s *simCluster) podInformer(t *testing.T, ns string, sel map[string]string, h cache.ResourceEventHandler) {
	t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(s.cl.cs, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = labels.SelectorFromSet(sel).String() }))
	inf := factory.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(h); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	factory.Start(stop)
	t.Cleanup(func() {
		close(stop)
		factory.Shutdown()
	})
	if !cache.WaitForCacheSync(s.ctx.Done(), inf.HasSynced) {
		t.Fatalf("pod informer for %s %v never synced", ns, sel)
	}
}

// configMaps returns the ConfigMaps of namespace ns as they are now, by name.
func (s *simCluster) configMaps(ctx context.Context, ns string) (map[string]*corev1.ConfigMap, error) {
	list, err := s.cl.cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*corev1.ConfigMap, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out, nil
}

// kwokPodObjects makes `kubectl logs`, `exec` and `port-forward` work for
// pod through kwok: a Logs object returning logPath for every container, an
// Exec object running commands with each container's env (envs), and with
// ports a PortForward object forwarding each to target. They are owned by
// the pod, so they go with it.
func (s *simCluster) kwokPodObjects(ctx context.Context, pod *corev1.Pod, logPath string, envs map[string][]corev1.EnvVar, ports []corev1.ContainerPort, target string) error {
	owner := []any{map[string]any{"apiVersion": "v1", "kind": "Pod", "name": pod.Name, "uid": string(pod.UID)}}
	obj := func(kind string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": kind,
			"metadata": map[string]any{"name": pod.Name, "namespace": pod.Namespace, "ownerReferences": owner},
			"spec":     spec,
		}}
	}
	var execs []any
	for _, c := range slices.Sorted(maps.Keys(envs)) {
		var env []any
		for _, e := range envs[c] {
			env = append(env, map[string]any{"name": e.Name, "value": e.Value})
		}
		execs = append(execs, map[string]any{"containers": []any{c}, "local": map[string]any{"workDir": s.dir, "envs": env}})
	}
	objs := []struct {
		gvr schema.GroupVersionResource
		u   *unstructured.Unstructured
	}{
		{kwokLogsGVR, obj("Logs", map[string]any{"logs": []any{map[string]any{"logsFile": logPath, "follow": true}}})},
		{kwokExecsGVR, obj("Exec", map[string]any{"execs": execs})},
	}
	if len(ports) > 0 {
		var fwd []any
		for _, p := range ports {
			fwd = append(fwd, map[string]any{"ports": []any{int64(p.ContainerPort)}, "target": map[string]any{"port": int64(p.ContainerPort), "address": target}})
		}
		objs = append(objs, struct {
			gvr schema.GroupVersionResource
			u   *unstructured.Unstructured
		}{kwokPortForwardsGVR, obj("PortForward", map[string]any{"forwards": fwd})})
	}
	for _, o := range objs {
		_, err := s.cl.dyn.Resource(o.gvr).Namespace(pod.Namespace).Create(ctx, o.u, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create kwok %s %s/%s: %w", o.u.GetKind(), pod.Namespace, pod.Name, err)
		}
	}
	return nil
}

// typhaImage matches the Typha images the simulated cluster can run: any
// registry, repository .../typha, a tag vX.Y.Z.
var typhaImage = regexp.MustCompile(`^[^@]*/typha:(v\d+\.\d+\.\d+)(@sha256:[0-9a-f]{64})?$`)

// typhaBinary is the Typha process an image runs as: calico-typha-TAG from
// hack/calico-binaries.sh (v3.24.5 and later), or for v3.20.2 the upstream
// build of hack/typha-binaries.sh (TYPHARENDER_E2E_TYPHA_BIN) when it is
// there. Any other image cannot be pulled here.
func (s *simCluster) typhaBinary(image string) (string, error) {
	m := typhaImage.FindStringSubmatch(image)
	if m == nil {
		return "", fmt.Errorf("image %q is not a Typha image this simulated cluster can run (want REGISTRY/.../typha:vX.Y.Z)", image)
	}
	tag := m[1]
	candidates := []string{filepath.Join(s.calicoBins, "calico-typha-"+tag)}
	if tb := os.Getenv(typhaBinEnv); tb != "" && tag == "v3.20.2" {
		candidates = append(candidates, filepath.Join(tb, typhaUpstream))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("image %q: no Typha %s build here (looked for %s)", image, tag, strings.Join(candidates, ", "))
}

// diagnose says what the servers cost so far and how the API server
// answered, for a failure message: CPU seconds and resident memory per
// process, and the API server's requests by response code.
func (s *simCluster) diagnose() string {
	var b strings.Builder
	s.cluster.mu.Lock()
	procs := slices.Clone(s.procs)
	s.cluster.mu.Unlock()
	b.WriteString("CPU seconds so far:")
	for _, p := range procs {
		if coreServers[p.name] {
			fmt.Fprintf(&b, " %s %.0f,", p.name, cpuSeconds(p.cmd.Process.Pid))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := s.cl.cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		fmt.Fprintf(&b, "\nthe API server's /metrics: %v", err)
		return b.String()
	}
	codes := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		i := strings.Index(line, `code="`)
		f := strings.Fields(line)
		var v float64
		if i < 0 || len(f) < 2 {
			continue
		}
		fmt.Sscanf(f[len(f)-1], "%g", &v)
		codes[line[i+6:i+9]] += v
	}
	fmt.Fprintf(&b, "\nthe API server's requests by code: %v", codes)
	return b.String()
}

// cpuSeconds is the user and system CPU time of process pid so far.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+2:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// rss returns the resident memory of each running process, in MiB, by
// costName.
func (s *simCluster) rss() map[string]float64 {
	out := map[string]float64{}
	for _, p := range s.running() {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				out[costName(p.name)] += kb / 1024
			}
		}
	}
	return out
}

// costName groups processes for the cost figures: every Typha as one.
func costName(name string) string {
	if strings.HasPrefix(name, "typha-") {
		return "typha (all)"
	}
	return name
}

// cpu returns the CPU seconds each running process has used so far, by
// costName.
func (s *simCluster) cpu() map[string]float64 {
	out := map[string]float64{}
	for _, p := range s.running() {
		out[costName(p.name)] += cpuSeconds(p.cmd.Process.Pid)
	}
	return out
}

// running returns the processes started so far that still run.
func (s *simCluster) running() []*process {
	s.cluster.mu.Lock()
	defer s.cluster.mu.Unlock()
	var out []*process
	for _, p := range s.procs {
		if !exited(p) {
			out = append(out, p)
		}
	}
	return out
}
