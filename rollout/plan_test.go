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

	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
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

func TestPlanTypha(t *testing.T) {
	t.Parallel()
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: cluster1000, RenderCommand: "typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	// The guide's order: apply, wait, patch, restart, verify; before the
	// apply, Typha's plaintext port is closed to all but the nodes; on
	// Kubernetes 1.25 and later, a check for the EndpointSlice fault ends it.
	want := []string{
		`kubectl -n kube-system get ds terway-eniip -o jsonpath='{.spec.template.spec.containers[*].image}{"\n"}'`,
		"typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1 > calico-typha.yaml",
		"aliyun ecs DescribeSecurityGroupAttribute --RegionId cn-hangzhou --SecurityGroupId SG_ID --Direction ingress",
		"aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId SG_ID --IpProtocol tcp --PortRange 5473/5473 --SourceGroupId SG_ID --Policy accept --Description typha",
		"kubectl apply --dry-run=server -f calico-typha.yaml",
		"kubectl diff -f calico-typha.yaml",
		"kubectl apply -f calico-typha.yaml",
		"kubectl -n kube-system rollout status deploy/calico-typha --timeout=5m",
		"kubectl get pods -l k8s-app=calico-typha -n kube-system",
		"kubectl -n kube-system get cm eni-config -o yaml > eni-config.backup.yaml",
		`kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":"calico-typha"}}'`,
		"kubectl -n kube-system rollout restart ds/terway-eniip",
		"kubectl -n kube-system rollout status ds/terway-eniip",
		`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.felix_relay_service}{"\n"}'`,
		"kubectl get pods -l k8s-app=calico-typha -n kube-system",
		// Without metrics, Felix's side.
		`kubectl -n kube-system exec ds/terway-eniip -c policy -- env | grep -E '^(FELIX_TYPHAK8SSERVICENAME|DISABLE_POLICY)='`,
		"kubectl -n kube-system logs ds/terway-eniip -c policy | grep -i typha",
		"kubectl -n kube-system logs -l k8s-app=calico-typha --prefix --since=5m --tail=-1 | grep -c 'Unable to list K8s EndpointSlice resources'",
	}
	if got := commands(p); !slices.Equal(got, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Rendering == nil || p.Rendering.Advice.Replicas != 5 || p.Edit != nil {
		t.Errorf("Rendering %v, Edit %v", p.Rendering, p.Edit)
	}
	if notes := step(t, p, "Wait for Typha").Notes; !strings.Contains(strings.Join(notes, " "), "Expect 5 pods") {
		t.Errorf("wait step notes %q do not give the replica count", notes)
	}
	// Without the cluster's eni-config the patch step says how to check
	// disable_network_policy.
	if notes := strings.Join(step(t, p, "Point Terway's Felix at Typha").Notes, " "); !strings.Contains(notes, "disable_network_policy") {
		t.Errorf("patch notes %q do not mention disable_network_policy", notes)
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
			var patches []string
			for _, c := range commands(p) {
				if strings.Contains(c, "patch cm eni-config") {
					patches = append(patches, c)
				}
				if strings.Contains(c, " ds") && !strings.Contains(c, "ds/terway-eni") && !strings.Contains(c, "ds terway-eni ") {
					t.Errorf("command %q does not use the DaemonSet given", c)
				}
			}
			var want []string
			if tt.wantPatch != "" {
				want = []string{"kubectl -n kube-system patch cm eni-config --type merge -p '" + tt.wantPatch + "'"}
			}
			if !slices.Equal(patches, want) {
				t.Errorf("patch commands %q, want %q", patches, want)
			}
			// Terway restarts only when the patch changes eni-config.
			if restarts := slices.Contains(commands(p), "kubectl -n kube-system rollout restart ds/terway-eni"); restarts != (tt.wantPatch != "") {
				t.Errorf("restart of ds/terway-eni: %v with patch %q, in %q", restarts, tt.wantPatch, commands(p))
			}
			backup := p.Steps[slices.Index(titles(p), "Back up eni-config")]
			if tt.wantRevert != "" && !strings.Contains(backup.Notes[0], "kubectl -n kube-system patch cm eni-config --type merge -p '"+tt.wantRevert+"'") {
				t.Errorf("backup notes %q, want the revert patch %s", backup.Notes, tt.wantRevert)
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
			if !slices.ContainsFunc(p.Findings, func(f lint.Finding) bool { return f.Rule == lint.RuleENIEngineNotFelix }) {
				t.Errorf("AllowNoFelix plan findings %v lack %s", p.Findings, lint.RuleENIEngineNotFelix)
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
