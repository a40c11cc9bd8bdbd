package render

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/internal/errs"
)

func loadENIConfig(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "eniconfig", name))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs[0].(*corev1.ConfigMap)
}

// commands returns every command of the plan, in order.
func commands(p *RolloutPlan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Commands...)
	}
	return out
}

func titles(p *RolloutPlan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Title)
	}
	return out
}

var cluster1000 = Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}

func TestPlanTypha(t *testing.T) {
	t.Parallel()
	p, err := Plan(PlanOptions{Mode: ModeTypha, Options: cluster1000, RenderCommand: "typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1"})
	if err != nil {
		t.Fatal(err)
	}
	// The guide's order: apply, wait, patch, restart, verify.
	want := []string{
		`kubectl -n kube-system get ds terway-eniip -o jsonpath='{.spec.template.spec.containers[*].image}{"\n"}'`,
		"typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1 > calico-typha.yaml",
		"kubectl apply --dry-run=server -f calico-typha.yaml",
		"kubectl apply -f calico-typha.yaml",
		"kubectl -n kube-system rollout status deploy/calico-typha --timeout=5m",
		"kubectl get pods -l k8s-app=calico-typha -n kube-system",
		"kubectl -n kube-system get cm eni-config -o yaml > eni-config.backup.yaml",
		`kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":"calico-typha"}}'`,
		"kubectl -n kube-system rollout restart ds/terway-eniip",
		"kubectl -n kube-system rollout status ds/terway-eniip",
		`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.felix_relay_service}{"\n"}'`,
		"kubectl get pods -l k8s-app=calico-typha -n kube-system",
	}
	if got := commands(p); !slices.Equal(got, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Result == nil || p.Result.Advice.Replicas != 5 || p.Edit != nil {
		t.Errorf("Result %v, Edit %v", p.Result, p.Edit)
	}
	if !strings.Contains(strings.Join(p.Steps[3].Notes, " "), "Expect 5 pods") {
		t.Errorf("wait step notes %q do not give the replica count", p.Steps[3].Notes)
	}
	// Without the cluster's eni-config the patch step says how to check
	// disable_network_policy.
	if notes := strings.Join(p.Steps[5].Notes, " "); !strings.Contains(notes, "disable_network_policy") {
		t.Errorf("patch notes %q do not mention disable_network_policy", notes)
	}
}

func TestPlanExactPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture    string
		mode       Mode
		wantPatch  string // "" when nothing needs patching
		wantTitle  string // a step title that must be present
		wantRevert string // the merge patch that undoes the edit
	}{
		{"terway-eniip.yaml", ModeTypha, `{"data":{"felix_relay_service":"calico-typha"}}`, "", `{"data":{"felix_relay_service":null}}`},
		{"policy-disabled.yaml", ModeTypha, `{"data":{"disable_network_policy":"false","felix_relay_service":"calico-typha"}}`, "", `{"data":{"disable_network_policy":"true","felix_relay_service":null}}`},
		{"already-typha.yaml", ModeTypha, "", "", ""},
		{"terway-eniip.yaml", ModeDisablePolicy, `{"data":{"disable_network_policy":"true"}}`, "", `{"data":{"disable_network_policy":"false"}}`},
		{"already-typha.yaml", ModeDisablePolicy, `{"data":{"disable_network_policy":"true"}}`, "Optional: remove Typha", `{"data":{"disable_network_policy":"false"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+string(tt.mode), func(t *testing.T) {
			t.Parallel()
			o := PlanOptions{Mode: tt.mode, ENIConfig: loadENIConfig(t, tt.fixture), TerwayDaemonSet: "terway-eni"}
			if tt.mode == ModeTypha {
				o.Options = cluster1000
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
			if !slices.Contains(commands(p), "kubectl -n kube-system rollout restart ds/terway-eni") {
				t.Errorf("no restart of ds/terway-eni in %q", commands(p))
			}
			backup := p.Steps[slices.Index(titles(p), "Back up eni-config")]
			if tt.wantRevert != "" && !strings.Contains(backup.Notes[0], "kubectl -n kube-system patch cm eni-config --type merge -p '"+tt.wantRevert+"'") {
				t.Errorf("backup notes %q, want the revert patch %s", backup.Notes, tt.wantRevert)
			}
			if tt.wantTitle != "" && !slices.Contains(titles(p), tt.wantTitle) {
				t.Errorf("steps %q, want one titled %q", titles(p), tt.wantTitle)
			}
			if tt.mode == ModeDisablePolicy && (p.Result != nil || slices.ContainsFunc(commands(p), func(c string) bool { return strings.Contains(c, "apply") })) {
				t.Error("disable-policy plan renders or applies Typha objects")
			}
		})
	}
}

func TestPlanDisablePolicy(t *testing.T) {
	t.Parallel()
	p, err := Plan(PlanOptions{Mode: ModeDisablePolicy})
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
		o      PlanOptions
		fields []string
	}{
		{"no mode", PlanOptions{Options: cluster1000}, []string{"Mode"}},
		{"bad mode", PlanOptions{Mode: "calico", Options: cluster1000}, []string{"Mode"}},
		{"shell in daemonset", PlanOptions{Mode: ModeDisablePolicy, TerwayDaemonSet: "terway; rm -rf /"}, []string{"TerwayDaemonSet"}},
		{"short timeout", PlanOptions{Mode: ModeTypha, Options: cluster1000, RolloutTimeout: time.Millisecond}, []string{"RolloutTimeout"}},
		{"newline in manifest", PlanOptions{Mode: ModeTypha, Options: cluster1000, Manifest: "a\nb"}, []string{"Manifest"}},
		{"options with disable-policy", PlanOptions{Mode: ModeDisablePolicy, Options: cluster1000}, []string{"Options"}},
		{"invalid options", PlanOptions{Mode: ModeTypha, Options: Options{Region: "cn-hangzhou"}}, []string{"Nodes", "KubeVersion"}},
		{"not eni-config", PlanOptions{Mode: ModeTypha, Options: cluster1000, ENIConfig: other}, []string{"ENIConfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Plan(tt.o)
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("Plan error %v, want ErrInvalidOption", err)
			}
			for _, f := range tt.fields {
				var found bool
				for _, e := range errs.Flatten(err) {
					var oe *OptionError
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
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 90 * time.Second: "1m30s", time.Hour + 30*time.Minute: "1h30m", 2 * time.Hour: "2h", 45 * time.Second: "45s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
