package rollout

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/terway"
)

func loadENIConfig(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "eniconfig", name))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs[0].(*corev1.ConfigMap)
}

// commands returns every command of the plan, in order.
func commands(p *Result) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Commands...)
	}
	return out
}

func titles(p *Result) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Title)
	}
	return out
}

var cluster1000 = render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}

// TestPlanTypha: on Kubernetes 1.35 the typha plan proves each step
// before the next one can hurt: the pre-flight gates before anything
// changes, the in-sync gate before eni-config is patched, the canary
// before the rolling restart, and the rollout gate after it; the undo
// path comes last, and each gate's STOP names where it starts.
func TestPlanTypha(t *testing.T) {
	t.Parallel()
	c := cluster1000
	c.KubeVersion = "v1.35.2-aliyun.1"
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: c, RenderCommand: "typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.35.2-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		title  string
		gate   GateName
		target Target
		undo   bool
	}{
		{"Pre-flight: Terway passes felix_relay_service to Felix", GateTerwayVersion, TargetCluster, false},
		{"Pre-flight: Felix enforces NetworkPolicy", GateFelixEngine, TargetCluster, false},
		{"Pre-flight: the cluster can pull the Typha image", GateImagePull, TargetCluster, false},
		{"Save the Typha manifests", "", TargetLocal, false},
		{"Allow Typha's port 5473 only from the cluster's nodes", "", TargetCloud, false},
		{"Apply the manifests", "", TargetCluster, false},
		{"Wait for Typha, and check that every pod is in sync", GateTyphaInSync, TargetCluster, false},
		{"Back up eni-config", "", TargetCluster, false},
		{"Point Terway's Felix at Typha", "", TargetCluster, false},
		{"Canary: restart one Terway pod, and check that its Felix syncs through Typha", GateCanary, TargetCluster, false},
		{"Restart the rest of Terway", "", TargetCluster, false},
		{"Check the rollout: every Felix uses Typha, nothing is stuck", GateRolloutComplete, TargetCluster, false},
		{"Undo: Back up eni-config as it is now", "", TargetCluster, true},
		{"Undo: Stop relaying Felix through Typha", "", TargetCluster, true},
		{"Undo: Restart Terway", "", TargetCluster, true},
		{"Undo: Verify that Felix runs without Typha", GateWithoutTypha, TargetCluster, true},
		{"Undo: Delete Typha", "", TargetCluster, true},
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("steps %q", titles(p))
	}
	for i, w := range want {
		s := p.Steps[i]
		var gate GateName
		if s.Gate != nil {
			gate = s.Gate.Name
			if s.Gate.Timeout <= 0 || len(s.Commands) != 1 {
				t.Errorf("gate %s: timeout %v, %d commands", gate, s.Gate.Timeout, len(s.Commands))
			}
		}
		if s.Title != w.title || gate != w.gate || s.Target != w.target || s.Undo != w.undo {
			t.Errorf("step %d: %q gate %q target %q undo %v; want %q gate %q target %q undo %v", i+1, s.Title, gate, s.Target, s.Undo, w.title, w.gate, w.target, w.undo)
		}
	}
	// Where each gate's undo starts: nothing before the apply; only Typha
	// after it; eni-config and Terway too after the patch.
	for name, from := range map[GateName]int{GateTerwayVersion: 0, GateFelixEngine: 0, GateImagePull: 0, GateTyphaInSync: 17, GateCanary: 13, GateRolloutComplete: 13, GateWithoutTypha: 0} {
		if _, s := gateOf(t, p, name); s.Gate.UndoFrom != from {
			t.Errorf("gate %s undoes from step %d, want %d", name, s.Gate.UndoFrom, from)
		}
	}
	cmds := commands(p)
	for _, c := range []string{
		"typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.35.2-aliyun.1 > calico-typha.yaml",
		"kubectl diff -f calico-typha.yaml || test $? -eq 1",
		`kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":"calico-typha"}}'`,
		"kubectl -n kube-system rollout restart ds/terway-eniip",
	} {
		if !slices.Contains(cmds, c) {
			t.Errorf("no command %q", c)
		}
	}
	if p.Rendering == nil || p.Rendering.Advice.Replicas != 5 || p.Edit != nil || p.Rendering.Image != "quay.io/calico/typha:v3.24.5" {
		t.Errorf("Rendering %v, Edit %v", p.Rendering, p.Edit)
	}
	if len(p.Findings) != 0 {
		t.Errorf("findings %v", p.Findings)
	}
	// The pull gate says how to mirror the default image.
	_, pull := gateOf(t, p, GateImagePull)
	if !slices.Contains(pull.Notes, "skopeo copy --all docker://quay.io/calico/typha:v3.24.5 docker://REGISTRY/calico/typha:v3.24.5") {
		t.Errorf("pull notes %q lack the mirror command", pull.Notes)
	}
	// Without the cluster's eni-config the patch step says how
	// disable_network_policy was checked.
	if notes := strings.Join(step(t, p, "Point Terway's Felix at Typha").Notes, " "); !strings.Contains(notes, "disable_network_policy") {
		t.Errorf("patch notes %q do not mention disable_network_policy", notes)
	}
}

// TestPlanMirror: an image whose registry is a mirror of Calico's gets a
// step that copies it there, before the pull gate.
func TestPlanMirror(t *testing.T) {
	t.Parallel()
	c := cluster1000
	c.Registry = "team-registry-vpc.cn-hangzhou.cr.aliyuncs.com"
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	m := step(t, p, "Mirror Typha's image into team-registry-vpc.cn-hangzhou.cr.aliyuncs.com")
	if !slices.Equal(m.Commands, []string{"skopeo copy --all docker://quay.io/calico/typha:v3.24.5 docker://team-registry-vpc.cn-hangzhou.cr.aliyuncs.com/calico/typha:v3.24.5"}) || m.Target != TargetRegistry {
		t.Errorf("mirror step %+v", m)
	}
	if i, j := slices.Index(titles(p), m.Title), slices.Index(titles(p), "Pre-flight: the cluster can pull the Typha image"); i > j {
		t.Errorf("the mirror step %d comes after the pull gate %d", i, j)
	}
	// The guide's image has no known source to mirror from.
	c = cluster1000
	c.KubeVersion = "v1.24.6-aliyun.1"
	p, err = Plan(Options{Mode: render.ModeTypha, Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(titles(p), func(s string) bool { return strings.HasPrefix(s, "Mirror") }) {
		t.Error("a mirror step for the guide's image")
	}
}

// TestPlanLogSeverity: the in-sync gate reads Typha's info lines, so a
// typha plan for a Typha that logs above info is refused.
func TestPlanLogSeverity(t *testing.T) {
	t.Parallel()
	for _, sev := range []string{"warning", "Error", "fatal"} {
		c := cluster1000
		c.LogSeverity = sev
		_, err := Plan(Options{Mode: render.ModeTypha, Cluster: c})
		var oe *render.OptionError
		if !errors.As(err, &oe) || oe.Field != "LogSeverity" || !strings.Contains(oe.Reason, "Received status update message from datastore.") {
			t.Errorf("%s: %v", sev, err)
		}
	}
	c := cluster1000
	c.LogSeverity = "debug"
	if _, err := Plan(Options{Mode: render.ModeTypha, Cluster: c}); err != nil {
		t.Error(err)
	}
}

// TestPlanMetricsPortInSecurityGroup: with metrics, Typha also listens on
// 9093 of every node it runs on, and the security group step admits only
// the nodes to it. It failed before the fix: the step left 9093 out.
func TestPlanMetricsPortInSecurityGroup(t *testing.T) {
	t.Parallel()
	c := render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.24.6-aliyun.1", Metrics: true}
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, s := range p.Steps {
		if strings.HasPrefix(s.Title, "Allow Typha's port") {
			cmds = s.Commands
		}
	}
	if !slices.Contains(cmds, "aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId SG_ID --IpProtocol tcp --PortRange 9093/9093 --SourceGroupId SG_ID --Policy accept --Description typha-metrics") {
		t.Errorf("with metrics the security group step leaves out 9093: %q", cmds)
	}
}

func TestPlanExactPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture    string
		mode       render.Mode
		wantPatch  string // "" when nothing needs patching
		wantTitle  string // a step title that must be present
		wantRevert string // the merge patch that undoes the edit
	}{
		{"terway-eniip-veth.yaml", render.ModeTypha, `{"data":{"felix_relay_service":"calico-typha"}}`, "", `{"data":{"felix_relay_service":null}}`},
		{"policy-disabled.yaml", render.ModeTypha, `{"data":{"disable_network_policy":"false","felix_relay_service":"calico-typha"}}`, "", `{"data":{"disable_network_policy":"true","felix_relay_service":null}}`},
		{"already-typha.yaml", render.ModeTypha, "", "", ""},
		{"terway-eniip.yaml", render.ModeDisablePolicy, `{"data":{"disable_network_policy":"true"}}`, "", `{"data":{"disable_network_policy":"false"}}`},
		{"already-typha.yaml", render.ModeDisablePolicy, `{"data":{"disable_network_policy":"true"}}`, "Optional: remove Typha", `{"data":{"disable_network_policy":"false"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+string(tt.mode), func(t *testing.T) {
			t.Parallel()
			o := Options{Mode: tt.mode, ENIConfig: loadENIConfig(t, tt.fixture), TerwayDaemonSet: "terway-eni"}
			if tt.mode == render.ModeTypha {
				o.Cluster = cluster1000
			}
			p, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			if p.Edit == nil {
				t.Fatal("no Edit with ENIConfig given")
			}
			var patches, undo []string
			for _, s := range p.Steps {
				for _, c := range s.Commands {
					switch {
					case strings.Contains(c, "patch cm eni-config") && s.Undo:
						undo = append(undo, c)
					case strings.Contains(c, "patch cm eni-config"):
						patches = append(patches, c)
					}
					if strings.Contains(c, " ds") && !strings.Contains(c, "ds/terway-eni") && !strings.Contains(c, "ds terway-eni ") && !strings.Contains(c, "ds=terway-eni\n") {
						t.Errorf("command %q does not use the DaemonSet given", c)
					}
				}
			}
			var want []string
			if tt.wantPatch != "" {
				want = []string{"kubectl -n kube-system patch cm eni-config --type merge -p '" + tt.wantPatch + "'"}
			}
			if !slices.Equal(patches, want) {
				t.Errorf("patch commands %q, want %q", patches, want)
			}
			// Terway restarts only when the patch changes eni-config (and
			// on the undo path, which undoes it).
			var restarts bool
			for _, s := range p.Steps {
				restarts = restarts || (!s.Undo && slices.Contains(s.Commands, "kubectl -n kube-system rollout restart ds/terway-eni"))
			}
			if restarts != (tt.wantPatch != "") {
				t.Errorf("restart of ds/terway-eni: %v with patch %q, in %q", restarts, tt.wantPatch, commands(p))
			}
			revert := "kubectl -n kube-system patch cm eni-config --type merge -p '" + tt.wantRevert + "'"
			switch {
			case tt.mode == render.ModeTypha && tt.wantRevert != "":
				// The undo path restores exactly what the patch changed.
				if !slices.Equal(undo, []string{revert}) {
					t.Errorf("undo patches %q, want %q", undo, revert)
				}
			case tt.wantRevert != "":
				backup := p.Steps[slices.Index(titles(p), "Back up eni-config")]
				if !strings.Contains(backup.Notes[0], revert) {
					t.Errorf("backup notes %q, want the revert patch %s", backup.Notes, tt.wantRevert)
				}
			}
			if tt.wantTitle != "" && !slices.Contains(titles(p), tt.wantTitle) {
				t.Errorf("steps %q, want one titled %q", titles(p), tt.wantTitle)
			}
			if tt.mode == render.ModeDisablePolicy && (p.Rendering != nil || slices.ContainsFunc(commands(p), func(c string) bool { return strings.Contains(c, "apply") })) {
				t.Error("disable-policy plan renders or applies Typha objects")
			}
		})
	}
}

// step returns the step titled title.
func step(t *testing.T, p *Result, title string) Step {
	t.Helper()
	i := slices.Index(titles(p), title)
	if i < 0 {
		t.Fatalf("no step titled %q in %q", title, titles(p))
	}
	return p.Steps[i]
}

// A typha plan for a cluster whose eni-config makes another engine than
// Felix enforce NetworkPolicy is refused, naming the key that decided,
// unless AllowNoFelix says to plan it anyway.
//
// A disabled NetworkPolicy is not refused: the plan's own edit turns it on.
func TestPlanRefusesWithoutFelix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		data    map[string]string
		decided string
	}{
		{"ipvlan", nil, `10-terway.conf eniip_virtual_type: "IPVlan"`},
		{"ebpf", map[string]string{terway.KeyCNIConf: `{"type": "terway", "network_policy_provider": "ebpf"}`}, `10-terway.conf network_policy_provider: "ebpf"`},
		{"datapathv2", map[string]string{terway.KeyCNIConf: `{"type": "terway", "eniip_virtual_type": "datapathv2"}`}, `10-terway.conf eniip_virtual_type: "datapathv2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cm := loadENIConfig(t, "terway-eniip.yaml")
			if tc.data != nil {
				cm.Data = tc.data
			}
			_, err := Plan(Options{Mode: render.ModeTypha, Cluster: cluster1000, ENIConfig: cm})
			var oe *render.OptionError
			if !errors.As(err, &oe) || oe.Field != "ENIConfig" || !strings.Contains(err.Error(), tc.decided) || !strings.Contains(err.Error(), "would serve no one") {
				t.Fatalf("Plan error %v, want an ENIConfig error naming %s", err, tc.decided)
			}
			p, err := Plan(Options{Mode: render.ModeTypha, Cluster: cluster1000, ENIConfig: cm, AllowNoFelix: true})
			if err != nil {
				t.Fatalf("AllowNoFelix: %v", err)
			}
			if !slices.ContainsFunc(p.Findings, func(f finding.Finding) bool { return f.Rule == rules.RuleENIEngineNotFelix }) {
				t.Errorf("AllowNoFelix plan findings %v lack %s", p.Findings, rules.RuleENIEngineNotFelix)
			}
		})
	}
}

func TestPlanTurnsPolicyOnForFelix(t *testing.T) {
	t.Parallel()
	cm := loadENIConfig(t, "terway-eniip-veth.yaml")
	cm.Data[terway.KeyDisableNetworkPolicy] = "true"
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: cluster1000, ENIConfig: cm})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Edit.ConfigMap.Data[terway.KeyDisableNetworkPolicy]; got != "false" {
		t.Errorf("edit leaves %s %q", terway.KeyDisableNetworkPolicy, got)
	}
}

// On Kubernetes 1.24 the guide's Typha works: no EndpointSlice check, no
// finding; the plaintext-port step is there whatever the version.
func TestPlanBefore125(t *testing.T) {
	t.Parallel()
	o := cluster1000
	o.KubeVersion = "v1.24.6-aliyun.1"
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: o})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(titles(p), "Check that Typha can list EndpointSlices") || len(p.Findings) != 0 {
		t.Errorf("1.24 plan: steps %q, findings %v", titles(p), p.Findings)
	}
	step(t, p, "Allow Typha's port 5473 only from the cluster's nodes")
	// 1.30: the default Typha, v3.24.5, has no finding either.
	p, err = Plan(Options{Mode: render.ModeTypha, Cluster: cluster1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Findings) != 0 {
		t.Errorf("1.30 plan findings %v, want none", p.Findings)
	}
}

func TestPlanDisablePolicy(t *testing.T) {
	t.Parallel()
	p, err := Plan(Options{Mode: render.ModeDisablePolicy})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Back up eni-config", "Turn NetworkPolicy off", "Restart Terway", "Verify"}
	if got := titles(p); !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if got := p.Steps[1].Commands; !slices.Equal(got, []string{`kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"disable_network_policy":"true"}}'`}) {
		t.Errorf("patch step %q", got)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	other := loadENIConfig(t, "terway-eniip.yaml")
	other.Name = "coredns"
	tests := []struct {
		name   string
		o      Options
		fields []string
	}{
		{"no mode", Options{Cluster: cluster1000}, []string{"Mode"}},
		{"bad mode", Options{Mode: "calico", Cluster: cluster1000}, []string{"Mode"}},
		{"shell in daemonset", Options{Mode: render.ModeDisablePolicy, TerwayDaemonSet: "terway; rm -rf /"}, []string{"TerwayDaemonSet"}},
		{"short timeout", Options{Mode: render.ModeTypha, Cluster: cluster1000, RolloutTimeout: time.Millisecond}, []string{"RolloutTimeout"}},
		{"newline in manifest", Options{Mode: render.ModeTypha, Cluster: cluster1000, Manifest: "a\nb"}, []string{"Manifest"}},
		{"cluster with disable-policy", Options{Mode: render.ModeDisablePolicy, Cluster: cluster1000}, []string{"Cluster"}},
		{"invalid options", Options{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou"}}, []string{"Nodes", "KubeVersion"}},
		{"not eni-config", Options{Mode: render.ModeTypha, Cluster: cluster1000, ENIConfig: other}, []string{"ENIConfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Plan(tt.o)
			if !errors.Is(err, render.ErrInvalidOption) {
				t.Fatalf("Plan error %v, want render.ErrInvalidOption", err)
			}
			for _, f := range tt.fields {
				var found bool
				for _, e := range errs.Flatten(err) {
					var oe *render.OptionError
					if errors.As(e, &oe) && oe.Field == f {
						found = true
					}
				}
				if !found {
					t.Errorf("error %q names no field %s", err, f)
				}
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"calico-typha.yaml": "calico-typha.yaml",
		"my file.yaml":      "'my file.yaml'",
		`{"data":{}}`:       `'{"data":{}}'`,
		"it's":              `'it'\''s'`,
		"$(rm -rf /)":       "'$(rm -rf /)'",
		"":                  "''",
		"a\nb":              "'a\nb'",
		"ünï":               "'ünï'",
		"--set=a.b":         "--set=a.b",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestPlanDisablePolicyRefusesEveryClusterField sets each field of
// render.Options in turn, fields added later included, and checks that a
// disable-policy plan refuses it.
func TestPlanDisablePolicyRefusesEveryClusterField(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[render.Options]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			var o render.Options
			v := reflect.ValueOf(&o).Elem().Field(i)
			switch v.Kind() {
			case reflect.String:
				v.SetString("x")
			case reflect.Int:
				v.SetInt(1)
			case reflect.Bool:
				v.SetBool(true)
			case reflect.Map:
				m := reflect.MakeMap(v.Type())
				m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
				v.Set(m)
			case reflect.Struct: // Resources: one request
				o.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: {}}
			case reflect.Pointer: // ENIConfig: an empty ConfigMap
				v.Set(reflect.New(v.Type().Elem()))
			default:
				t.Fatalf("field %s of kind %s: teach this test to set it", f.Name, v.Kind())
			}
			_, err := Plan(Options{Mode: render.ModeDisablePolicy, Cluster: o})
			var oe *render.OptionError
			if !errors.As(err, &oe) || oe.Field != "Cluster" {
				t.Errorf("Plan with Cluster.%s set: error %v, want an OptionError for Cluster", f.Name, err)
			}
		})
	}
	// Empty maps count as unset, as before.
	if _, err := Plan(Options{Mode: render.ModeDisablePolicy, Cluster: render.Options{Labels: map[string]string{}}}); err != nil {
		t.Errorf("Plan with empty Labels: %v", err)
	}
}

// One replica for one node reads as English ("1 replica for 1 node").
func TestPlanCountsInEnglish(t *testing.T) {
	t.Parallel()
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou", Nodes: 1, Replicas: 1, KubeVersion: "v1.24.6-aliyun.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "deploy Typha (1 replica for 1 node, Kubernetes 1.24) and relay Felix through it"; p.Summary != want {
		t.Errorf("summary %q, want %q", p.Summary, want)
	}
	if notes := strings.Join(step(t, p, "Save the Typha manifests").Notes, " "); !strings.Contains(notes, "Deployment (1 replica, image") {
		t.Errorf("save notes %q", notes)
	}
}

// TestPlanDisablePolicyOnCilium: where Cilium enforces NetworkPolicy
// (IPVlan, DataPath V2, network_policy_provider ebpf), turning it off does
// not stop Felix, which does not run: Terway keeps running Cilium with
// --enable-policy=never, and Cilium still watches the API server. The plan
// said "Terway stops running Felix" before.
func TestPlanDisablePolicyOnCilium(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data map[string]string
	}{
		{"ipvlan", nil},
		{"datapathv2", map[string]string{terway.KeyCNIConf: `{"type": "terway", "eniip_virtual_type": "datapathv2"}`}},
		{"ebpf", map[string]string{terway.KeyCNIConf: `{"type": "terway", "network_policy_provider": "ebpf"}`}},
	} {
		cm := loadENIConfig(t, "terway-eniip.yaml")
		if tc.data != nil {
			cm.Data = tc.data
		}
		p, err := Plan(Options{Mode: render.ModeDisablePolicy, ENIConfig: cm})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.Summary, "Felix") || !strings.Contains(p.Summary, "Cilium") {
			t.Errorf("%s: summary %q", tc.name, p.Summary)
		}
		notes := strings.Join(step(t, p, "Turn NetworkPolicy off").Notes, " ")
		for _, want := range []string{"--enable-policy=never", "still watches the API server"} {
			if !strings.Contains(notes, want) {
				t.Errorf("%s: patch notes %q lack %q", tc.name, notes, want)
			}
		}
	}
	// Felix's cluster: as before.
	p, err := Plan(Options{Mode: render.ModeDisablePolicy, ENIConfig: loadENIConfig(t, "terway-eniip-veth.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary != "disable NetworkPolicy: Terway stops running Felix against the API server" {
		t.Errorf("Felix summary %q", p.Summary)
	}
}

// TestExplain: each option error is worded by the name the caller gives
// its field, ErrNoFelix with the name of AllowNoFelix, and an unnamed
// field's error as it reads.
func TestExplain(t *testing.T) {
	t.Parallel()
	cm := loadENIConfig(t, "terway-eniip.yaml")
	cm.Data = map[string]string{terway.KeyCNIConf: `{"type": "terway", "network_policy_provider": "ebpf"}`}
	_, err := Plan(Options{Mode: render.ModeTypha, Cluster: render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7", LogSeverity: "loud"},
		Manifest: "a\nb", ENIConfig: cm})
	flags := map[string]string{"Manifest": "--manifest", "ENIConfig": "--eni-config", "AllowNoFelix": "--allow-no-felix"}
	lines := Explain(err, func(field string) string { return flags[field] })
	require.Len(t, lines, 3, "%q", lines)
	var logSeverity *render.OptionError
	for _, e := range errs.Flatten(err) {
		if errors.As(e, &logSeverity) && logSeverity.Field == "LogSeverity" {
			require.Contains(t, lines, e.Error(), "an unnamed field's error reads as it is")
		}
	}
	require.NotNil(t, logSeverity, "%v", err)
	require.Contains(t, lines, `--manifest "a\nb" `+optionReason(t, err, "Manifest"))
	noFelix := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "--eni-config ") })
	require.GreaterOrEqual(t, noFelix, 0, "%q", lines)
	require.True(t, strings.HasSuffix(lines[noFelix], " (--allow-no-felix plans it anyway)"), lines[noFelix])
}

// optionReason is the Reason of err's OptionError about field.
func optionReason(t *testing.T, err error, field string) string {
	t.Helper()
	for _, e := range errs.Flatten(err) {
		var oe *render.OptionError
		if errors.As(e, &oe) && oe.Field == field {
			return oe.Reason
		}
	}
	t.Fatalf("%v names no field %s", err, field)
	return ""
}
