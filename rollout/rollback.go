package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/internal/english"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// ENIConfigBeforeRollback is the file a rollback backs eni-config up to
// before it changes it; it leaves the typha plan's [ENIConfigBackup]
// alone.
const ENIConfigBeforeRollback = "eni-config.before-rollback.yaml"

// RollbackOptions describe undoing a plan: From is the mode of the plan
// that ran.
type RollbackOptions struct {
	From render.Mode // required: render.ModeTypha (stop relaying Felix through Typha, then delete Typha) or render.ModeDisablePolicy (turn NetworkPolicy back on)

	ENIConfig       *corev1.ConfigMap // default none: the cluster's eni-config now; the restore patch then holds only what changes, and none when nothing does
	Backup          *corev1.ConfigMap // default none: the eni-config the plan backed up (eni-config.backup.yaml); the restore patch then brings back its values
	TerwayDaemonSet string            // default "terway-eniip"; terway-eni and terway are also seen
	Metrics         bool              // default false: Typha serves metrics (values key metrics.enabled), so the check counts its connected Felix agents
}

// rollbackKeys are the eni-config keys each plan changes.
func rollbackKeys(from render.Mode) []string {
	if from == render.ModeTypha {
		return []string{terway.KeyDisableNetworkPolicy, terway.KeyFelixRelayService}
	}
	return []string{terway.KeyDisableNetworkPolicy}
}

// Rollback returns the steps that undo the plan of o.From, in the safe
// order: back up eni-config, restore the keys the plan changed, restart
// Terway and wait, check that Felix runs as before, and only then (from
// Typha) delete Typha's Deployment, Service and PodDisruptionBudget. The
// BGPPeer CustomResourceDefinition stays: deleting it would delete every
// BGPPeer. Invalid options return an error joining a [render.OptionError]
// per bad field.
func Rollback(o RollbackOptions) (*Result, error) {
	var errs []error
	fail := func(field string, value any, reason string, err error) {
		errs = append(errs, &render.OptionError{Field: field, Value: value, Reason: reason, Err: err})
	}
	from, err := render.ParseMode(string(o.From))
	if err != nil {
		fail("From", o.From, fmt.Sprintf("is not a mode: want the mode of the plan to undo, %q or %q", render.ModeTypha, render.ModeDisablePolicy), err)
	}
	ds := o.TerwayDaemonSet
	if ds == "" {
		ds = DefaultTerwayDaemonSet
	} else if msgs := validation.IsDNS1123Subdomain(ds); len(msgs) > 0 {
		fail("TerwayDaemonSet", ds, "is not a DaemonSet name: want the Terway DaemonSet's name, such as terway-eniip, terway-eni or terway", nil)
	}
	for _, x := range []struct {
		field string
		cm    *corev1.ConfigMap
	}{{"ENIConfig", o.ENIConfig}, {"Backup", o.Backup}} {
		if x.cm != nil && (x.cm.Namespace != terway.ENIConfigNamespace || x.cm.Name != terway.ENIConfigName) {
			fail(x.field, types.NamespacedName{Namespace: x.cm.Namespace, Name: x.cm.Name}, "is not kube-system/eni-config: want Terway's eni-config ConfigMap, as kubectl -n kube-system get cm eni-config -o yaml prints it", render.ErrNotENIConfig)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	p := &Result{Mode: from, Rollback: true}
	if from == render.ModeTypha {
		p.Summary = "roll back Typha: Felix watches the API server again, then Typha is deleted"
	} else {
		p.Summary = "roll back disable-policy: NetworkPolicy is enforced again"
	}
	o.From, o.TerwayDaemonSet = from, ds
	p.Steps = (&planBuilder{ds: ds}).rollbackSteps(o)
	mustBeFilled(p)
	return p, nil
}

// rollbackSteps returns the steps that undo the plan of o.From, for
// Rollback and for the typha plan's undo path; o is valid.
func (b *planBuilder) rollbackSteps(o RollbackOptions) []Step {
	sub := &planBuilder{plan: &Result{}, ds: b.ds}
	restore := restoreData(o.From, o.ENIConfig, o.Backup)
	sub.step(Step{
		Title:    "Back up eni-config as it is now",
		Target:   TargetCluster,
		Commands: []string{"kubectl -n kube-system get cm eni-config -o yaml > " + ENIConfigBeforeRollback},
		Notes:    []string{fmt.Sprintf("A file of its own: the plan's backup, %s, is left as it is.", ENIConfigBackup)},
	})
	sub.step(sub.restoreStep(o.From, restore, o))
	changes := len(restore) > 0 || o.ENIConfig == nil
	if changes {
		sub.restart()
		last := &sub.plan.Steps[len(sub.plan.Steps)-1]
		last.Notes = append([]string{"The patch changes eni-config, so Terway must restart to read it: until every pod has, some Felix agents still run with the old settings."}, last.Notes...)
	} else {
		sub.step(Step{
			Title: "Restart Terway: not needed",
			Notes: []string{
				"eni-config already has the values to restore, so this plan does not restart Terway. If they were set after Terway's pods started, the pods still run with the old ones: the next step shows one pod's; if it differs, restart:",
				fmt.Sprintf("kubectl -n kube-system rollout restart ds/%s, then kubectl -n kube-system rollout status ds/%s.", b.ds, b.ds),
			},
		})
	}
	if o.From == render.ModeTypha {
		relay, left := restore[terway.KeyFelixRelayService]
		if !left && o.ENIConfig != nil {
			// Nothing to restore: the key stays as it is.
			if v, ok := o.ENIConfig.Data[terway.KeyFelixRelayService]; ok {
				relay = &v
			}
		}
		sub.step(sub.verifyWithoutTypha(o.Metrics, relay))
		sub.step(deleteTypha())
	} else {
		sub.step(sub.verifyPolicyOn())
	}
	return sub.plan.Steps
}

// restoreData returns the data keys to patch, with their values (nil
// removes the key): from the backup when given, else the defaults (no
// felix_relay_service; disable_network_policy "false" for disable-policy,
// left alone for typha, whose plan changed it only where it existed). With
// the current eni-config, keys that already hold the value are left out.
func restoreData(from render.Mode, current, backup *corev1.ConfigMap) map[string]*string {
	want := map[string]*string{}
	for _, k := range rollbackKeys(from) {
		switch {
		case backup != nil:
			if v, ok := backup.Data[k]; ok {
				want[k] = &v
			} else {
				want[k] = nil
			}
		case k == terway.KeyFelixRelayService:
			want[k] = nil
		case from == render.ModeDisablePolicy:
			v := "false"
			want[k] = &v
		}
	}
	if current == nil {
		return want
	}
	for k, v := range want {
		cur, ok := current.Data[k]
		switch {
		case v == nil && !ok, v != nil && ok && cur == *v:
			delete(want, k)
		case v != nil && from == render.ModeDisablePolicy && backup == nil && terway.NetworkPolicyEnabled(cur):
			delete(want, k) // already on, in another spelling ("0" or "")
		}
	}
	return want
}

// restorePatch is the kubectl patch that sets data.
func restorePatch(data map[string]*string) string {
	m := make(map[string]any, len(data))
	for k, v := range data {
		if v == nil {
			m[k] = nil
		} else {
			m[k] = *v
		}
	}
	// Marshalling strings and nulls cannot fail; keys come out sorted.
	out, _ := json.Marshal(map[string]any{"data": m})
	return "kubectl -n kube-system patch cm eni-config --type merge -p " + ShellQuote(string(out))
}

func (b *planBuilder) restoreStep(from render.Mode, data map[string]*string, o RollbackOptions) Step {
	s := Step{Title: "Stop relaying Felix through Typha", Target: TargetCluster}
	if from == render.ModeDisablePolicy {
		s.Title = "Turn NetworkPolicy back on"
	}
	if len(data) == 0 {
		s.Notes = []string{"eni-config already has the values to restore; nothing to patch."}
	} else {
		s.Commands = []string{restorePatch(data)}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			if v := data[k]; v == nil {
				s.Notes = append(s.Notes, fmt.Sprintf("Removes %s.", k))
			} else {
				s.Notes = append(s.Notes, fmt.Sprintf("Sets %s to %q.", k, *v))
				if k == terway.KeyDisableNetworkPolicy && !terway.NetworkPolicyEnabled(*v) {
					s.Notes = append(s.Notes, "That turns NetworkPolicy off again, as it was before the plan: Felix then runs neither with Typha nor without it.")
				}
			}
		}
	}
	switch {
	case o.Backup != nil:
		s.Notes = append(s.Notes, fmt.Sprintf("The values come from the backup the plan took (%s): the rollback restores what eni-config held before.", ENIConfigBackup))
	case from == render.ModeTypha:
		s.Notes = append(s.Notes,
			fmt.Sprintf("The typha plan also set %s to \"false\" where the key held another value; only its backup knows the old value. Give the plan's backup (%s) for the exact patch, or read it with: grep %s %s", terway.KeyDisableNetworkPolicy, ENIConfigBackup, terway.KeyDisableNetworkPolicy, ENIConfigBackup),
		)
	default:
		s.Notes = append(s.Notes, fmt.Sprintf("Without the plan's backup (%s) the patch turns NetworkPolicy on with \"false\"; give the backup to restore the value it held.", ENIConfigBackup))
	}
	if from == render.ModeDisablePolicy && o.ENIConfig != nil {
		if relay := o.ENIConfig.Data[terway.KeyFelixRelayService]; relay != "" && !strings.EqualFold(relay, "none") {
			s.Notes = append(s.Notes, fmt.Sprintf("eni-config names %q in %s: with NetworkPolicy on, Felix connects to that Typha Service. Check that Typha runs (kubectl -n kube-system get deploy %s) before you restart Terway; if it was deleted, also remove the key (patch it to null).", relay, terway.KeyFelixRelayService, render.Name))
		}
	}
	return s
}

// verifyWithoutTypha is a gate: Felix runs without Typha before Typha is
// deleted. relay is the felix_relay_service value the restore left (nil:
// none).
func (b *planBuilder) verifyWithoutTypha(metrics bool, relay *string) Step {
	want, wantText := "", "no "+terway.KeyFelixRelayService
	if relay != nil {
		want, wantText = *relay, fmt.Sprintf("%s %q, as before the plan", terway.KeyFelixRelayService, *relay)
	}
	count := `  echo "OK: eni-config has <<WANTTEXT>>, and Terway's $desired pods all restarted after it changed: none was given the Typha Service"`
	if metrics {
		count = script(withoutTyphaByMetrics).fill("SUM", connectionsSum(), "TRIES", tries(ConnectionsTimeout), "EVERY", secs(pollEvery),
			"WITHIN", english.Duration(ConnectionsTimeout), "METRIC", ConnectionsMetric)
	}
	cmd := script(withoutTyphaScript).fill("COUNT", count)
	cmd = script(cmd).fill("DS", ShellQuote(b.ds), "ENICONFIG", terway.ENIConfigName, "RELAY", terway.KeyFelixRelayService,
		"WANT", ShellQuote(want), "WANTTEXT", wantText,
		"UNDO", "do not delete Typha while a Felix may use it: fix this, and run this step again")
	s := Step{
		Title:    "Verify that Felix runs without Typha",
		Target:   TargetCluster,
		Gate:     &Gate{Name: GateWithoutTypha, Timeout: b.timeoutOr(time.Minute) + ConnectionsTimeout},
		Commands: []string{cmd},
		Notes: []string{
			fmt.Sprintf("The command checks that eni-config has %s, and that Terway's DaemonSet has every pod restarted and available: a pod that restarted after the patch was not given the Typha Service.", wantText),
		},
	}
	if metrics {
		s.Notes = append(s.Notes, fmt.Sprintf("With Typha's metrics it also sums %s over the Typha replicas until it is 0: no Felix agent uses Typha any more. Per replica: %s", ConnectionsMetric, connectionsPerPod()))
		s.Notes = append(s.Notes, metricsNotes()[1])
	}
	s.Notes = append(s.Notes, fmt.Sprintf("Gate %s: go on to delete Typha only when the command's last line starts with %q (it exits 0). On a STOP, do not delete Typha: deleting it while a Felix agent still uses it leaves that node's policy unsynced until its Terway pod restarts; fix what it names and run this step again. It decides within %s.", GateWithoutTypha, strings.TrimSpace(GatePass), english.Duration(s.Gate.Timeout)))
	return s
}

// withoutTyphaScript is the gate before Typha is deleted.
const withoutTyphaScript script = `(
  ` + stopFunc + `
  ds=<<DS>>
  relay=$(kubectl -n kube-system get cm <<ENICONFIG>> -o go-template='{{with .data}}{{with index . "<<RELAY>>"}}{{.}}{{end}}{{end}}|') || stop "cannot read the ConfigMap kube-system/<<ENICONFIG>>"
  relay=${relay%|}
  [ "$relay" = <<WANT>> ] || stop "eni-config's <<RELAY>> is $(printf '%q' "$relay"): the restore step did not take (want <<WANTTEXT>>)"
  IFS='|' read -r desired updated available <<< "$(kubectl -n kube-system get ds "$ds" -o jsonpath='{.status.desiredNumberScheduled}|{.status.updatedNumberScheduled}|{.status.numberAvailable}')"
  [ -n "$desired" ] || stop "cannot read the DaemonSet kube-system/$ds"
  [ "${updated:-0}" -eq "$desired" ] && [ "${available:-0}" -eq "$desired" ] || stop "Terway's DaemonSet $ds has ${updated:-0} of $desired pods restarted and ${available:-0} available: pods that did not restart may still use Typha (kubectl -n kube-system rollout status ds/$ds)"
<<COUNT>>
)`

// withoutTyphaByMetrics waits until no Felix is connected to Typha.
const withoutTyphaByMetrics = `  n=0
  for ((i = 0; i < <<TRIES>>; i++)); do
    n=$(<<SUM>>)
    [ "$n" -eq 0 ] && break
    sleep <<EVERY>>
  done
  [ "$n" -eq 0 ] && { echo "OK: eni-config has <<WANTTEXT>>, Terway's $desired pods all restarted, and no Felix is connected to Typha (<<METRIC>> sums to 0)"; exit 0; }
  stop "$n Felix agents are still connected to Typha after <<WITHIN>> (<<METRIC>>)"`

// deleteTypha deletes Typha's objects, the autoscaler's if it was
// rendered, and keeps the CRD.
func deleteTypha() Step {
	return Step{
		Title:  "Delete Typha",
		Target: TargetCluster,
		Commands: []string{
			fmt.Sprintf("kubectl -n %s delete deployment,serviceaccount,configmap,role,rolebinding %s --ignore-not-found", render.Namespace, render.AutoscalerName),
			fmt.Sprintf("kubectl delete clusterrole,clusterrolebinding %s --ignore-not-found", render.AutoscalerName),
			fmt.Sprintf("kubectl -n %s delete deployment,service,poddisruptionbudget %s", render.Namespace, render.Name),
		},
		Notes: []string{
			"The autoscaler's objects go first (nothing is deleted where autoscaler.enabled was off), so that nothing scales Typha while it goes.",
			fmt.Sprintf("The BGPPeer CustomResourceDefinition (%s) stays: deleting a CustomResourceDefinition deletes every object of its kind, BGPPeers that other Calico components or people created included, and it costs nothing to keep. Delete it only if kubectl get bgppeers.crd.projectcalico.org lists nothing you need.", render.CRDName),
		},
	}
}

// verifyPolicyOn checks that NetworkPolicy is enforced again.
func (b *planBuilder) verifyPolicyOn() Step {
	return Step{
		Title:  "Verify",
		Target: TargetCluster,
		Commands: []string{
			fmt.Sprintf(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.%s}{"\n"}'`, terway.KeyDisableNetworkPolicy),
			fmt.Sprintf("kubectl -n kube-system get ds %s", b.ds),
			felixEnv(b.ds),
			"kubectl get networkpolicy -A",
		},
		Notes: []string{
			"The first command prints false (or an empty line: no key also means NetworkPolicy on); the DaemonSet's pods are all READY and UP-TO-DATE; the third shows DISABLE_POLICY=false, or no DISABLE_POLICY line.",
			"Every NetworkPolicy listed controls traffic again: test one you rely on.",
		},
	}
}
