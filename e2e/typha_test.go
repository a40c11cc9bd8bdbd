//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Environment set by hack/e2e.sh for the relay tests.
const (
	typhaBinEnv   = "TYPHARENDER_E2E_TYPHA_BIN"     // hack/typha-binaries.sh's directory
	typhaSkipEnv  = "TYPHARENDER_E2E_TYPHA_SKIP"    // why there are no Typha binaries
	nodeIPEnv     = "TYPHARENDER_E2E_NODE_IP"       // the non-loopback address of the private network namespace
	netnsSkipEnv  = "TYPHARENDER_E2E_NETNS_SKIP"    // why there is no private network namespace
	typhaUpstream = "calico-typha-upstream"         // v3.20.2 as released
	typhaControl  = "calico-typha-endpointslice-v1" // v3.20.2, EndpointSlices through discovery.k8s.io/v1
	felixClient   = "felix-client"                  // e2e/felixclient/main.go: Felix v3.20.2's side
)

// Bounds of the relay cases, each well above what was measured on a busy
// 2-core VM (noted beside each) and short enough to keep the suite quick.
const (
	typhaReadyBound = 60 * time.Second // measured: Ready after 0.25-3.3 s
	inSyncBound     = 30 * time.Second // measured: in-sync 0.1-0.9 s after the client starts
	notInSyncBound  = 20 * time.Second // the upstream build logs the EndpointSlice error every second
	// Forbidden from the first request, retried every second, the health
	// port never even opens; 30 s is 9 times the slowest Ready measured
	// and three periods of the rendered readinessProbe.
	neverReadyBound  = 30 * time.Second
	bgpPeersCRDName  = "bgppeers.crd.projectcalico.org"
	typhaNamespace   = "kube-system"
	terwaySA         = "terway"
	saWithoutRole    = "typha-without-terway-role"
	relistBound      = 15 * time.Second // Typha re-lists missing resources every 5 s
	bgpPeersListRoot = "/calico/resources/v3/projectcalico.org/bgppeers"
	relayProbePolicy = "e2e-relay-probe"
	felixPortName    = "calico-typha" // the port name DiscoverTyphaAddr looks for by default; Felix sets only namespace and service
	relayRegion      = "cn-hangzhou"
	relayNodes       = 1000
	// guideTag is the Typha the configuration cases of TestTyphaRelay run:
	// the guide's, as the EndpointSlice-v1 control build (the upstream
	// build never syncs on 1.25+; TestTyphaVersions shows that).
	guideTag = "v3.20.2"
)

// TestTyphaRelay proves that Typha, configured exactly as typharender renders
// it and running as Terway's ServiceAccount, relays in the configurations
// render offers: with metrics, with and without the guide's BGPPeer CRD, and
// not without Terway's role. It runs the guide's Typha (v3.20.2, the
// EndpointSlice-v1 control build) with the Felix-protocol client built from
// the same tree, as an old Terway (Felix v3.20.2) would; which Typha
// releases serve which Felix is TestTyphaVersions's subject. Everything runs
// inside the private network namespace hack/e2e-netns.sh creates; the only
// non-loopback address (TYPHARENDER_E2E_NODE_IP) exists only there.
func TestTyphaRelay(t *testing.T) {
	bins := typhaBinaries(t)
	nodeIP := privateNodeIP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	env := newTerwayEnv(ctx, t, nodeIP)
	env.bins = bins
	opts := env.renderOptions(guideTag)
	env.applyRendered(t, opts)
	env.setEndpoints(t, true)
	terwayKubeconfig := env.kubeconfigFor(t, terwaySA)

	t.Run("a: typha_connections_active reads 1 with metrics enabled", func(t *testing.T) {
		env.setBGPPeersCRD(t, true)
		// Render again with the values key metrics.enabled and apply the
		// Deployment, so that the container run is the one the cluster stores.
		mopts := opts
		mopts.Metrics = true
		env.applyRenderedDeployment(t, mopts)
		// Later cases run the Deployment without metrics, as rendered by default.
		t.Cleanup(func() { env.applyRenderedDeployment(t, opts) })
		port := int32(0)
		for _, p := range env.container.Ports {
			if p.Name == "metrics" {
				port = p.ContainerPort
			}
		}
		if port == 0 {
			t.Fatalf("the rendered container has no port named metrics: %+v", env.container.Ports)
		}
		typha := env.startTypha(t, typhaControl, terwayKubeconfig)
		env.waitTyphaReady(t, typha, typhaReadyBound)
		client := env.startFelixClient(t, terwayKubeconfig)
		env.waitForLine(t, client, "status in-sync", inSyncBound, typha)
		// What the plan's verification reads through the pod proxy: the
		// gauge on the node's port (hostNetwork, all interfaces).
		url := fmt.Sprintf("http://%s/metrics", net.JoinHostPort(env.nodeIP, strconv.Itoa(int(port))))
		var last string
		deadline := time.Now().Add(inSyncBound)
		for time.Now().Before(deadline) {
			last = metricLine(env.ctx, url, "typha_connections_active")
			if last == "typha_connections_active 1" {
				t.Logf("%s: %s while the Felix client is connected", url, last)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if last != "typha_connections_active 1" {
			t.Fatalf("%s: typha_connections_active is %q with one Felix client connected; want 1", url, last)
		}
		// The typha plan with metrics reads that very metric.
		plan, err := rollout.Plan(rollout.Options{Mode: render.ModeTypha, Cluster: mopts})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(planCommands(plan), func(c string) bool {
			return strings.Contains(c, fmt.Sprintf(":%d/proxy/metrics", port)) && strings.Contains(c, "typha_connections_active")
		}) {
			t.Errorf("the typha plan with metrics reads no typha_connections_active on port %d: %q", port, planCommands(plan))
		}
	})

	t.Run("b: the BGPPeer CRD only stops Typha re-listing bgppeers; Felix syncs with or without it", func(t *testing.T) {
		for _, present := range []bool{true, false} {
			env.setBGPPeersCRD(t, present)
			typha := env.startTypha(t, typhaControl, terwayKubeconfig)
			env.waitTyphaReady(t, typha, typhaReadyBound)
			client := env.startFelixClient(t, terwayKubeconfig)
			took := env.waitForLine(t, client, "status in-sync", inSyncBound, typha)
			relists := waitForRelists(t, typha)
			if got := slices.Contains(relists, bgpPeersListRoot); got == present {
				t.Errorf("with %s present=%v, Typha re-lists %v; want bgppeers among them only without the CRD", bgpPeersCRDName, present, relists)
			}
			t.Logf("%s present=%v: in-sync %v after the client started; Typha re-lists %v every few seconds", bgpPeersCRDName, present, took.Round(time.Millisecond), relists)
			client.stop(t)
			typha.stop(t)
		}
	})

	t.Run("c: as a ServiceAccount without Terway's role Typha never turns Ready and logs forbidden", func(t *testing.T) {
		env.setBGPPeersCRD(t, true)
		env.createServiceAccount(t, saWithoutRole)
		typha := env.startTypha(t, typhaControl, env.kubeconfigFor(t, saWithoutRole))
		probes, last := env.assertNeverReady(t, typha, neverReadyBound)
		forbidden := grepFile(typha.logPath, "forbidden")
		if len(forbidden) == 0 {
			t.Fatalf("Typha's log lacks %q after %v; its last lines:\n%s", "forbidden", neverReadyBound, tail(typha.logPath, 20))
		}
		t.Logf("not Ready after %v (%d probes, the last answered %s); %d log lines say forbidden; first: %s", neverReadyBound, probes, last, len(forbidden), forbidden[0])
	})
}

// newTerwayEnv starts a cluster that has what a Terway cluster has before
// the guide (testdata/terway: Terway's ServiceAccount, ClusterRole and
// binding, and its eight crd.projectcalico.org CRDs) and returns the relay
// cases' environment for it. The rendered manifests come next
// (applyRendered), then the Endpoints (setEndpoints).
func newTerwayEnv(ctx context.Context, t testing.TB, nodeIP string) *relayEnv {
	t.Helper()
	return newTerwayEnvOn(ctx, t, startCluster(t), nodeIP)
}

// newTerwayEnvOn is newTerwayEnv on the cluster c.
func newTerwayEnvOn(ctx context.Context, t testing.TB, c *cluster, nodeIP string) *relayEnv {
	t.Helper()
	cl := c.clients()
	info, err := cl.cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	waitForNamespace(ctx, t, cl.cs, typhaNamespace)
	env := &relayEnv{
		ctx:          ctx,
		c:            c,
		cs:           cl.cs,
		ext:          apiextensionsclient.NewForConfigOrDie(c.config),
		dyn:          cl.dyn,
		mapper:       cl.mapper,
		nodeIP:       nodeIP,
		kubeVersion:  info.GitVersion + "-aliyun.1",
		felixService: felixRelayService(t),
	}
	t.Logf("kube-apiserver %s; rendering for %s; node address %s", info.GitVersion, env.kubeVersion, nodeIP)
	env.applyYAMLFile(t, filepath.Join("testdata", "terway", "rbac.yaml"))
	env.applyYAMLFile(t, filepath.Join("testdata", "terway", "crds.yaml"))
	env.waitCRDsEstablished(t)
	return env
}

// renderOptions are the options of the relay cases' rendering with Typha
// tag. A tag the version table refuses on this cluster is rendered with
// the claims that lift its refusal (render.Vouch), so that its Typha runs
// with the environment render gives it; TestTyphaVersions checks that the
// table's refusals are exactly the releases that do not serve Felix.
func (e *relayEnv) renderOptions(tag string) render.Options {
	o := render.Options{Region: relayRegion, Nodes: relayNodes, KubeVersion: e.kubeVersion, Tag: tag}
	rel, ok := terway.ParseRelease(tag)
	kube, err := versioning.Parse(e.kubeVersion)
	if !ok || err != nil {
		return o
	}
	for _, f := range terway.CheckTypha(rel, kube, terway.CurrentFelix()) {
		switch f.Claim {
		case terway.ClaimEndpointSliceV1:
			o.Vouch.EndpointSliceV1 = true
		case terway.ClaimTierCRD:
			o.Vouch.TierCRD = true
		case terway.ClaimFelixModernPolicyKeys:
			o.Vouch.FelixModernPolicyKeys = true
		}
	}
	return o
}

// applyRendered renders opts and applies every object as EncodeYAML writes
// it; the Typha container is then the one the cluster stores.
func (e *relayEnv) applyRendered(t testing.TB, opts render.Options) *render.Result {
	t.Helper()
	res, err := render.Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	var rendered bytes.Buffer
	if err := render.EncodeYAML(&rendered, res.Objects()...); err != nil {
		t.Fatal(err)
	}
	e.applyYAML(t, "rendered manifests (Typha "+opts.Tag+")", rendered.Bytes())
	e.waitCRDsEstablished(t)
	e.readBack(t)
	return res
}

// applyRenderedDeployment renders opts and applies only the Deployment.
func (e *relayEnv) applyRenderedDeployment(t testing.TB, opts render.Options) *render.Result {
	t.Helper()
	res, err := render.Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, res.Deployment); err != nil {
		t.Fatal(err)
	}
	e.applyYAML(t, "rendered Deployment (Typha "+opts.Tag+")", buf.Bytes())
	e.readBack(t)
	return res
}

// readBack reads what the cluster now has: the Deployment's container as
// the kubelet would run it, and the Service the Endpoints belong to.
func (e *relayEnv) readBack(t testing.TB) {
	t.Helper()
	dep, err := e.cs.AppsV1().Deployments(typhaNamespace).Get(e.ctx, render.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the rendered Deployment %s/%s: %v", typhaNamespace, render.Name, err)
	}
	svc, err := e.cs.CoreV1().Services(typhaNamespace).Get(e.ctx, render.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the rendered Service %s/%s: %v", typhaNamespace, render.Name, err)
	}
	e.container = typhaContainer(t, dep)
	e.svc = svc
}

// planCommands returns every command of a rollout plan, in order.
func planCommands(p *rollout.Result) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Commands...)
	}
	return out
}

// metricLine returns the line of metric name (without labels) that the
// Prometheus endpoint at url serves, or what went wrong.
func metricLine(ctx context.Context, url, name string) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return fmt.Sprintf("HTTP %d without %s", resp.StatusCode, name)
}

// typhaBinaries returns hack/typha-binaries.sh's directory, or skips.
func typhaBinaries(t testing.TB) string {
	t.Helper()
	return binaryDir(t, typhaBinEnv, typhaSkipEnv, "hack/typha-binaries.sh", typhaUpstream, typhaControl, felixClient)
}

// binaryDir returns the directory in env (set by hack/e2e.sh from what
// script prints), after checking it holds names; without it the test skips
// with the reason in skipEnv (or fails, under CI=true).
func binaryDir(t testing.TB, env, skipEnv, script string, names ...string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		why := os.Getenv(skipEnv)
		if why == "" {
			why = env + " is not set (run `make e2e`)"
		}
		skipOrFail(t, why)
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("%s=%s: %v (run %s)", env, dir, err, script)
		}
	}
	return dir
}

// privateNodeIP returns the node address of the network namespace that
// hack/e2e-netns.sh made, or skips. The check that it is not on any
// interface of the outside world is by construction: the namespace is new.
func privateNodeIP(t testing.TB) string {
	t.Helper()
	ip := os.Getenv(nodeIPEnv)
	if ip == "" {
		why := os.Getenv(netnsSkipEnv)
		if why == "" {
			why = nodeIPEnv + " is not set: run under hack/e2e-netns.sh (`make e2e` does)"
		}
		skipOrFail(t, why)
	}
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.IsLoopback() {
		t.Fatalf("%s=%q: want a non-loopback address", nodeIPEnv, ip)
	}
	// It must be ours: bound on an interface of this namespace.
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("%s=%s is not an address of this network namespace: %v", nodeIPEnv, ip, err)
	}
	l.Close()
	return ip
}

// skipOrFail skips the test with why, except under CI=true, where the relay
// test must run.
func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: this test must run)", why)
	}
	t.Skip(why)
}

// relayEnv is the shared state of the relay cases.
type relayEnv struct {
	ctx          context.Context
	c            *cluster
	cs           kubernetes.Interface
	ext          apiextensionsclient.Interface
	dyn          dynamic.Interface
	mapper       *restmapper.DeferredDiscoveryRESTMapper
	nodeIP       string
	bins         string           // hack/typha-binaries.sh's directory (v3.20.2)
	container    corev1.Container // the rendered Typha container, as the cluster stores it
	svc          *corev1.Service  // the rendered Service, as the cluster stores it
	endpoints    string           // what setEndpoints published, for failure messages
	kubeVersion  string           // the server's, as ACK spells it
	felixService string
	runs         int
	tokenExpiry  time.Duration // of kubeconfigFor's tokens; default an hour
}

func (e *relayEnv) applyYAMLFile(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e.applyYAML(t, path, data)
}

// applyYAML server-side applies every document of data.
func (e *relayEnv) applyYAML(t testing.TB, name string, data []byte) {
	t.Helper()
	e.mapper.Reset() // CRDs applied before may serve new kinds
	for _, u := range decodeYAML(t, name, data) {
		_, err := resourceFor(t, e.mapper, e.dyn, u).Apply(e.ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		if err != nil {
			t.Fatalf("%s: apply %s %s: %v", name, u.GetKind(), u.GetName(), err)
		}
		t.Logf("%s: applied %s %s", name, u.GetKind(), strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/"))
	}
}

// waitCRDsEstablished waits until every CRD is Established.
func (e *relayEnv) waitCRDsEstablished(t testing.TB) {
	t.Helper()
	var pending []string
	err := wait.PollUntilContextTimeout(e.ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.ext.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pending = pending[:0]
		for _, crd := range list.Items {
			if !established(&crd) {
				pending = append(pending, crd.Name)
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		t.Fatalf("CRDs not Established: %v (pending %v)", err, pending)
	}
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

// setBGPPeersCRD makes the rendered BGPPeer CRD present (applied as
// rendered, and Established) or absent (deleted, and gone).
func (e *relayEnv) setBGPPeersCRD(t testing.TB, present bool) {
	t.Helper()
	res, err := render.Render(e.renderOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	if res.CustomResourceDefinition == nil || res.CustomResourceDefinition.Name != bgpPeersCRDName {
		t.Fatalf("render returned no %s", bgpPeersCRDName)
	}
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, res.CustomResourceDefinition); err != nil {
		t.Fatal(err)
	}
	e.setCRD(t, bgpPeersCRDName, "rendered CRD", buf.Bytes(), present)
}

// setRBAC makes the ClusterRole and ClusterRoleBinding name, as data holds
// them, present (applied) or absent (deleted).
func (e *relayEnv) setRBAC(t testing.TB, name, what string, data []byte, present bool) {
	t.Helper()
	if present {
		e.applyYAML(t, what, data)
		return
	}
	rbac := e.cs.RbacV1()
	if err := rbac.ClusterRoleBindings().Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete ClusterRoleBinding %s: %v", name, err)
	}
	if err := rbac.ClusterRoles().Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete ClusterRole %s: %v", name, err)
	}
}

// setCRD makes the CRD name, as data holds it, present (applied, and
// Established) or absent (deleted, and gone).
func (e *relayEnv) setCRD(t testing.TB, name, what string, data []byte, present bool) {
	t.Helper()
	crds := e.ext.ApiextensionsV1().CustomResourceDefinitions()
	if present {
		e.applyYAML(t, what, data)
		e.waitCRDsEstablished(t)
		return
	}
	if err := crds.Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete %s: %v", name, err)
	}
	err := wait.PollUntilContextTimeout(e.ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := crds.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("%s still there after delete: %v", name, err)
	}
	t.Logf("deleted %s", name)
}

// typhaContainer returns the rendered Deployment's Typha container, as the
// server stored it.
func typhaContainer(t testing.TB, dep *appsv1.Deployment) corev1.Container {
	t.Helper()
	cs := dep.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("Deployment %s/%s has %d containers, want 1", dep.Namespace, dep.Name, len(cs))
	}
	if !dep.Spec.Template.Spec.HostNetwork {
		t.Fatalf("Deployment %s/%s is not hostNetwork: its pods would not listen on the node address this test publishes", dep.Namespace, dep.Name)
	}
	return cs[0]
}

// setEndpoints writes the Endpoints object the endpoints controller would
// write for the rendered Service (v1 Endpoints, deprecated since 1.33 so the
// server warns, but served, and what Felix's discovery and Typha read) with
// one replica of the rendered container on the node address: ready, or not
// ready (as the controller lists a pod whose readinessProbe fails). One
// subset, the Service's port names and protocols, each port the container
// port its targetPort names (a named targetPort the container does not have
// is left out, as the controller does).
func (e *relayEnv) setEndpoints(t testing.TB, ready bool) {
	t.Helper()
	e.publishEndpoints(t, []endpointAddress{{ip: e.nodeIP, node: "e2e-node", pod: e.svc.Name + "-e2e", ready: ready}})
}

// publishEndpoints writes the Endpoints as setEndpoints does, with one
// address per replica in addrs, ready or not ready (the controller groups
// addresses with the same ports into one subset).
func (e *relayEnv) publishEndpoints(t testing.TB, addrs []endpointAddress) {
	t.Helper()
	svc, container := e.svc, e.container
	var ports []corev1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		port, ok := resolveTargetPort(sp, container)
		if !ok {
			t.Logf("Service port %q: targetPort %s is not a port of container %s; the endpoints controller leaves it out", sp.Name, sp.TargetPort.String(), container.Name)
			continue
		}
		ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: port, Protocol: sp.Protocol})
	}
	subset := corev1.EndpointSubset{Ports: ports}
	var states []string
	for _, a := range addrs {
		addr := corev1.EndpointAddress{
			IP:        a.ip,
			NodeName:  ptr(a.node),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: svc.Namespace, Name: a.pod},
		}
		state := "ready"
		if a.ready {
			subset.Addresses = append(subset.Addresses, addr)
		} else {
			subset.NotReadyAddresses = append(subset.NotReadyAddresses, addr)
			state = "not ready"
		}
		states = append(states, a.ip+" ("+state+")")
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: svc.Labels}}
	if len(addrs) > 0 {
		ep.Subsets = []corev1.EndpointSubset{subset}
	}
	eps := e.cs.CoreV1().Endpoints(svc.Namespace)
	got, err := eps.Create(e.ctx, ep, metav1.CreateOptions{FieldManager: "endpoint-controller"})
	if apierrors.IsAlreadyExists(err) {
		got, err = eps.Update(e.ctx, ep, metav1.UpdateOptions{FieldManager: "endpoint-controller"})
	}
	if err != nil {
		t.Fatalf("publish Endpoints %s/%s: %v", svc.Namespace, svc.Name, err)
	}
	var names []string
	for _, s := range got.Subsets {
		for _, p := range s.Ports {
			names = append(names, fmt.Sprintf("%s=%d/%s", p.Name, p.Port, p.Protocol))
		}
	}
	e.endpoints = fmt.Sprintf("Endpoints %s/%s (from the rendered Service) has %s with ports %v", got.Namespace, got.Name, strings.Join(states, ", "), names)
	t.Logf("published Endpoints %s/%s: %s, ports %v", got.Namespace, got.Name, strings.Join(states, ", "), names)
}

func resolveTargetPort(sp corev1.ServicePort, container corev1.Container) (int32, bool) {
	switch {
	case sp.TargetPort.Type == intstr.String:
		for _, cp := range container.Ports {
			if cp.Name == sp.TargetPort.StrVal && cp.Protocol == sp.Protocol {
				return cp.ContainerPort, true
			}
		}
		return 0, false
	case sp.TargetPort.IntValue() != 0:
		return int32(sp.TargetPort.IntValue()), true
	default:
		return sp.Port, true
	}
}

func ptr[T any](v T) *T { return &v }

// felixRelayService is the Typha Service name Felix is given after the
// guide's eni-config edit (Terway passes felix_relay_service to Felix as
// FELIX_TYPHAK8SSERVICENAME).
func felixRelayService(t testing.TB) string {
	t.Helper()
	cm := readConfigMap(t, filepath.Join("..", "testdata", "eniconfig", "terway-eniip.yaml"))
	edit, err := render.EditENIConfig(cm, render.ModeTypha)
	if err != nil {
		t.Fatal(err)
	}
	name := edit.ConfigMap.Data[terway.KeyFelixRelayService]
	if name == "" {
		t.Fatalf("the typha edit of eni-config leaves %s empty", terway.KeyFelixRelayService)
	}
	return name
}

// kubeconfigFor writes a kubeconfig holding a token for ServiceAccount
// kube-system/name from the TokenRequest API, and returns its path.
func (e *relayEnv) kubeconfigFor(t testing.TB, name string) string {
	t.Helper()
	expiry := e.tokenExpiry
	if expiry == 0 {
		expiry = time.Hour
	}
	tr, err := e.cs.CoreV1().ServiceAccounts(typhaNamespace).CreateToken(e.ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(expiry / time.Second))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for ServiceAccount %s/%s: %v", typhaNamespace, name, err)
	}
	path := filepath.Join(e.c.dir, "kubeconfig-"+name)
	writeKubeconfig(t, e.c, path, tr.Status.Token)
	// Who the server says this is.
	restCfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	review, err := kubernetes.NewForConfigOrDie(restCfg).AuthenticationV1().SelfSubjectReviews().Create(e.ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview with %s: %v", path, err)
	}
	want := "system:serviceaccount:" + typhaNamespace + ":" + name
	if got := review.Status.UserInfo.Username; got != want {
		t.Fatalf("kubeconfig %s authenticates as %q, want %q", path, got, want)
	}
	return path
}

// writeKubeconfig writes a kubeconfig for c's API server with token ("" for
// an anonymous client) to path.
func writeKubeconfig(t testing.TB, c *cluster, path, token string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.config.Host, CertificateAuthorityData: c.config.CAData}
	cfg.AuthInfos["e2e"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e"}
	cfg.CurrentContext = "e2e"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// createNetworkPolicy creates an allow-nothing NetworkPolicy default/name
// and returns what deletes it; it is deleted when t ends at the latest.
func (e *relayEnv) createNetworkPolicy(t testing.TB, name string) (deleteIt func()) {
	t.Helper()
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	nps := e.cs.NetworkingV1().NetworkPolicies(np.Namespace)
	if _, err := nps.Create(e.ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create NetworkPolicy %s/%s: %v", np.Namespace, name, err)
	}
	deleteIt = func() {
		if err := nps.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete NetworkPolicy %s/%s: %v", np.Namespace, name, err)
		}
	}
	t.Cleanup(deleteIt)
	return deleteIt
}

func (e *relayEnv) createServiceAccount(t testing.TB, name string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: typhaNamespace}}
	if _, err := e.cs.CoreV1().ServiceAccounts(typhaNamespace).Create(e.ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create ServiceAccount %s/%s: %v", typhaNamespace, name, err)
	}
}

// startTypha runs the v3.20.2 Typha binary variant (hack/typha-binaries.sh)
// as startTyphaBinary does.
func (e *relayEnv) startTypha(t testing.TB, variant, kubeconfig string) *process {
	t.Helper()
	return e.startTyphaBinary(t, variant, filepath.Join(e.bins, variant), kubeconfig)
}

// startTyphaBinary runs the Typha binary bin with exactly the rendered
// container's env, plus KUBECONFIG (the datastore connection, which the pod
// gets from its mounted ServiceAccount token). It is stopped when t ends.
func (e *relayEnv) startTyphaBinary(t testing.TB, name, bin, kubeconfig string) *process {
	t.Helper()
	env := e.typhaEnv(t, kubeconfig)
	e.runs++
	p := e.c.startProcess(t, fmt.Sprintf("%s-%d", name, e.runs), bin, env)
	t.Cleanup(func() { p.stop(t) })
	t.Logf("%s env (the rendered container's, plus KUBECONFIG): %s", name, strings.Join(env, " "))
	return p
}

// assertNeverReady probes Typha as the kubelet would for bound and fails
// if it turns Ready or exits; it returns the number of probes and the last
// answer.
func (e *relayEnv) assertNeverReady(t testing.TB, typha *process, bound time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	probes, last := 0, ""
	for time.Now().Before(deadline) {
		if exited(typha) {
			t.Fatalf("%s exited: %v\n%s", typha.name, typha.waitErr, tail(typha.logPath, 20))
		}
		code, body := e.probe()
		if probeSucceeds(code) {
			t.Fatalf("%s turned Ready (HTTP %d %q); its last lines:\n%s", typha.name, code, body, tail(typha.logPath, 20))
		}
		probes, last = probes+1, fmt.Sprintf("HTTP %d %q", code, body)
		time.Sleep(time.Second)
	}
	return probes, last
}

// startFelixClient runs the Felix-protocol client: it discovers Typha from
// the Endpoints of the Service Felix is told about, then syncs.
func (e *relayEnv) startFelixClient(t testing.TB, kubeconfig string) *process {
	t.Helper()
	e.runs++
	p := e.c.startProcess(t, fmt.Sprintf("%s-%d", felixClient, e.runs), filepath.Join(e.bins, felixClient),
		[]string{"PATH=/usr/bin:/bin", "HOME=" + e.c.dir},
		"--kubeconfig="+kubeconfig, "--namespace="+typhaNamespace, "--service="+e.felixService)
	t.Cleanup(func() { p.stop(t) })
	return p
}

// probe sends the rendered readinessProbe once; it returns the status code
// (0 when nothing answers) and the body.
func (e *relayEnv) probe() (int, string) {
	return e.probeWith(http.DefaultClient, e.nodeIP)
}

// probeWith sends the rendered readinessProbe once with client; podIP is
// the host when the probe names none.
func (e *relayEnv) probeWith(client *http.Client, podIP string) (int, string) {
	rp := e.container.ReadinessProbe
	if rp == nil || rp.HTTPGet == nil {
		return -1, "the rendered container has no HTTP readinessProbe"
	}
	host := rp.HTTPGet.Host
	if host == "" {
		host = podIP // hostNetwork: the node's
	}
	url := fmt.Sprintf("http://%s%s", net.JoinHostPort(host, strconv.Itoa(rp.HTTPGet.Port.IntValue())), rp.HTTPGet.Path)
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	body, _ := readAll(resp)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// probeSucceeds is the kubelet's reading of an HTTP probe's status code:
// 200 to 399 pass (Typha answers 204).
func probeSucceeds(code int) bool {
	return code >= http.StatusOK && code < http.StatusBadRequest
}

// waitTyphaReady waits for the rendered readinessProbe to pass and returns
// how long that took.
func (e *relayEnv) waitTyphaReady(t testing.TB, typha *process, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < bound {
		if exited(typha) {
			t.Fatalf("%s exited before it was Ready: %v\n%s", typha.name, typha.waitErr, tail(typha.logPath, 30))
		}
		code, body := e.probe()
		if probeSucceeds(code) {
			took := time.Since(start)
			t.Logf("%s Ready (HTTP %d) after %v", typha.name, code, took.Round(time.Millisecond))
			return took
		}
		last = fmt.Sprintf("%d %s", code, body)
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s not Ready after %v (readinessProbe %s: %s); %s; its last lines:\n%s", typha.name, bound, probeURL(e.container.ReadinessProbe), last, typhaConfig(typha), tail(typha.logPath, 15))
	return 0
}

// waitForLine waits until a line of p's log starts with prefix and returns
// how long that took. It fails at once if p exits, and after bound; the
// message carries the client's own lines and the tail of Typha's log.
func (e *relayEnv) waitForLine(t testing.TB, p *process, prefix string, bound time.Duration, typha *process) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if lines := grepPrefix(p.logPath, prefix); len(lines) > 0 {
			return time.Since(start)
		}
		if exited(p) {
			// Give the log a moment: the process may have written its
			// last line as it exited.
			if lines := grepPrefix(p.logPath, prefix); len(lines) > 0 {
				return time.Since(start)
			}
			t.Fatalf("the Felix client exited (%v) without a line %q; what it said:\n%s\n%s\n%s; Typha's last lines:\n%s",
				p.waitErr, prefix, strings.Join(clientLines(p), "\n"), e.discoveryFacts(), typhaConfig(typha), tail(typha.logPath, 15))
		}
		if time.Since(start) > bound {
			t.Fatalf("no line %q from the Felix client within %v; what it said:\n%s\n%s\n%s; Typha's last lines:\n%s",
				prefix, bound, strings.Join(clientLines(p), "\n"), e.discoveryFacts(), typhaConfig(typha), tail(typha.logPath, 15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// discoveryFacts says what Felix's discovery looks for and what there is.
func (e *relayEnv) discoveryFacts() string {
	return fmt.Sprintf("Felix looks up Endpoints %s/%s (felix_relay_service after the guide's eni-config edit) for a port named %q; %s",
		typhaNamespace, e.felixService, felixPortName, e.endpoints)
}

// typhaConfig quotes the start of the configuration Typha says it loaded
// (its datastore first), which explains most failures to start.
func typhaConfig(typha *process) string {
	const marker = "config=&config.Config{"
	for _, l := range grepFile(typha.logPath, marker) {
		cfg := l[strings.Index(l, marker)+len(marker):]
		if i := strings.Index(cfg, ", LogFilePath:"); i >= 0 {
			cfg = cfg[:i]
		}
		return "Typha loaded config " + cfg
	}
	return "Typha logged no loaded configuration"
}

func probeURL(p *corev1.Probe) string {
	if p == nil || p.HTTPGet == nil {
		return "(none)"
	}
	return fmt.Sprintf("http://%s%s", net.JoinHostPort(p.HTTPGet.Host, p.HTTPGet.Port.String()), p.HTTPGet.Path)
}

func exited(p *process) bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// clientLines are the felix-client's own lines (see e2e/felixclient/main.go),
// in order, without its library's log.
func clientLines(p *process) []string {
	data, _ := os.ReadFile(p.logPath)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		for _, prefix := range []string{"discovered ", "status ", "update ", "error "} {
			if strings.HasPrefix(l, prefix) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

func statusLines(p *process) []string {
	var out []string
	for _, l := range grepPrefix(p.logPath, "status ") {
		out = append(out, strings.TrimPrefix(l, "status "))
	}
	return out
}

// grepPrefix returns the lines of the file at path that start with prefix.
func grepPrefix(path, prefix string) []string { return grepLines(path, prefix, strings.HasPrefix) }

// grepFile returns the lines of the file at path that contain substr.
func grepFile(path, substr string) []string { return grepLines(path, substr, strings.Contains) }

func grepLines(path, s string, match func(line, s string) bool) []string {
	data, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if match(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// waitForRelists waits for one period of Typha's re-listing of the resources
// it could not list and returns their list roots, sorted. libcalico-go's
// watchercache logs "Full resync is required" for every resource of every
// syncer at start, then again every 5 s for each one whose list failed: the
// roots logged a period or more after the first line are the re-listed ones.
func waitForRelists(t testing.TB, typha *process) []string {
	t.Helper()
	const (
		marker = `Full resync is required ListRoot="`
		stamp  = "2006-01-02 15:04:05.000" // how Typha's log lines begin
		period = 5 * time.Second
	)
	type entry struct {
		at   time.Time
		root string
	}
	read := func() []entry {
		var out []entry
		for _, l := range grepFile(typha.logPath, marker) {
			if len(l) < len(stamp) {
				continue
			}
			at, err := time.Parse(stamp, l[:len(stamp)])
			if err != nil {
				t.Fatalf("Typha log line without a timestamp: %q", l)
			}
			root := l[strings.Index(l, marker)+len(marker):]
			out = append(out, entry{at, strings.TrimSuffix(root, `"`)})
		}
		return out
	}
	deadline := time.Now().Add(relistBound)
	for len(read()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in Typha's log within %v; its last lines:\n%s", marker, relistBound, tail(typha.logPath, 15))
		}
		time.Sleep(250 * time.Millisecond)
	}
	// The first list was at most a poll ago: wait a period and a margin
	// (on our clock; Typha's timestamps are only compared with each other).
	time.Sleep(period + 1500*time.Millisecond)
	first := read()[0].at
	roots := map[string]bool{}
	for _, e := range read() {
		if e.at.Sub(first) >= period-time.Second {
			roots[e.root] = true
		}
	}
	return slices.Sorted(maps.Keys(roots))
}
