package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/typharender/typharender/terway"
)

// Plan defaults.
const (
	// DefaultTerwayDaemonSet is the Terway DaemonSet of ENIIP mode, the
	// most common; ENI mode calls it terway-eni, and older clusters terway.
	DefaultTerwayDaemonSet = "terway-eniip"
	// DefaultManifest is the file the guide saves the manifests in.
	DefaultManifest = "calico-typha.yaml"
	// DefaultRolloutTimeout bounds the wait for the Typha Deployment.
	DefaultRolloutTimeout = 5 * time.Minute
	// ENIConfigBackup is the file the plan backs eni-config up to.
	ENIConfigBackup = "eni-config.backup.yaml"
)

// PlanOptions describe a rollout of one of the guide's approaches.
type PlanOptions struct {
	Mode    Mode    // required: ModeTypha or ModeDisablePolicy
	Options Options // the cluster, required for ModeTypha; ModeDisablePolicy renders nothing and must leave it zero

	ENIConfig       *corev1.ConfigMap // default none: the patch step is the guide's; the cluster's current eni-config makes it exact
	TerwayDaemonSet string            // default "terway-eniip"; terway-eni and terway are also seen
	Manifest        string            // default "calico-typha.yaml": the file the Typha manifests are saved in
	RenderCommand   string            // default none: the command that writes the manifests to stdout, shown in the save step
	RolloutTimeout  time.Duration     // default 5m: kubectl rollout status --timeout for the Typha Deployment
}

// Step is one step of a rollout.
type Step struct {
	Title    string   // what the step does
	Commands []string // exact shell commands, in order; none when the step needs no command
	Notes    []string // what to check, and why
}

// RolloutPlan is what [Plan] returns.
type RolloutPlan struct {
	Mode     Mode
	Summary  string         // one line on what the rollout does
	Steps    []Step         // in order, numbered from 1 when printed
	Warnings []string       // from the rendering and the eni-config edit
	Result   *Result        // the Typha rendering; nil for ModeDisablePolicy
	Edit     *ENIConfigEdit // the eni-config edit; nil without PlanOptions.ENIConfig
}

// planNote is an OptionError value shown as it is, not quoted.
type planNote string

func (n planNote) String() string { return string(n) }

// Plan returns the guide's rollout for o as numbered steps with exact
// kubectl commands: for ModeTypha apply the manifests, wait for the
// Deployment, patch eni-config, restart Terway and verify; for
// ModeDisablePolicy patch eni-config, restart Terway and verify. Invalid
// options return an error joining an [OptionError] per bad field.
func Plan(o PlanOptions) (*RolloutPlan, error) {
	var errs []error
	fail := func(field string, value any, reason string) {
		errs = append(errs, &OptionError{Field: field, Value: value, Reason: reason})
	}
	mode, err := ParseMode(string(o.Mode))
	if err != nil {
		fail("Mode", o.Mode, fmt.Sprintf("is not a mode: want %q or %q", ModeTypha, ModeDisablePolicy))
	}
	ds := o.TerwayDaemonSet
	if ds == "" {
		ds = DefaultTerwayDaemonSet
	} else if msgs := validation.IsDNS1123Subdomain(ds); len(msgs) > 0 {
		fail("TerwayDaemonSet", ds, "is not a DaemonSet name: want the Terway DaemonSet's name, such as terway-eniip, terway-eni or terway")
	}
	manifest := o.Manifest
	if manifest == "" {
		manifest = DefaultManifest
	} else if strings.ContainsAny(manifest, "\x00\n") {
		fail("Manifest", manifest, "is not a file name: want a path without newlines, such as calico-typha.yaml")
	}
	timeout := o.RolloutTimeout
	if timeout == 0 {
		timeout = DefaultRolloutTimeout
	} else if timeout < time.Second {
		fail("RolloutTimeout", timeout, "is below one second: want a duration such as 5m")
	}
	if mode == ModeDisablePolicy && !isZeroOptions(o.Options) {
		fail("Options", planNote("(set)"), "are not used to disable NetworkPolicy, which renders nothing: leave them empty, or use ModeTypha")
	}

	p := &RolloutPlan{Mode: mode}
	if mode == ModeTypha {
		res, err := Render(o.Options)
		if err != nil {
			errs = append(errs, err)
		} else {
			p.Result = res
			p.Warnings = append(p.Warnings, res.Warnings...)
		}
	}
	if o.ENIConfig != nil && mode != "" {
		edit, err := EditENIConfig(o.ENIConfig, mode)
		if err != nil {
			errs = append(errs, &OptionError{Field: "ENIConfig", Value: types.NamespacedName{Namespace: o.ENIConfig.Namespace, Name: o.ENIConfig.Name}, Reason: "cannot be edited: " + err.Error(), Err: err})
		} else {
			p.Edit = edit
			p.Warnings = append(p.Warnings, edit.Warnings...)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	b := planBuilder{plan: p, ds: ds, manifest: manifest, timeout: timeout, renderCmd: o.RenderCommand}
	if mode == ModeTypha {
		b.typha()
	} else {
		b.disablePolicy()
	}
	return p, nil
}

func isZeroOptions(o Options) bool {
	return o.Region == "" && o.Nodes == 0 && o.KubeVersion == "" && o.Registry == "" && o.Repository == "" &&
		o.Tag == "" && o.Digest == "" && o.Replicas == 0 && len(o.Labels) == 0 && len(o.Annotations) == 0 &&
		len(o.Resources.Requests) == 0 && len(o.Resources.Limits) == 0 && len(o.Resources.Claims) == 0 && o.LogSeverity == ""
}

type planBuilder struct {
	plan      *RolloutPlan
	ds        string
	manifest  string
	timeout   time.Duration
	renderCmd string
}

func (b *planBuilder) step(s Step) { b.plan.Steps = append(b.plan.Steps, s) }

func (b *planBuilder) typha() {
	res := b.plan.Result
	a := res.Advice
	b.plan.Summary = fmt.Sprintf("deploy Typha (%d replicas for %d nodes, Kubernetes %s) and relay Felix through it", a.Replicas, a.Nodes, res.Version)
	m := ShellQuote(b.manifest)

	b.step(Step{
		Title:    "Check that Terway is up to date",
		Commands: []string{fmt.Sprintf(`kubectl -n kube-system get ds %s -o jsonpath='{.spec.template.spec.containers[*].image}{"\n"}'`, b.ds)},
		Notes:    []string{"The guide starts from the latest Terway: if this is not the latest version, upgrade Terway in the ACK console (Operations > Add-ons) first."},
	})
	save := Step{Title: "Save the Typha manifests", Notes: []string{
		fmt.Sprintf("Service, Deployment (%d replicas, image %s), PodDisruptionBudget (%s) and the BGPPeer CustomResourceDefinition.", a.Replicas, res.Image, res.PodDisruptionBudget.GetObjectKind().GroupVersionKind().GroupVersion()),
	}}
	if b.renderCmd != "" {
		save.Commands = []string{b.renderCmd + " > " + m}
	} else {
		save.Notes = append(save.Notes, fmt.Sprintf("Write the rendered manifests to %s.", b.manifest))
	}
	b.step(save)
	b.step(Step{
		Title: "Apply the manifests",
		Commands: []string{
			"kubectl apply --dry-run=server -f " + m,
			"kubectl apply -f " + m,
		},
		Notes: []string{"The dry run lets the API server validate every object before anything changes."},
	})
	b.step(Step{
		Title: "Wait for Typha",
		Commands: []string{
			fmt.Sprintf("kubectl -n %s rollout status deploy/%s --timeout=%s", Namespace, Name, formatDuration(b.timeout)),
			fmt.Sprintf("kubectl get pods -l %s=%s -n %s", AppLabel, Name, Namespace),
		},
		Notes: []string{fmt.Sprintf("Expect %d pods, each 1/1 READY and Running, before you continue: Felix needs Typha once Terway restarts.", a.Replicas)},
	})
	b.backup()
	patch := Step{Title: "Point Terway's Felix at Typha"}
	switch e := b.plan.Edit; {
	case e == nil:
		patch.Commands = []string{patchCommand(map[string]string{terway.KeyFelixRelayService: Name})}
		patch.Notes = []string{
			fmt.Sprintf("If eni-config has a %s key, it must be \"false\": Terway reads any other value (\"False\", \"true\", empty lines) as disabled. Check it with:", terway.KeyDisableNetworkPolicy),
			fmt.Sprintf(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.%s}{"\n"}'`, terway.KeyDisableNetworkPolicy),
			"For the exact patch, give the plan the cluster's eni-config (kubectl -n kube-system get cm eni-config -o yaml).",
		}
	case len(e.Changes) == 0:
		patch.Notes = []string{fmt.Sprintf("eni-config already has %s: %s; nothing to patch.", terway.KeyFelixRelayService, Name)}
	default:
		patch.Commands = []string{string(e.patchCommand())}
		patch.Notes = changeNotes(e)
	}
	b.step(patch)
	b.restart()
	b.step(Step{
		Title: "Verify",
		Commands: []string{
			fmt.Sprintf(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.%s}{"\n"}'`, terway.KeyFelixRelayService),
			fmt.Sprintf("kubectl get pods -l %s=%s -n %s", AppLabel, Name, Namespace),
		},
		Notes: []string{
			fmt.Sprintf("The first command prints %s; every Typha pod is Running.", Name),
			"Then watch the traffic to the API server's SLB instance fall as Felix agents move to Typha (the guide's check).",
		},
	})
}

func (b *planBuilder) disablePolicy() {
	b.plan.Summary = "disable NetworkPolicy: Terway stops running Felix against the API server"
	b.backup()
	patch := Step{Title: "Turn NetworkPolicy off"}
	switch e := b.plan.Edit; {
	case e == nil:
		patch.Commands = []string{patchCommand(map[string]string{terway.KeyDisableNetworkPolicy: "true"})}
	case len(e.Changes) == 0:
		patch.Notes = []string{fmt.Sprintf("eni-config already has %s: \"true\"; nothing to patch.", terway.KeyDisableNetworkPolicy)}
	default:
		patch.Commands = []string{string(e.patchCommand())}
		patch.Notes = changeNotes(e)
	}
	patch.Notes = append(patch.Notes, "After Terway restarts, NetworkPolicy objects stay in the cluster but no longer control traffic between pods.")
	b.step(patch)
	b.restart()
	b.step(Step{
		Title:    "Verify",
		Commands: []string{fmt.Sprintf(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.%s}{"\n"}'`, terway.KeyDisableNetworkPolicy)},
		Notes:    []string{"The command prints true, and every Terway pod has restarted."},
	})
	if e := b.plan.Edit; e != nil && e.ConfigMap.Data[terway.KeyFelixRelayService] != "" {
		b.step(Step{
			Title:    "Optional: remove Typha",
			Commands: []string{fmt.Sprintf("kubectl -n %s delete deployment,service,poddisruptionbudget %s", Namespace, Name)},
			Notes:    []string{fmt.Sprintf("eni-config still names %s in %s, but nothing uses Typha while NetworkPolicy is off. The BGPPeer CustomResourceDefinition is left in place: deleting it deletes every BGPPeer.", Name, terway.KeyFelixRelayService)},
		})
	}
}

func (b *planBuilder) backup() {
	undo := "To undo later, patch the changed keys back to their values in " + ENIConfigBackup + " and restart Terway again."
	if e := b.plan.Edit; e != nil && len(e.Changes) > 0 {
		undo = "To undo later, run " + revertCommand(e) + " and restart Terway again."
	}
	b.step(Step{
		Title:    "Back up eni-config",
		Commands: []string{"kubectl -n kube-system get cm eni-config -o yaml > " + ENIConfigBackup},
		Notes:    []string{undo},
	})
}

// revertCommand is the kubectl patch that undoes e: keys it added are
// removed (null in a merge patch), keys it changed get their old value.
func revertCommand(e *ENIConfigEdit) string {
	data := make(map[string]any, len(e.Changes))
	for _, c := range e.Changes {
		if c.Existed {
			data[c.Key] = c.Before
		} else {
			data[c.Key] = nil
		}
	}
	// Marshalling strings and nulls cannot fail.
	out, _ := json.Marshal(map[string]any{"data": data})
	return "kubectl -n kube-system patch cm eni-config --type merge -p " + ShellQuote(string(out))
}

func (b *planBuilder) restart() {
	b.step(Step{
		Title: "Restart Terway",
		Commands: []string{
			fmt.Sprintf("kubectl -n kube-system rollout restart ds/%s", b.ds),
			fmt.Sprintf("kubectl -n kube-system rollout status ds/%s", b.ds),
		},
		Notes: []string{
			"Terway reads eni-config only at start. A rolling restart replaces the guide's pod deletion and keeps to the DaemonSet's maxUnavailable; on a large cluster the status command waits as long as the rollout takes.",
			"If the DaemonSet is not found, list Terway's with kubectl -n kube-system get ds | grep terway (names seen: terway-eniip, terway-eni, terway) and use that name.",
		},
	})
}

func changeNotes(e *ENIConfigEdit) []string {
	var notes []string
	for _, c := range e.Changes {
		if c.Existed {
			notes = append(notes, fmt.Sprintf("Sets %s from %q to %q.", c.Key, c.Before, c.After))
		} else {
			notes = append(notes, fmt.Sprintf("Adds %s: %q.", c.Key, c.After))
		}
	}
	return notes
}

func (e *ENIConfigEdit) patchCommand() string {
	return "kubectl -n kube-system patch cm eni-config --type merge -p " + ShellQuote(string(e.MergePatch()))
}

func patchCommand(data map[string]string) string {
	e := &ENIConfigEdit{}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		e.Changes = append(e.Changes, Change{Key: k, After: data[k]})
	}
	return e.patchCommand()
}

// formatDuration writes d as kubectl's --timeout takes it, without zero
// units: 5m, 90s, 1h30m.
func formatDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@%+,-]+$`)

// ShellQuote returns s quoted for a POSIX shell: as it is when it holds no
// special characters, otherwise in single quotes.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
