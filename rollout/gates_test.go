package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/typharender/typharender/render"
)

// The gates' scripts run here in bash against a fake kubectl: this test
// binary, started as TestFakeKubectl, answers each invocation by the first
// rule of the scenario whose pattern matches its arguments. sleep is a
// no-op, so a gate's polling runs through at once. Each scenario is a
// cluster state taken from the sources and measurements the gates cite
// (log lines in Calico's format, kubectl's jsonpath output); a real
// cluster runs them in the rehearsal (e2e).

// rule answers the kubectl invocations whose arguments (joined with
// spaces) match Match, a regexp: stdout Out and exit status Code. With
// Times set it answers only its first Times matches, and later ones fall
// through to the next rules.
type rule struct {
	Match string `json:"match"`
	Out   string `json:"out"`
	Code  int    `json:"code"`
	Times int    `json:"times"`
}

// TestFakeKubectl is not a test: the fake kubectl starts this binary with
// it to answer one invocation.
func TestFakeKubectl(t *testing.T) {
	dir := os.Getenv("FAKE_KUBECTL_DIR")
	if dir == "" {
		t.Skip("runs only as the gates' fake kubectl")
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	line := strings.Join(args, " ")
	log, _ := os.OpenFile(filepath.Join(dir, "calls"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(log, line)
	log.Close()
	data, err := os.ReadFile(filepath.Join(dir, "rules.json"))
	if err != nil {
		panic(err)
	}
	var rules []rule
	if err := json.Unmarshal(data, &rules); err != nil {
		panic(err)
	}
	for i, r := range rules {
		if !regexp.MustCompile(r.Match).MatchString(line) {
			continue
		}
		if r.Times > 0 {
			counter := filepath.Join(dir, "count-"+strconv.Itoa(i))
			b, _ := os.ReadFile(counter)
			n, _ := strconv.Atoi(string(b))
			if n >= r.Times {
				continue
			}
			os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644)
		}
		os.Stdout.WriteString(r.Out)
		os.Exit(r.Code)
	}
	fmt.Fprintf(os.Stderr, "fake kubectl: no rule for: %s\n", line)
	os.Exit(99)
}

// gateRun is what a gate's script did.
type gateRun struct {
	code  int
	out   string   // stdout
	last  string   // the last line of stdout
	calls []string // the kubectl invocations, in order
}

// runGate runs cmd in bash with the fake kubectl and a no-op sleep, then
// again in a bash with set -euo pipefail (a runbook's script that runs
// the plan): the gate must decide the same, with the same output.
func runGate(t *testing.T, cmd string, rules []rule) gateRun {
	t.Helper()
	r := runGateIn(t, nil, cmd, rules)
	strict := runGateIn(t, []string{"-euo", "pipefail"}, cmd, rules)
	if strict.code != r.code || strict.out != r.out {
		t.Errorf("under set -euo pipefail the gate exits %d with stdout:\n%s\nwant exit %d with stdout:\n%s", strict.code, strict.out, r.code, r.out)
	}
	return r
}

// runGateIn runs cmd in bash, started with opts, with the fake kubectl
// and a no-op sleep.
func runGateIn(t *testing.T, opts []string, cmd string, rules []rule) gateRun {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	data, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	kubectl := fmt.Sprintf("#!/bin/sh\nexec %s -test.run='^TestFakeKubectl$' -- \"$@\"\n", ShellQuote(self))
	for name, body := range map[string]string{"kubectl": kubectl, "sleep": "#!/bin/sh\nexit 0\n"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", append(slices.Clone(opts), "-c", cmd)...)
	c.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_KUBECTL_DIR="+dir)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err = c.Run()
	if ctx.Err() != nil {
		t.Fatalf("the gate did not decide within a minute; stderr:\n%s", errOut.String())
	}
	r := gateRun{code: c.ProcessState.ExitCode(), out: out.String()}
	lines := strings.Split(strings.TrimRight(r.out, "\n"), "\n")
	r.last = lines[len(lines)-1]
	if calls, err := os.ReadFile(filepath.Join(dir, "calls")); err == nil {
		r.calls = strings.Split(strings.TrimRight(string(calls), "\n"), "\n")
	}
	if strings.Contains(errOut.String(), "fake kubectl: no rule") {
		t.Errorf("the gate ran kubectl with arguments no rule answers:\n%s", errOut.String())
	}
	return r
}

// passes asserts that the gate passed, with want in its OK line.
func (r gateRun) passes(t *testing.T, want string) {
	t.Helper()
	if r.code != 0 || !strings.HasPrefix(r.last, GatePass) || !strings.Contains(r.last, want) {
		t.Errorf("want exit 0 and a last line %q...%q; got exit %d, stdout:\n%s", GatePass, want, r.code, r.out)
	}
}

// stops asserts that the gate stopped, with each of want in its STOP line.
func (r gateRun) stops(t *testing.T, want ...string) {
	t.Helper()
	if r.code != 1 || !strings.HasPrefix(r.last, GateStop) {
		t.Errorf("want exit 1 and a last line %q...; got exit %d, stdout:\n%s", GateStop, r.code, r.out)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.last, w) {
			t.Errorf("the STOP line lacks %q:\n%s", w, r.last)
		}
	}
}

// gateOf returns the one command of the plan's gate name, and its step.
func gateOf(t *testing.T, p *Result, name GateName) (string, Step) {
	t.Helper()
	for _, s := range p.Steps {
		if s.Gate != nil && s.Gate.Name == name {
			if len(s.Commands) != 1 {
				t.Fatalf("gate %s has %d commands, want 1", name, len(s.Commands))
			}
			return s.Commands[0], s
		}
	}
	t.Fatalf("the plan has no gate %s", name)
	return "", Step{}
}

func plan135(t *testing.T, mut func(o *Options)) *Result {
	t.Helper()
	o := Options{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.35.2-aliyun.1"}}
	if mut != nil {
		mut(&o)
	}
	p, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Log lines in Calico's format (libcalico-go lib/logutils Formatter:
// time, [LEVEL][pid], file line, message, sorted key=value fields).
func typhaStatus(status string) string {
	return "2026-12-01 10:00:01.000 [INFO][7] cache.go 243: Received status update message from datastore. status=" + status + "\n"
}

// typhaLog is a Typha log with each syncer's statuses: started syncers
// log wait-for-ready, synced ones in-sync too.
func typhaLog(started, synced int, extra ...string) string {
	var b strings.Builder
	b.WriteString("2026-12-01 10:00:00.000 [INFO][7] daemon.go 190: Typha starting up GOMAXPROCS=2 buildDate=\"\" gitCommit=\"\" version=\"v3.24.5\"\n")
	for range started {
		b.WriteString(typhaStatus("wait-for-ready"))
		b.WriteString(typhaStatus("resync"))
	}
	for range synced {
		b.WriteString(typhaStatus("in-sync"))
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	return b.String()
}

const endpointSliceError = "2026-12-01 10:00:02.994 [INFO][7] kubeendpointslice.go 101: Unable to list K8s EndpointSlice resources error=the server could not find the requested resource"

const felixInSync = `2026-12-01 10:05:01.000 [INFO][1] sync_client.go 344: Status update from Typha. connID=0x0 connection=&discovery.Typha{Addr:"10.0.0.7:5473", IP:"10.0.0.7", NodeName:(*string)(0xc000123)} newStatus=in-sync type=""` + "\n"

const felixConnecting = `2026-12-01 10:05:00.000 [INFO][1] sync_client.go 266: Connecting to Typha. address=&discovery.Typha{Addr:"10.0.0.7:5473"} connID=0x0 type=""` + "\n"

func TestGateTerwayVersion(t *testing.T) {
	t.Parallel()
	cmd, step := gateOf(t, plan135(t, nil), GateTerwayVersion)
	if step.Gate.UndoFrom != 0 || !strings.Contains(cmd, "STOP: $*; nothing was changed") {
		t.Errorf("a pre-flight gate changes nothing: UndoFrom %d", step.Gate.UndoFrom)
	}
	ds := func(image, key string, code int) []rule {
		return []rule{
			{Match: `^-n kube-system get ds terway-eniip -o jsonpath=\{\.spec\.template\.spec\.containers\[\?\(@\.name=="policy"\)\]\.image\}$`, Out: image, Code: code},
			{Match: `FELIX_TYPHAK8SSERVICENAME`, Out: key, Code: code},
		}
	}
	for _, tc := range []struct {
		name, image, key string
		code             int
		ok               string
		stop             []string
	}{
		{name: "current", image: "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.17.5", key: "felix_relay_service", ok: "Terway v1.17.5 (v1.6.1 or later)"},
		{name: "the first that relays", image: "registry-vpc.cn-hangzhou.aliyuncs.com/acs/terway:v1.6.1", key: "felix_relay_service", ok: "Terway v1.6.1"},
		{name: "an ACK build tag, with a digest", image: "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.9.16-g4f5a8ff-aliyun@sha256:0123", key: "felix_relay_service", ok: "Terway v1.9.16-g4f5a8ff-aliyun"},
		{name: "a registry with a port", image: "registry.example.com:5000/acs/terway:v1.15.0", key: "felix_relay_service", ok: "Terway v1.15.0"},
		{name: "too old", image: "registry-vpc.cn-hangzhou.aliyuncs.com/acs/terway:v1.6.0", key: "", stop: []string{"Terway v1.6.0 is older than v1.6.1", "nothing was changed"}},
		{name: "v1.10 is newer than v1.6", image: "x/acs/terway:v1.10.0", key: "felix_relay_service", ok: "Terway v1.10.0"},
		{name: "new enough, not wired", image: "x/acs/terway:v1.12.1", key: "", stop: []string{"does not pass eni-config's felix_relay_service to Felix"}},
		{name: "no tag", image: "registry.example.com:5000/acs/terway@sha256:0123", key: "felix_relay_service", stop: []string{"has no vX.Y.Z tag"}},
		{name: "no policy container", image: "", key: "", stop: []string{"has no container named policy"}},
		{name: "no DaemonSet", image: "", key: "", code: 1, stop: []string{"cannot read the DaemonSet kube-system/terway-eniip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runGate(t, cmd, ds(tc.image, tc.key, tc.code))
			if tc.ok != "" {
				r.passes(t, tc.ok)
			} else {
				r.stops(t, tc.stop...)
			}
		})
	}
}

func TestGateFelixEngine(t *testing.T) {
	t.Parallel()
	generic, _ := gateOf(t, plan135(t, nil), GateFelixEngine)
	disabled := loadENIConfig(t, "terway-eniip-veth.yaml")
	disabled.Data["disable_network_policy"] = "true"
	exact, _ := gateOf(t, plan135(t, func(o *Options) { o.ENIConfig = disabled }), GateFelixEngine)
	cm := func(conf, policy string) []rule {
		return []rule{
			{Match: `get cm eni-config -o go-template=.*10-terway.conflist`, Out: conf},
			{Match: `get cm eni-config -o go-template=.*disable_network_policy`, Out: policy + "|"},
		}
	}
	for _, tc := range []struct {
		name, cmd, conf, policy string
		ok                      string
		stop                    []string
	}{
		{name: "iptables", cmd: generic, conf: `{"type": "terway", "network_policy_provider": "iptables"}`, policy: "false", ok: "no network_policy_provider ebpf"},
		{name: "no provider", cmd: generic, conf: "{\n  \"type\": \"terway\",\n  \"eniip_virtual_type\": \"Veth\"\n}", policy: "", ok: "disable_network_policy ''"},
		{name: "ebpf", cmd: generic, conf: `{"type": "terway", "network_policy_provider":"ebpf"}`, policy: "false", stop: []string{`network_policy_provider "ebpf" makes Terway enforce NetworkPolicy with Cilium`}},
		{name: "datapathv2 in a conflist", cmd: generic, conf: `{"plugins": [{"type": "terway", "eniip_virtual_type" : "DataPathV2"}]}`, policy: "false", stop: []string{"eniip_virtual_type makes Terway run Cilium"}},
		{name: "ipvlan", cmd: generic, conf: `{"type": "terway", "eniip_virtual_type": "IPVlan"}`, policy: "false", stop: []string{"Cilium"}},
		{name: "policy off", cmd: generic, conf: `{"type": "terway"}`, policy: "true", stop: []string{"disable_network_policy is true, which Terway reads as disabled"}},
		{name: "a block scalar", cmd: generic, conf: `{"type": "terway"}`, policy: "false\n", stop: []string{`is $'false\n'`}},
		{name: "policy off, and the patch turns it on", cmd: exact, conf: `{"type": "terway"}`, policy: "true", ok: `disable_network_policy true (the patch sets it to "false")`},
		{name: "no CNI configuration", cmd: generic, conf: "", policy: "false", stop: []string{"neither 10-terway.conf nor 10-terway.conflist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runGate(t, tc.cmd, cm(tc.conf, tc.policy))
			if tc.ok != "" {
				r.passes(t, tc.ok)
			} else {
				r.stops(t, tc.stop...)
			}
		})
	}
}

func TestGateImagePull(t *testing.T) {
	t.Parallel()
	cmd, _ := gateOf(t, plan135(t, nil), GateImagePull)
	common := []rule{
		{Match: `^-n kube-system delete pod calico-typha-pull-check --ignore-not-found`},
		{Match: `^-n kube-system run calico-typha-pull-check --image=quay.io/calico/typha:v3.24.5 --restart=Never --image-pull-policy=Always .*"serviceAccountName":"terway".* --command -- calico-typha --version$`},
		{Match: `get pod calico-typha-pull-check -o jsonpath=\{\.spec\.nodeName\}`, Out: "cn-hangzhou.10.0.0.7"},
	}
	status := `get pod calico-typha-pull-check -o jsonpath=\{\.status\.phase\}`
	t.Run("pulled after a while", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append([]rule{
			{Match: status, Out: "Pending|||", Times: 1},
			{Match: status, Out: "Pending||ContainerCreating|", Times: 1},
			{Match: status, Out: "Succeeded|quay.io/calico/typha@sha256:abcd||"},
		}, common...))
		r.passes(t, "node cn-hangzhou.10.0.0.7 pulled quay.io/calico/typha:v3.24.5 (quay.io/calico/typha@sha256:abcd)")
		if !slices.ContainsFunc(r.calls, func(c string) bool {
			return strings.HasPrefix(c, "-n kube-system delete pod calico-typha-pull-check --ignore-not-found --wait=false")
		}) {
			t.Errorf("the pod is not deleted afterwards: %q", r.calls)
		}
	})
	t.Run("cannot pull", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append([]rule{
			{Match: status, Out: "Pending||ErrImagePull|failed to pull", Times: 2},
			{Match: status, Out: "Pending||ImagePullBackOff|Back-off pulling image \"quay.io/calico/typha:v3.24.5\""},
		}, common...))
		r.stops(t, "no node pulled quay.io/calico/typha:v3.24.5", "ImagePullBackOff: Back-off pulling image", "mirror the image", "nothing was changed")
	})
	t.Run("never scheduled", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append([]rule{{Match: status, Out: "Pending|||"}}, common...))
		r.stops(t, "within 5m (the pod was not scheduled)")
		if n := strings.Count(strings.Join(r.calls, "\n"), "jsonpath={.status.phase}"); n != 60 {
			t.Errorf("polled %d times, want 60 (5 minutes every 5 seconds)", n)
		}
	})
}

func TestGateTyphaInSync(t *testing.T) {
	t.Parallel()
	p := plan135(t, nil)
	cmd, step := gateOf(t, p, GateTyphaInSync)
	last := len(p.Steps)
	if step.Gate.UndoFrom != last || p.Steps[last-1].Title != "Undo: Delete Typha" || !strings.Contains(cmd, fmt.Sprintf("undo with step %d", last)) {
		t.Errorf("the in-sync gate undoes with step %d (%q), want the last, Delete Typha", step.Gate.UndoFrom, p.Steps[step.Gate.UndoFrom-1].Title)
	}
	pods := "calico-typha-a \ncalico-typha-b \ncalico-typha-old 2026-12-01T10:00:00Z\n"
	base := func(rollout int, logs ...rule) []rule {
		return append([]rule{
			{Match: `^-n kube-system rollout status deploy/calico-typha --timeout=5m$`, Code: rollout},
			{Match: `^-n kube-system get pods -l k8s-app=calico-typha -o jsonpath=`, Out: pods},
			{Match: `^-n kube-system get deploy calico-typha -o jsonpath=\{\.spec\.replicas\}$`, Out: "2"},
		}, logs...)
	}
	logsOf := func(pod, log string, times int) rule {
		return rule{Match: `^-n kube-system logs ` + pod + ` -c calico-typha --tail=-1$`, Out: log, Times: times}
	}
	t.Run("v3.24.5: four syncers in sync", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, base(0, logsOf("calico-typha-a", typhaLog(4, 4), 0), logsOf("calico-typha-b", typhaLog(4, 4), 0)))
		r.passes(t, "all 2 Typha pods are in sync")
		if slices.ContainsFunc(r.calls, func(c string) bool { return strings.Contains(c, "calico-typha-old") }) {
			t.Error("read a terminating pod's log")
		}
	})
	t.Run("v3.20.2 on 1.25+: Ready, felix syncer never syncs", func(t *testing.T) {
		t.Parallel()
		log := typhaLog(3, 2, endpointSliceError, endpointSliceError)
		r := runGate(t, cmd, base(0, logsOf("calico-typha-a", log, 0), logsOf("calico-typha-b", log, 0)))
		r.stops(t, "0 of 2 Typha pods are in sync after 2m", "pod calico-typha-a: 2 of 3 syncers in sync; 2 log lines say Unable to list K8s EndpointSlice resources (it lists EndpointSlices through discovery.k8s.io/v1beta1",
			fmt.Sprintf("undo with step %d", last))
	})
	t.Run("a vouched v3.20 build: in sync a little after Ready", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, base(0,
			logsOf("calico-typha-a", typhaLog(3, 2), 2), logsOf("calico-typha-a", typhaLog(3, 3), 0),
			logsOf("calico-typha-b", typhaLog(3, 3), 0)))
		r.passes(t, "all 2 Typha pods are in sync")
	})
	t.Run("v3.29+: never Ready without the Tier CRD", func(t *testing.T) {
		t.Parallel()
		log := typhaLog(0, 0, "2026-12-01 10:00:01.000 [ERROR][7] daemon.go 318: Failed to initialize datastore error=resource does not exist: Tier(default) with error: the server could not find the requested resource (post Tiers.crd.projectcalico.org)")
		r := runGate(t, cmd, base(1, logsOf("calico-typha-a", log, 0), logsOf("calico-typha-b", log, 0)))
		r.stops(t, "the Deployment kube-system/calico-typha is not Ready after 5m", "no syncer started; 1 log lines say Failed to initialize datastore (from v3.29 Typha needs Calico's Tier CRD")
	})
	t.Run("one pod behind", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, base(0, logsOf("calico-typha-a", typhaLog(4, 4), 0), logsOf("calico-typha-b", typhaLog(4, 3), 0)))
		r.stops(t, "1 of 2 Typha pods are in sync", "pod calico-typha-b: 3 of 4 syncers in sync")
	})
	t.Run("logging above info", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, base(0, logsOf("calico-typha-a", "", 0), logsOf("calico-typha-b", "", 0)))
		r.stops(t, "no syncer started")
	})
}

func TestGateCanary(t *testing.T) {
	t.Parallel()
	p := plan135(t, func(o *Options) { o.TerwayDaemonSet = "terway-eni" })
	cmd, step := gateOf(t, p, GateCanary)
	if first := p.Steps[step.Gate.UndoFrom-1]; first.Title != "Undo: Back up eni-config as it is now" || !first.Undo {
		t.Errorf("the canary undoes from step %d, %q: want the rollback's first step", step.Gate.UndoFrom, first.Title)
	}
	base := []rule{
		{Match: `^-n kube-system get ds terway-eni -o go-template=`, Out: "app=terway-eni,"},
		{Match: `^get nodes -l kubernetes.io/os=linux,type!=virtual-kubelet,k8s.aliyun.com/exclusive-mode-eni-type!=eniOnly -o jsonpath=`, Out: "node-b\nnode-c\n"},
		// node-a is exclusive-ENI: it runs no Felix, so node-b is the canary.
		{Match: `^-n kube-system get pods -l app=terway-eni -o jsonpath=\{range \.items\[\*\]\}\{\.spec\.nodeName\}`, Out: "node-c terway-eni-ccccc\nnode-a terway-eni-aaaaa\nnode-b terway-eni-bbbbb\n"},
		{Match: `^-n kube-system delete pod terway-eni-bbbbb --wait=true$`},
		{Match: `^-n kube-system get pods -l app=terway-eni --field-selector spec.nodeName=node-b`, Out: "terway-eni-bbbbb True\n", Times: 1},
		{Match: `^-n kube-system get pods -l app=terway-eni --field-selector spec.nodeName=node-b`, Out: "terway-eni-xyz12 False\n", Times: 2},
		{Match: `^-n kube-system get pods -l app=terway-eni --field-selector spec.nodeName=node-b`, Out: "terway-eni-xyz12 True\n"},
	}
	t.Run("in sync", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append(slices.Clone(base),
			rule{Match: `^-n kube-system logs terway-eni-xyz12 -c policy --tail=-1$`, Out: felixConnecting, Times: 1},
			rule{Match: `^-n kube-system logs terway-eni-xyz12 -c policy --tail=-1$`, Out: felixConnecting + felixInSync}))
		r.passes(t, "Felix on node node-b (pod terway-eni-xyz12) connected to Typha and is in sync")
	})
	t.Run("refused or not syncing", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append(slices.Clone(base),
			rule{Match: `^-n kube-system logs terway-eni-xyz12 -c policy --tail=-1$`, Out: felixConnecting + felixConnecting},
			rule{Match: `^-n kube-system exec terway-eni-xyz12 -c policy -- env$`, Out: "PATH=/bin\nFELIX_TYPHAK8SSERVICENAME=calico-typha\n"}))
		r.stops(t, "Felix on node node-b (pod terway-eni-xyz12) is not in sync through Typha after 2m (FELIX_TYPHAK8SSERVICENAME=calico-typha; it logged Connecting to Typha. 2 times)",
			fmt.Sprintf("undo from step %d (steps %d to %d)", step.Gate.UndoFrom, step.Gate.UndoFrom, len(p.Steps)))
	})
	t.Run("the pod does not come back", func(t *testing.T) {
		t.Parallel()
		rules := slices.Clone(base[:4])
		rules = append(rules, rule{Match: `--field-selector spec.nodeName=node-b`, Out: "terway-eni-xyz12 False\n"})
		r := runGate(t, cmd, rules)
		r.stops(t, "the Terway pod that replaces terway-eni-bbbbb on node node-b is not Ready after 5m")
	})
}

// TestGateCanaryAt5000Nodes: the node and pod lists of a 5,000-node
// cluster outgrow a pipe's buffer (64 KiB), so a reader that stops at the
// first match (grep -q, the loop's break) leaves its writer to die of
// SIGPIPE, which set -o pipefail turns into the pipeline's failure; the
// gate picks the same canary under either shell (runGate).
func TestGateCanaryAt5000Nodes(t *testing.T) {
	t.Parallel()
	cmd, _ := gateOf(t, plan135(t, nil), GateCanary)
	var nodes, pods strings.Builder
	for i := range 5000 {
		node := fmt.Sprintf("cn-hangzhou.192.168.%d.%d", i/250, i%250+1)
		fmt.Fprintf(&nodes, "%s\n", node)
		fmt.Fprintf(&pods, "%s terway-eniip-%05d\n", node, i)
	}
	if nodes.Len() <= 64<<10 || pods.Len() <= 64<<10 {
		t.Fatalf("the lists (%d and %d bytes) fit in a pipe's buffer", nodes.Len(), pods.Len())
	}
	// sort puts cn-hangzhou.192.168.0.1 first: it is the canary.
	r := runGate(t, cmd, []rule{
		{Match: `^-n kube-system get ds terway-eniip -o go-template=`, Out: "app=terway-eniip,"},
		{Match: `^get nodes -l .* -o jsonpath=`, Out: nodes.String()},
		{Match: `^-n kube-system get pods -l app=terway-eniip -o jsonpath=\{range \.items\[\*\]\}\{\.spec\.nodeName\}`, Out: pods.String()},
		{Match: `^-n kube-system delete pod terway-eniip-00000 --wait=true$`},
		{Match: `--field-selector spec.nodeName=cn-hangzhou.192.168.0.1 `, Out: "terway-eniip-new01 True\n"},
		{Match: `^-n kube-system logs terway-eniip-new01 -c policy --tail=-1$`, Out: felixConnecting + felixInSync},
	})
	r.passes(t, "Felix on node cn-hangzhou.192.168.0.1 (pod terway-eniip-new01) connected to Typha and is in sync")
}

func TestGateRolloutComplete(t *testing.T) {
	t.Parallel()
	ds := func(status string) rule {
		return rule{Match: `^-n kube-system get ds terway-eniip -o jsonpath=\{\.status\.desiredNumberScheduled\}`, Out: status}
	}
	typha := rule{Match: `^-n kube-system get deploy calico-typha -o jsonpath=\{\.spec\.replicas\}\|\{\.status\.readyReplicas\}$`, Out: "3|3"}
	nodes := rule{Match: `^get nodes -l kubernetes.io/os=linux,type!=virtual-kubelet,k8s.aliyun.com/exclusive-mode-eni-type!=eniOnly -o name$`, Out: "node/a\nnode/b\nnode/c\n"}
	t.Run("metrics", func(t *testing.T) {
		t.Parallel()
		cmd, _ := gateOf(t, plan135(t, func(o *Options) { o.Cluster.Metrics = true }), GateRolloutComplete)
		pods := rule{Match: `^-n kube-system get pods -l k8s-app=calico-typha -o jsonpath=\{\.items\[\*\]\.metadata\.name\}$`, Out: "typha-1 typha-2"}
		metrics := func(pod, n string, times int) rule {
			return rule{Match: `^get --raw /api/v1/namespaces/kube-system/pods/` + pod + `:9093/proxy/metrics$`, Out: "# HELP typha_connections_active\ntypha_connections_active " + n + "\ntypha_connections_accepted 9\n", Times: times}
		}
		r := runGate(t, cmd, []rule{ds("4|4|4"), typha, nodes, pods, metrics("typha-1", "1", 2), metrics("typha-1", "2", 0), metrics("typha-2", "1", 0)})
		r.passes(t, "3 Felix agents connected across the Typha replicas (typha_connections_active), one per node that runs Felix")
		r = runGate(t, cmd, []rule{ds("4|4|4"), typha, nodes, pods, metrics("typha-1", "1", 0), metrics("typha-2", "1", 0)})
		r.stops(t, "2 Felix agents connected across the Typha replicas after 5m, not one per node that runs Felix (3)")
	})
	cmd, _ := gateOf(t, plan135(t, nil), GateRolloutComplete)
	t.Run("cannot list the nodes", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, []rule{ds("4|4|4"), typha, {Match: `^get nodes`, Out: "", Code: 1}})
		r.stops(t, "cannot list the nodes")
	})
	t.Run("stuck", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, []rule{ds("4|3|4")})
		r.stops(t, "Terway's DaemonSet terway-eniip has 3 of 4 pods restarted and 4 available: the restart is stuck")
		r = runGate(t, cmd, []rule{ds("4||")})
		r.stops(t, "has 0 of 4 pods restarted and 0 available")
		r = runGate(t, cmd, []rule{ds("4|4|4"), {Match: `get deploy calico-typha`, Out: "3|"}})
		r.stops(t, "Typha has 0 of 3 replicas ready")
	})
	logs := []rule{
		ds("4|4|4"), typha, nodes,
		{Match: `^-n kube-system get ds terway-eniip -o go-template=`, Out: "app=terway-eniip,"},
		{Match: `^get nodes -l .* -o jsonpath=`, Out: "a\nb\nc\n"},
		{Match: `^-n kube-system get pods -l app=terway-eniip -o jsonpath=`, Out: "a terway-1\nb terway-2\nc terway-3\nx terway-4\n"},
		{Match: `^-n kube-system logs terway-[12] -c policy`, Out: felixConnecting + felixInSync},
	}
	t.Run("by Felix's logs", func(t *testing.T) {
		t.Parallel()
		r := runGate(t, cmd, append(slices.Clone(logs), rule{Match: `^-n kube-system logs terway-3 -c policy`, Out: felixInSync}))
		r.passes(t, "3 Felix agents logged Status update from Typha. newStatus=in-sync, one per node that runs Felix")
		r = runGate(t, cmd, append(slices.Clone(logs), rule{Match: `^-n kube-system logs terway-3 -c policy`, Out: felixConnecting}))
		r.stops(t, "2 Felix agents are in sync through Typha, not one per node that runs Felix (3); not in sync: terway-3")
	})
}

func TestGateWithoutTypha(t *testing.T) {
	t.Parallel()
	p := plan135(t, func(o *Options) { o.ENIConfig = loadENIConfig(t, "terway-eniip-veth.yaml") })
	cmd, step := gateOf(t, p, GateWithoutTypha)
	if !step.Undo || step.Gate.UndoFrom != 0 || p.Steps[len(p.Steps)-1].Title != "Undo: Delete Typha" {
		t.Errorf("the rollback's gate: Undo %v, UndoFrom %d", step.Undo, step.Gate.UndoFrom)
	}
	ds := rule{Match: `get ds terway-eniip -o jsonpath=`, Out: "4|4|4"}
	relay := func(v string) rule { return rule{Match: `get cm eni-config -o go-template=`, Out: v + "|"} }
	runGate(t, cmd, []rule{relay(""), ds}).passes(t, "eni-config has no felix_relay_service, and Terway's 4 pods all restarted")
	runGate(t, cmd, []rule{relay("calico-typha"), ds}).stops(t, "eni-config's felix_relay_service is calico-typha: the restore step did not take", "do not delete Typha")
	runGate(t, cmd, []rule{relay(""), {Match: `get ds`, Out: "4|2|3"}}).stops(t, "2 of 4 pods restarted")
}

// TestGateScriptsAreFilled: every plan's commands are free of
// placeholders, and every gate's one command is a subshell.
func TestGateScriptsAreFilled(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.35.2-aliyun.1", Metrics: true, Autoscaler: true}},
		{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1"}},
	} {
		p, err := Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Steps {
			for _, c := range s.Commands {
				if left := leftPlaceholder(c); left != "" {
					t.Errorf("%s: %s left", s.Title, left)
				}
			}
			if s.Gate != nil && (!strings.HasPrefix(s.Commands[0], "(\n") || !strings.HasSuffix(s.Commands[0], "\n)")) {
				t.Errorf("gate %s is not a subshell", s.Gate.Name)
			}
			if s.Gate != nil && !strings.HasPrefix(s.Commands[0], "(\n  set +e +u +o pipefail\n") {
				t.Errorf("gate %s does not set the shell options it is written for first", s.Gate.Name)
			}
		}
	}
	if leftPlaceholder("a <<< b") != "" || leftPlaceholder("x <<NAME>> y") != "<<NAME>>" {
		t.Error("leftPlaceholder")
	}
}
