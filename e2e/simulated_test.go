//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/typharender/typharender/e2e/felixsimclient"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// simSize is the simulated cluster's size: felix Felix nodes, with a
// fiftieth as many exclusive-ENI and virtual nodes each (at least one)
// mixed in. The rehearsal's cluster has 500 (the floor: 10
// exclusive-ENI, 10 virtual); TestSimulatedCluster's, which checks the
// parts, 100. TYPHARENDER_E2E_FELIX_NODES=N sets both, for a quick local run
// or a larger one.
func simSize(t *testing.T, felix int) simOptions {
	t.Helper()
	o := simOptions{felixNodes: felix, exclusiveENINodes: max(1, felix/50), virtualNodes: max(1, felix/50)}
	if v := os.Getenv(felixNodesEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			t.Fatalf("%s=%q: want a node count of 4 or more", felixNodesEnv, v)
		}
		o = simOptions{felixNodes: n, exclusiveENINodes: max(1, n/50), virtualNodes: max(1, n/50)}
		t.Logf("%s=%d: a cluster of %d Felix nodes, not %d", felixNodesEnv, n, n, felix)
	}
	return o
}

const felixNodesEnv = "TYPHARENDER_E2E_FELIX_NODES"

// TestSimulatedCluster proves the parts of the simulated Terway cluster the
// rehearsal stands on, at 100 Felix nodes (the rehearsal runs 500): Terway runs where its chart puts it
// and Felix where Terway runs it, in sync with the API server; kubectl's
// logs and exec reach the policy container's log and env through kwok; the
// rendered Typha Deployment runs as real Typha processes whose readiness the
// pods report, the real endpoints controller publishes their node addresses,
// the API server's pod proxy reaches their metrics; and one Terway pod
// restarted after the guide's eni-config edit runs its Felix through Typha.
// It logs the start time of each phase and the memory of each process.
func TestSimulatedCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	s := startSimCluster(t, ctx, simSize(t, 100))
	s.logCost(t, "after start")

	t.Run("Terway and Felix where the chart and Terway put them", func(t *testing.T) {
		running := s.terway.running()
		for _, n := range s.nodes {
			tp, ok := running[n.name]
			switch n.kind {
			case virtualNode:
				if ok {
					t.Errorf("virtual node %s runs Terway pod %s; the DaemonSet's affinity keeps it off", n.name, tp.name)
				}
			case exclusiveENINode:
				if !ok || tp.engine != terway.EngineNone {
					t.Errorf("exclusive-ENI node %s: Terway pod %v, engine %q; want a pod with no engine", n.name, ok, tp.engine)
				}
			case felixNode:
				if !ok || tp.engine != terway.EngineFelix || tp.felix == nil || tp.felix.Mode != felixsimclient.ModeDirect {
					t.Errorf("Felix node %s: Terway pod %v, engine %q, Felix %+v; want Felix, direct", n.name, ok, tp.engine, tp.felix)
				}
			}
		}
		t.Logf("%d Terway pods: Felix on %d nodes, none on %d exclusive-ENI nodes; %d virtual nodes without Terway",
			len(running), len(s.nodesOf(felixNode)), len(s.nodesOf(exclusiveENINode)), len(s.nodesOf(virtualNode)))
	})

	felixNodeName := s.nodesOf(felixNode)[0]
	firstPod := s.terway.running()[felixNodeName].name

	t.Run("kubectl logs and exec reach the policy container through kwok", func(t *testing.T) {
		out := s.kubectl(t, "-n", "kube-system", "exec", firstPod, "-c", terwayPolicyContainer, "--", "env")
		for _, want := range []string{"DISABLE_POLICY=false", "NODENAME=" + felixNodeName, "CILIUM_CNI_CHAINING_MODE=terway-chainer"} {
			if !slices.Contains(strings.Split(out, "\n"), want) {
				t.Errorf("kubectl exec %s -c policy -- env lacks %s:\n%s", firstPod, want, out)
			}
		}
		if strings.Contains(out, "FELIX_TYPHAK8SSERVICENAME=") {
			t.Errorf("kubectl exec %s -c policy -- env has FELIX_TYPHAK8SSERVICENAME before eni-config names a Service:\n%s", firstPod, out)
		}
		logs := s.kubectl(t, "-n", "kube-system", "logs", firstPod, "-c", terwayPolicyContainer)
		if strings.TrimSpace(logs) == "" {
			t.Errorf("kubectl logs %s -c policy is empty; want Felix's log", firstPod)
		}
		t.Logf("kubectl logs %s -c policy: %d lines, the last: %s", firstPod, strings.Count(logs, "\n"), lastLine(logs))
	})

	// v3.24.5: the Typha release of Terway's Felix, which syncs on 1.37.
	res := s.renderTypha(t, render.Options{Metrics: true, Tag: "v3.24.5"})
	t.Run("the rendered Typha runs as real Typha processes, Ready by their readiness probe", func(t *testing.T) {
		var buf bytes.Buffer
		if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s.applyYAML(t, "rendered manifests", buf.Bytes())
		s.kubectl(t, "-n", "kube-system", "rollout", "status", "deploy/calico-typha", "--timeout=3m")
		t.Logf("kubectl rollout status returned %v after the apply", time.Since(start).Round(time.Millisecond))
		ready := 0
		for _, p := range s.typha.all() {
			if p.isReady() {
				ready++
			}
			t.Logf("%s:\n%s", p, p.history())
		}
		if ready != res.Advice.Replicas {
			t.Fatalf("%d Typha pods Ready by their probe, want %d", ready, res.Advice.Replicas)
		}
		eps := s.typhaEndpoints(t)
		if len(eps) != res.Advice.Replicas {
			t.Fatalf("Endpoints %s/%s lists %v; want the %d Typha nodes' addresses", render.Namespace, render.Name, eps, res.Advice.Replicas)
		}
		for _, ip := range eps {
			if n := s.nodeByIP(ip); n == nil || n.kind == virtualNode {
				t.Errorf("Endpoints address %s is not a non-virtual simulated node's", ip)
			}
		}
		t.Logf("the endpoints controller publishes %v", eps)
		s.logCost(t, "with Typha")
	})

	t.Run("the API server's pod proxy reaches Typha's metrics", func(t *testing.T) {
		pods := s.typhaPodNames(t)
		total := 0
		for _, pod := range pods {
			out := s.kubectl(t, "get", "--raw", strings.ReplaceAll("/api/v1/namespaces/kube-system/pods/POD:9093/proxy/metrics", "POD", pod))
			v, ok := metricValue(out, "typha_connections_active")
			if !ok {
				t.Fatalf("pod %s's metrics through the pod proxy lack typha_connections_active:\n%.500s", pod, out)
			}
			total += int(v)
		}
		if total != 0 {
			t.Errorf("typha_connections_active sums to %d before any Felix uses Typha; want 0", total)
		}
	})

	t.Run("one Terway pod restarted after the eni-config edit runs Felix through Typha", func(t *testing.T) {
		s.kubectl(t, "-n", "kube-system", "patch", "cm", "eni-config", "--type", "merge", "-p", `{"data":{"felix_relay_service":"calico-typha"}}`)
		s.kubectl(t, "-n", "kube-system", "delete", "pod", firstPod)
		var tp terwayPod
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			var ok bool
			tp, ok = s.terway.running()[felixNodeName]
			return ok && tp.name != firstPod, nil
		})
		if err != nil {
			t.Fatalf("no new Terway pod on %s after deleting %s", felixNodeName, firstPod)
		}
		if tp.felix == nil || tp.felix.Mode != felixsimclient.ModeTypha || tp.felix.TyphaService != render.Name {
			t.Fatalf("the new Terway pod %s runs Felix %+v; want typha mode through %s", tp.name, tp.felix, render.Name)
		}
		env := s.kubectl(t, "-n", "kube-system", "exec", tp.name, "-c", terwayPolicyContainer, "--", "env")
		if !slices.Contains(strings.Split(env, "\n"), "FELIX_TYPHAK8SSERVICENAME="+render.Name) {
			t.Errorf("kubectl exec %s -c policy -- env lacks FELIX_TYPHAK8SSERVICENAME=%s:\n%s", tp.name, render.Name, env)
		}
		var c felixsimclient.Client
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			clients, err := s.felix.Clients(ctx)
			if err != nil {
				return false, nil
			}
			for _, x := range clients {
				if x.Node == felixNodeName {
					c = x
				}
			}
			return c.Mode == felixsimclient.ModeTypha && c.Status == felixsimclient.StatusInSync, nil
		})
		if err != nil {
			t.Fatalf("Felix of %s not in sync through Typha: %+v", felixNodeName, c)
		}
		t.Logf("Felix of %s in sync through Typha at %s", felixNodeName, c.TyphaAddr)
		// The other Terway pods read eni-config before the edit: their
		// Felix still watches the API server.
		direct := 0
		for _, p := range s.terway.running() {
			if p.felix != nil && p.felix.Mode == felixsimclient.ModeDirect {
				direct++
			}
		}
		if want := len(s.nodesOf(felixNode)) - 1; direct != want {
			t.Errorf("%d Felix agents direct after one restart; want %d (the pods that started before the edit)", direct, want)
		}
	})
}

// logCost logs how long each phase of the start took and the memory of
// every process.
func (s *simCluster) logCost(t *testing.T, when string) {
	t.Helper()
	var b strings.Builder
	for _, tm := range s.timings {
		fmt.Fprintf(&b, "\n  %-60s %8.1fs", tm.what, tm.took.Seconds())
	}
	rss := s.rss()
	names := make([]string, 0, len(rss))
	total := 0.0
	for n, v := range rss {
		names = append(names, n)
		total += v
	}
	sort.Strings(names)
	b.WriteString("\n  resident memory (MiB):")
	for _, n := range names {
		fmt.Fprintf(&b, " %s %.0f,", n, rss[n])
	}
	fmt.Fprintf(&b, " in all %.0f", total)
	cpu := s.cpu()
	total = 0
	b.WriteString("\n  CPU seconds so far:")
	for _, n := range names {
		fmt.Fprintf(&b, " %s %.0f,", n, cpu[n])
		total += cpu[n]
	}
	fmt.Fprintf(&b, " in all %.0f", total)
	t.Logf("simulated cluster (%d nodes: %d Felix, %d exclusive-ENI, %d virtual), %s:%s", len(s.nodes),
		len(s.nodesOf(felixNode)), len(s.nodesOf(exclusiveENINode)), len(s.nodesOf(virtualNode)), when, b.String())
}

// renderTypha renders Typha for the simulated cluster: its Felix nodes, its
// version, cn-hangzhou, and o's features.
func (s *simCluster) renderTypha(t *testing.T, o render.Options) *render.Result {
	t.Helper()
	info, err := s.cl.disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	o.Region, o.Nodes, o.KubeVersion = "cn-hangzhou", len(s.nodesOf(felixNode)), info.GitVersion
	res, err := render.Render(o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// kubectl runs the real kubectl as the admin and returns its stdout; a
// non-zero exit fails the test with both streams.
func (s *simCluster) kubectl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(s.ctx, filepath.Join(s.bins, "kubectl"), args...)
	cmd.Env = s.shellEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// shellEnv is the environment of commands run as the cluster's admin: the
// real kubectl first on PATH, KUBECONFIG the admin's.
func (s *simCluster) shellEnv() []string {
	return []string{
		"PATH=" + s.bins + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + s.dir,
		"KUBECONFIG=" + s.kubeconfig,
		"LC_ALL=C",
	}
}

// typhaEndpoints returns the ready addresses of the Typha Service's
// Endpoints, sorted.
func (s *simCluster) typhaEndpoints(t *testing.T) []string {
	t.Helper()
	ep, err := s.cl.cs.CoreV1().Endpoints(render.Namespace).Get(s.ctx, render.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Endpoints %s/%s: %v", render.Namespace, render.Name, err)
	}
	var out []string
	for _, ss := range ep.Subsets {
		for _, a := range ss.Addresses {
			out = append(out, a.IP)
		}
	}
	sort.Strings(out)
	return out
}

// typhaPodNames returns the names of the Typha pods, sorted.
func (s *simCluster) typhaPodNames(t *testing.T) []string {
	t.Helper()
	list, err := s.cl.cs.CoreV1().Pods(render.Namespace).List(s.ctx, metav1.ListOptions{LabelSelector: render.AppLabel + "=" + render.Name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}

func (s *simCluster) nodeByIP(ip string) *simNode {
	for i := range s.nodes {
		if s.nodes[i].ip == ip {
			return &s.nodes[i]
		}
	}
	return nil
}

// metricValue returns the value of the unlabelled metric name in a
// Prometheus text exposition.
func metricValue(exposition, name string) (float64, bool) {
	for _, line := range strings.Split(exposition, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestNothingLeftRunningSimulated proves for the simulated cluster what
// TestNothingLeftRunning proves for the plain one: a test that fails, or a
// test binary killed outright, leaves none of its processes behind, the
// Typha pods' processes (in namespaces of their own, entered with nsenter
// and unshare) included.
func TestNothingLeftRunningSimulated(t *testing.T) {
	simBins(t)
	nothingLeftRunning(t, "TestSimHarnessCrashHelper", func(pids []pidLine) string {
		seen := map[string]bool{}
		for _, p := range pids {
			seen[costName(p.name)] = true
		}
		var missing []string
		for _, want := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", felixsimName, "typha (all)"} {
			if !seen[want] {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			return fmt.Sprintf("helper recorded no %v", missing)
		}
		return ""
	})
}

// TestSimHarnessCrashHelper is not a test by itself: it runs only as the
// child of TestNothingLeftRunningSimulated. It starts a small simulated
// cluster with the rendered Typha running, then ends as crashEnv says.
func TestSimHarnessCrashHelper(t *testing.T) {
	how := os.Getenv(crashEnv)
	if how == "" {
		t.Skip("helper for TestNothingLeftRunningSimulated")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := startSimCluster(t, ctx, simOptions{felixNodes: 4, exclusiveENINodes: 1, virtualNodes: 1})
	var buf bytes.Buffer
	if err := render.EncodeYAML(&buf, s.renderTypha(t, render.Options{}).Objects()...); err != nil {
		t.Fatal(err)
	}
	s.applyYAML(t, "rendered manifests", buf.Bytes())
	s.kubectl(t, "-n", "kube-system", "rollout", "status", "deploy/calico-typha", "--timeout=2m")
	endAs(t, how, s.pids())
}
