package rollout

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/typharender/typharender/render"
)

func TestRollbackTyphaOrder(t *testing.T) {
	t.Parallel()
	p, err := Rollback(RollbackOptions{From: render.ModeTypha})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Back up eni-config as it is now", "Stop relaying Felix through Typha", "Restart Terway", "Verify that Felix runs without Typha", "Delete Typha"}
	if got := titles(p); !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	cmds := commands(p)
	index := func(c string) int {
		i := slices.Index(cmds, c)
		if i < 0 {
			t.Fatalf("no command %q in %q", c, cmds)
		}
		return i
	}
	// restore-relay -> restart -> verify -> delete, each before the next.
	restore := index(`kubectl -n kube-system patch cm eni-config --type merge -p '{"data":{"felix_relay_service":null}}'`)
	restart := index("kubectl -n kube-system rollout restart ds/terway-eniip")
	wait := index("kubectl -n kube-system rollout status ds/terway-eniip")
	verify := slices.IndexFunc(cmds, func(c string) bool { return strings.Contains(c, "felix_relay_service is $(printf '%q' \"$relay\")") })
	del := index("kubectl -n kube-system delete deployment,service,poddisruptionbudget calico-typha")
	if g := p.Steps[3].Gate; g == nil || g.Name != GateWithoutTypha || g.UndoFrom != 0 {
		t.Errorf("the check before Typha is deleted is not the %s gate: %+v", GateWithoutTypha, g)
	}
	if !(restore < restart && restart < wait && wait < verify && verify < del) {
		t.Errorf("order restore %d, restart %d, wait %d, verify %d, delete %d", restore, restart, wait, verify, del)
	}
	if index("kubectl -n kube-system get cm eni-config -o yaml > eni-config.before-rollback.yaml") != 0 {
		t.Error("the backup is not first")
	}
	for _, c := range cmds {
		if strings.Contains(c, "customresourcedefinition") || strings.Contains(c, "bgppeers") && strings.Contains(c, "delete") {
			t.Errorf("command %q deletes the BGPPeer CRD", c)
		}
		if strings.Contains(c, "eni-config.backup.yaml") {
			t.Errorf("command %q touches the typha plan's backup", c)
		}
	}
	last := p.Steps[len(p.Steps)-1]
	if notes := strings.Join(last.Notes, " "); !strings.Contains(notes, "deletes every object of its kind") {
		t.Errorf("delete notes %q do not say why the CRD stays", notes)
	}
	// Without the backup, the restore step says how to find the old
	// disable_network_policy.
	if notes := strings.Join(p.Steps[1].Notes, " "); !strings.Contains(notes, "grep disable_network_policy eni-config.backup.yaml") {
		t.Errorf("restore notes %q", notes)
	}
}

func TestRollbackPatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		from             render.Mode
		current, backup  string // fixtures; "" for none
		wantPatch        string // "" for no patch
		wantNoteContains string
	}{
		{"typha, no input", render.ModeTypha, "", "", `{"data":{"felix_relay_service":null}}`, "Removes felix_relay_service."},
		{"typha, backup without the keys", render.ModeTypha, "", "no-policy-key.yaml", `{"data":{"disable_network_policy":null,"felix_relay_service":null}}`, "from the backup"},
		{"typha, policy was off before", render.ModeTypha, "already-typha.yaml", "policy-disabled.yaml", `{"data":{"disable_network_policy":"true","felix_relay_service":null}}`, `Sets disable_network_policy to "true".`},
		{"typha, policy was on", render.ModeTypha, "already-typha.yaml", "terway-eniip.yaml", `{"data":{"felix_relay_service":null}}`, "Removes felix_relay_service."},
		{"typha, already rolled back", render.ModeTypha, "terway-eniip.yaml", "terway-eniip.yaml", "", "nothing to patch"},
		{"disable-policy, no input", render.ModeDisablePolicy, "", "", `{"data":{"disable_network_policy":"false"}}`, `Sets disable_network_policy to "false".`},
		{"disable-policy, key absent before", render.ModeDisablePolicy, "policy-disabled.yaml", "no-policy-key.yaml", `{"data":{"disable_network_policy":null}}`, "Removes disable_network_policy."},
		{"disable-policy, already on", render.ModeDisablePolicy, "terway-eniip.yaml", "", "", "nothing to patch"},
		{"disable-policy, on as no key", render.ModeDisablePolicy, "no-policy-key.yaml", "", "", "nothing to patch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := RollbackOptions{From: tt.from, TerwayDaemonSet: "terway-eni"}
			if tt.current != "" {
				o.ENIConfig = loadENIConfig(t, tt.current)
			}
			if tt.backup != "" {
				o.Backup = loadENIConfig(t, tt.backup)
			}
			p, err := Rollback(o)
			if err != nil {
				t.Fatal(err)
			}
			var patches []string
			for _, c := range commands(p) {
				if strings.Contains(c, "patch cm eni-config") {
					patches = append(patches, c)
				}
			}
			var want []string
			if tt.wantPatch != "" {
				want = []string{"kubectl -n kube-system patch cm eni-config --type merge -p '" + tt.wantPatch + "'"}
			}
			if !slices.Equal(patches, want) {
				t.Errorf("patches %q, want %q", patches, want)
			}
			restarts := slices.Contains(commands(p), "kubectl -n kube-system rollout restart ds/terway-eni")
			if restarts != (tt.wantPatch != "") {
				t.Errorf("restart %v with patch %q; steps %q", restarts, tt.wantPatch, titles(p))
			}
			if !restarts && !slices.Contains(titles(p), "Restart Terway: not needed") {
				t.Errorf("steps %q do not say why Terway is not restarted", titles(p))
			}
			if notes := strings.Join(p.Steps[1].Notes, " "); !strings.Contains(notes, tt.wantNoteContains) {
				t.Errorf("restore notes %q, want %q", notes, tt.wantNoteContains)
			}
		})
	}
}

func TestRollbackDisablePolicyWarnsOfTypha(t *testing.T) {
	t.Parallel()
	cm := loadENIConfig(t, "already-typha.yaml")
	cm.Data["disable_network_policy"] = "true"
	p, err := Rollback(RollbackOptions{From: render.ModeDisablePolicy, ENIConfig: cm})
	if err != nil {
		t.Fatal(err)
	}
	if got := titles(p); slices.Contains(got, "Delete Typha") || got[len(got)-1] != "Verify" {
		t.Errorf("steps %q", got)
	}
	if notes := strings.Join(p.Steps[1].Notes, " "); !strings.Contains(notes, "Check that Typha runs") {
		t.Errorf("notes %q do not warn that Felix will look for Typha", notes)
	}
}

func TestRollbackMetrics(t *testing.T) {
	t.Parallel()
	p, err := Rollback(RollbackOptions{From: render.ModeTypha, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	verify := p.Steps[3]
	if !slices.ContainsFunc(verify.Commands, func(c string) bool {
		return strings.Contains(c, "kubectl get --raw \"/api/v1/namespaces/kube-system/pods/$pod:9093/proxy/metrics\"") && strings.Contains(c, "typha_connections_active")
	}) {
		t.Errorf("verify commands %q do not read the connections through the pod proxy", verify.Commands)
	}
	if !strings.Contains(strings.Join(verify.Notes, " "), "until it is 0") {
		t.Errorf("notes %q", verify.Notes)
	}
}

func TestRollbackErrors(t *testing.T) {
	t.Parallel()
	other := loadENIConfig(t, "terway-eniip.yaml")
	other.Name = "coredns"
	_, err := Rollback(RollbackOptions{From: "calico", TerwayDaemonSet: "a b", Backup: other})
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var oe *render.OptionError
		if errors.As(e, &oe) {
			fields = append(fields, oe.Field)
		}
	}
	if !slices.Equal(fields, []string{"From", "TerwayDaemonSet", "Backup"}) {
		t.Errorf("fields %q from %v", fields, err)
	}
	if !errors.Is(err, render.ErrNotENIConfig) || !errors.Is(err, render.ErrMode) {
		t.Errorf("%v does not wrap ErrNotENIConfig and ErrMode", err)
	}
}

func TestPlanTyphaMetricsAndAutoscaler(t *testing.T) {
	t.Parallel()
	c := cluster1000
	c.Metrics, c.Autoscaler = true, true
	p, err := Plan(Options{Mode: render.ModeTypha, Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	inSync, _ := gateOf(t, p, GateTyphaInSync)
	if !strings.Contains(inSync, "kubectl -n kube-system wait deploy/calico-typha --for=jsonpath='{.status.readyReplicas}'=5 --timeout=5m") {
		t.Errorf("no wait for the autoscaler's 5 replicas in %q", inSync)
	}
	cmd, verify := gateOf(t, p, GateRolloutComplete)
	if !strings.Contains(cmd, `kubectl get --raw "/api/v1/namespaces/kube-system/pods/$pod:9093/proxy/metrics" | awk '$1 == "typha_connections_active" {print $2}'`) {
		t.Errorf("the rollout gate %q does not sum the connections", cmd)
	}
	notes := strings.Join(verify.Notes, " ")
	for _, want := range []string{"one per node that runs Felix", "1000 is what this plan was made for", "about 200", "all of the node's interfaces",
		`printf '%s ' "$pod"; kubectl get --raw "/api/v1/namespaces/kube-system/pods/$pod:9093/proxy/metrics" | grep '^typha_connections_active '`} {
		if !strings.Contains(notes, want) {
			t.Errorf("rollout gate notes %q lack %q", notes, want)
		}
	}
	if strings.Contains(cmd, "-c policy") {
		t.Error("with metrics, the rollout gate still reads Felix's logs instead")
	}
	// The port step admits the nodes to the metrics port too.
	if !slices.Contains(step(t, p, "Allow Typha's ports 5473 and 9093 only from the cluster's nodes").Commands,
		"aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId SG_ID --IpProtocol tcp --PortRange 9093/9093 --SourceGroupId SG_ID --Policy accept --Description typha-metrics") {
		t.Error("with metrics the security group step leaves out 9093")
	}
	wait := strings.Join(step(t, p, "Wait for Typha, and check that every pod is in sync").Notes, " ")
	if !strings.Contains(wait, "3 or fewer such nodes") || !strings.Contains(wait, "last-applied-configuration") {
		t.Errorf("wait notes %q do not say where the autoscaler and sizing differ, or how to keep replicas", wait)
	}
}
