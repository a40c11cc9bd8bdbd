package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// note is an OptionError value shown as it is, not quoted.
type note string

func (n note) String() string { return string(n) }

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

// Options describe a rollout of one of the guide's approaches.
type Options struct {
	Mode    render.Mode    // required: render.ModeTypha or render.ModeDisablePolicy
	Cluster render.Options // the cluster, required for ModeTypha; ModeDisablePolicy renders nothing and must leave it zero. Its ENIConfig is not read: the rendering is checked against ENIConfig as the plan's patch leaves it

	ENIConfig       *corev1.ConfigMap // default none: the patch step is the guide's; the cluster's current eni-config makes it exact
	TerwayDaemonSet string            // default "terway-eniip"; terway-eni and terway are also seen
	Manifest        string            // default "calico-typha.yaml": the file the Typha manifests are saved in
	RenderCommand   string            // default none: the command that writes the manifests to stdout, shown in the save step
	RolloutTimeout  time.Duration     // default 5m: kubectl rollout status --timeout for the Typha Deployment

	// AllowNoFelix plans Typha even when ENIConfig makes another engine
	// than Felix enforce NetworkPolicy (terway.ReadEngine), where Typha
	// serves no one. Default false: such a ModeTypha plan is refused.
	AllowNoFelix bool
}

// ErrNoFelix is wrapped by the error of a ModeTypha plan whose
// eni-config makes another engine than Felix enforce NetworkPolicy; set
// Options.AllowNoFelix to plan it anyway. It is render.ErrNoFelix, which
// render.ENIConfigEdit.CheckFelix returns for the same eni-config.
var ErrNoFelix = render.ErrNoFelix

// Explain words err, an error of [Plan] or [Rollback], one line for each
// error it joins: "NAME VALUE REASON" for a [render.OptionError] whose
// field name names (a caller names the Options fields as it takes them: a
// CLI by its flags, the cluster's by their values keys; "" leaves one
// unnamed), then for ErrNoFelix " (NAME plans it anyway)", NAME being
// name("AllowNoFelix"); the error's own text for the rest.
func Explain(err error, name func(field string) string) []string {
	var lines []string
	for _, e := range errs.Flatten(err) {
		var oe *render.OptionError
		if !errors.As(e, &oe) || name(oe.Field) == "" {
			lines = append(lines, e.Error())
			continue
		}
		line := fmt.Sprintf("%s %s %s", name(oe.Field), oe.ValueString(), oe.Reason)
		if errors.Is(oe, ErrNoFelix) {
			line += " (" + name("AllowNoFelix") + " plans it anyway)"
		}
		lines = append(lines, line)
	}
	return lines
}

// ClusterError is the error of rendering Options.Cluster, among the errors
// [Plan] returns: render's [render.OptionError], one per bad field. A
// caller that took the cluster from values explains it as values do
// (values.Values.Explain).
type ClusterError struct{ Errs []error }

func (e *ClusterError) Error() string   { return errors.Join(e.Errs...).Error() }
func (e *ClusterError) Unwrap() []error { return e.Errs }

// Step is one step of a rollout.
//
// To run a plan as a person would: run each step's commands in order, in
// bash; every command must exit 0 (a step's notes say what a failure
// means). A gate step (Gate set) decides whether to go on: see [Gate].
// The steps with Undo set are the undo path: skip them unless a gate says
// STOP, and then run them from the step it names to the end. Target says
// where the commands act.
type Step struct {
	Title    string   // what the step does
	Commands []string // exact shell commands, in order; none when the step needs no command; a gate's is a multi-line bash script
	Notes    []string // what to check, and why
	Target   Target   // where the commands act; "" for a step with no command
	Gate     *Gate    // makes the step a gate; nil for every other step
	Undo     bool     // on the undo path: run only after a gate's STOP, from the step it names
}

// Result is what [Plan] returns.
type Result struct {
	// Mode is the plan's mode; for a rollback, the mode of the plan it
	// undoes.
	Mode render.Mode
	// Rollback marks [Rollback]'s result: the plan undoes one of Mode.
	Rollback bool
	Summary  string // one line on what the rollout does
	Steps    []Step // in order, numbered from 1 when printed
	// Findings are what a person should read before running the plan:
	// the rendering's own warnings (Rule ""), the eni-config edit's, then
	// what lint's rules say of the rendering and the edited eni-config,
	// warnings and errors (as render.Result.Findings has them).
	Findings  []finding.Finding
	Rendering *render.Result        // the Typha rendering; nil for ModeDisablePolicy
	Edit      *render.ENIConfigEdit // the eni-config edit; nil without Options.ENIConfig
}

// Plan returns the guide's rollout for o as numbered steps with exact
// kubectl commands: for ModeTypha apply the manifests, wait for the
// Deployment, patch eni-config, restart Terway and verify; for
// ModeDisablePolicy patch eni-config, restart Terway and verify. Invalid
// options return an error joining a [render.OptionError] per bad field.
func Plan(o Options) (*Result, error) {
	var bad []error
	fail := func(field string, value any, reason string) {
		bad = append(bad, &render.OptionError{Field: field, Value: value, Reason: reason})
	}
	mode, err := render.ParseMode(string(o.Mode))
	if err != nil {
		fail("Mode", o.Mode, fmt.Sprintf("is not a mode: want %q or %q", render.ModeTypha, render.ModeDisablePolicy))
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
	if mode == render.ModeDisablePolicy && !isZero(reflect.ValueOf(o.Cluster)) {
		fail("Cluster", note("(set)"), "is not used to disable NetworkPolicy, which renders nothing: leave it empty, or use ModeTypha")
	}

	p := &Result{Mode: mode}
	var editErr error
	if o.ENIConfig != nil && mode != "" {
		edit, err := render.EditENIConfig(o.ENIConfig, mode)
		if err != nil {
			editErr = &render.OptionError{Field: "ENIConfig", Value: types.NamespacedName{Namespace: o.ENIConfig.Namespace, Name: o.ENIConfig.Name}, Reason: "cannot be edited: " + err.Error(), Err: err}
		} else {
			p.Edit = edit
		}
	}
	var ruleFindings []finding.Finding
	if mode == render.ModeTypha {
		cluster := o.Cluster
		cluster.ENIConfig = nil
		if p.Edit != nil {
			cluster.ENIConfig = p.Edit.ConfigMap // what the cluster has after the plan
		}
		res, err := render.Render(cluster)
		if err != nil {
			bad = append(bad, &ClusterError{Errs: errs.Flatten(err)})
		} else {
			p.Rendering = res
			for _, f := range res.Findings {
				if f.Rule == "" {
					p.Findings = append(p.Findings, f)
				} else {
					ruleFindings = append(ruleFindings, f)
				}
			}
		}
	}
	if editErr != nil {
		bad = append(bad, editErr)
	} else if p.Edit != nil {
		p.Findings = append(p.Findings, p.Edit.Findings...)
	}
	p.Findings = append(p.Findings, ruleFindings...)
	if mode == render.ModeTypha {
		switch strings.ToLower(o.Cluster.LogSeverity) {
		case "warning", "error", "fatal":
			bad = append(bad, &render.OptionError{Field: "LogSeverity", Value: o.Cluster.LogSeverity,
				Reason: fmt.Sprintf("hides the info lines the plan's in-sync gate reads (%q): roll out with info, the default, or debug, and lower it afterwards", TyphaStatusLine)})
		}
	}
	if p.Edit != nil && mode == render.ModeTypha && !o.AllowNoFelix {
		// The engine the cluster has once the plan's own edit is applied
		// (it turns a disabled NetworkPolicy back on).
		if r, err := terway.ReadEngine(p.Edit.ConfigMap.Data); err == nil && r.Engine != terway.EngineFelix {
			bad = append(bad, &render.OptionError{Field: "ENIConfig", Value: note(r.Decided()), Err: ErrNoFelix,
				Reason: r.Reason + ": Typha relays only for Felix and would serve no one; plan Typha where Felix enforces NetworkPolicy"})
		}
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}

	b := planBuilder{plan: p, ds: ds, manifest: manifest, timeout: timeout, renderCmd: o.RenderCommand, clusterRegion: strings.TrimSpace(o.Cluster.Region)}
	if mode == render.ModeTypha {
		b.typha(o)
	} else {
		b.disablePolicy()
	}
	return p, nil
}

// isZero reports whether v holds nothing: zero, or empty for maps and
// slices, in every field of every struct within it. A field added to
// render.Options is covered without a change here.
func isZero(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if !isZero(v.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map, reflect.Slice:
		return v.Len() == 0
	}
	return v.IsZero()
}

type planBuilder struct {
	plan          *Result
	ds            string
	manifest      string
	timeout       time.Duration
	renderCmd     string
	clusterRegion string

	// Where each gate's undo path starts, by step index: undoPoint of the
	// gates added so far.
	gateUndo map[int]undoPoint
}

// undoPoint is where a gate's undo path starts.
type undoPoint int

const (
	undoNothing     undoPoint = iota // nothing changed yet
	undoTypha                        // Typha is applied; eni-config is not patched
	undoENIConfig                    // eni-config is patched
	undoPointsCount                  // how many
)

func (b *planBuilder) step(s Step) { b.plan.Steps = append(b.plan.Steps, s) }

// timeoutOr returns the Deployment rollout timeout, or d when none is set
// (a rollback has none).
func (b *planBuilder) timeoutOr(d time.Duration) time.Duration {
	if b.timeout == 0 {
		return d
	}
	return b.timeout
}

// gate adds a gate step whose stop undoes from u.
func (b *planBuilder) gate(s Step, u undoPoint) {
	if b.gateUndo == nil {
		b.gateUndo = map[int]undoPoint{}
	}
	b.gateUndo[len(b.plan.Steps)] = u
	b.step(s)
}

// finishGates numbers the undo path each gate stops into, given the index
// of the step where each undo point's path begins, and fills it into the
// gates' commands.
func (b *planBuilder) finishGates(from [undoPointsCount]int) {
	last := len(b.plan.Steps)
	for i, u := range b.gateUndo {
		s := &b.plan.Steps[i]
		undo := "nothing was changed"
		if u != undoNothing {
			n := from[u] + 1
			s.Gate.UndoFrom = n
			undo = fmt.Sprintf("undo from step %d (steps %d to %d)", n, n, last)
			if n == last {
				undo = fmt.Sprintf("undo with step %d", n)
			}
		}
		cmd := script(s.Commands[0]).fill("UNDO", undo)
		if left := leftPlaceholder(cmd); left != "" {
			panic("rollout: gate " + string(s.Gate.Name) + " has an unfilled placeholder " + left)
		}
		s.Commands[0] = cmd
		s.Notes = append(s.Notes, gateNote(s.Gate))
	}
}

// gateNote says how to read a gate: the last line of the gate's output.
func gateNote(g *Gate) string {
	what := "a STOP here needs no undo: nothing was changed"
	if g.UndoFrom > 0 {
		what = fmt.Sprintf("on a STOP, run the undo path from step %d to the end", g.UndoFrom)
	}
	return fmt.Sprintf("Gate %s: go on only when the command's last line starts with %q (it exits 0); %s. It decides within %s.", g.Name, strings.TrimSpace(GatePass), what, english.Duration(g.Timeout))
}

// typha is the typha plan: pre-flight gates, the apply, the in-sync gate,
// the patch, the canary, the rolling restart, the rollout gate, and the
// undo path, in that order: nothing that can hurt runs before the gate
// that proves it safe.
func (b *planBuilder) typha(o Options) {
	res := b.plan.Rendering
	a := res.Advice
	b.plan.Summary = fmt.Sprintf("deploy Typha (%s for %s, Kubernetes %s) and relay Felix through it", english.Count(a.Replicas, "replica"), english.Count(a.Nodes, "node"), res.Version)
	m := ShellQuote(b.manifest)
	e := b.plan.Edit
	patched := e != nil && slices.ContainsFunc(e.Changes, func(c render.Change) bool { return c.Key == terway.KeyDisableNetworkPolicy })

	b.gate(b.gateTerwayVersion(), undoNothing)
	if !o.AllowNoFelix {
		b.gate(b.gateFelixEngine(patched), undoNothing)
	}
	if s, ok := b.mirrorStep(); ok {
		b.step(s)
	}
	b.gate(b.gateImagePull(), undoNothing)
	save := Step{Title: "Save the Typha manifests", Target: TargetLocal, Notes: []string{
		fmt.Sprintf("Service, Deployment (%s, image %s), PodDisruptionBudget (%s) and the BGPPeer CustomResourceDefinition.", english.Count(a.Replicas, "replica"), res.Image, res.PodDisruptionBudget.GetObjectKind().GroupVersionKind().GroupVersion()),
	}}
	if res.Autoscaler != nil {
		save.Notes = append(save.Notes, autoscalerSaveNote(res))
	}
	if b.renderCmd != "" {
		save.Commands = []string{b.renderCmd + " > " + m}
	} else {
		save.Notes = append(save.Notes, fmt.Sprintf("Write the rendered manifests to %s.", b.manifest))
	}
	b.step(save)
	b.step(b.restrictPort())
	apply := Step{
		Title:  "Apply the manifests",
		Target: TargetCluster,
		Commands: []string{
			"kubectl apply --dry-run=server -f " + m,
			"kubectl diff -f " + m + " || test $? -eq 1",
			"kubectl apply -f " + m,
		},
		Notes: []string{
			"The dry run lets the API server validate every object before anything changes.",
			"kubectl diff shows what the apply will change in the cluster; it exits 1 when there are differences (expected on a first apply), which the command accepts, and above 1 on an error, which stops it.",
		},
	}
	if res.Autoscaler != nil {
		apply.Notes = append(apply.Notes, autoscalerNotes(a.Replicas)[1])
	}
	b.step(apply)
	b.gate(b.gateTyphaInSync(), undoTypha)
	b.backup()
	b.plan.Steps[len(b.plan.Steps)-1].Notes = []string{"Keep it: the undo path at the end of this plan restores eni-config's keys from the cluster's eni-config the plan was given, or, without one, removes felix_relay_service (the old disable_network_policy, if the patch changes it, is in this file)."}
	patch := Step{Title: "Point Terway's Felix at Typha", Target: TargetCluster}
	switch {
	case e == nil:
		patch.Commands = []string{patchCommand(map[string]string{terway.KeyFelixRelayService: render.Name})}
		patch.Notes = []string{
			fmt.Sprintf("If eni-config has a %s key, it must be \"false\": Terway reads any other value (\"False\", \"true\", empty lines) as disabled; the pre-flight gate checked it.", terway.KeyDisableNetworkPolicy),
			"For the exact patch, give the plan the cluster's eni-config (kubectl -n kube-system get cm eni-config -o yaml).",
		}
	case len(e.Changes) == 0:
		patch.Notes = []string{fmt.Sprintf("eni-config already has %s: %s; nothing to patch.", terway.KeyFelixRelayService, render.Name)}
	default:
		patch.Commands = []string{editCommand(e)}
		patch.Notes = changeNotes(e)
	}
	b.step(patch)
	relaying := e != nil && len(e.Changes) == 0 // Felix used Typha before this plan
	if relaying {
		b.restartIfNeeded(fmt.Sprintf("%s: %s", terway.KeyFelixRelayService, render.Name))
	} else {
		b.gate(b.gateCanary(), undoENIConfig)
		b.restartRest(e != nil)
	}
	b.gate(b.gateRolloutComplete(), undoENIConfig)

	// The undo path.
	var from [undoPointsCount]int
	if relaying {
		from[undoTypha] = len(b.plan.Steps)
		from[undoENIConfig] = from[undoTypha]
		b.step(undoStep(Step{
			Title:  "Roll Typha back to the version Felix used before",
			Target: TargetCluster,
			Commands: []string{
				fmt.Sprintf("kubectl -n %s rollout undo deploy/%s", render.Namespace, render.Name),
				fmt.Sprintf("kubectl -n %s rollout status deploy/%s --timeout=%s", render.Namespace, render.Name, english.Duration(b.timeout)),
			},
			Notes: []string{fmt.Sprintf("eni-config named %s before this plan, so Felix used a Typha already: this brings back its previous Deployment revision rather than deleting Typha, which every Felix relies on.", render.Name)},
		}))
	} else {
		ro := RollbackOptions{From: render.ModeTypha, Backup: o.ENIConfig, TerwayDaemonSet: b.ds, Metrics: b.metrics()}
		if e != nil {
			ro.ENIConfig = e.ConfigMap // what the cluster has after the plan's patch
		}
		from[undoENIConfig] = len(b.plan.Steps)
		steps := b.rollbackSteps(ro)
		for _, s := range steps {
			b.step(undoStep(s))
		}
		from[undoTypha] = len(b.plan.Steps) - 1 // the last: delete Typha
		del := &b.plan.Steps[len(b.plan.Steps)-1]
		del.Notes = append(del.Notes, fmt.Sprintf("After a STOP before eni-config was patched, this is the whole undo: Typha goes, and nothing else changed. If eni-config named %s before this plan (the backup shows it), roll Typha back instead: kubectl -n %s rollout undo deploy/%s.", render.Name, render.Namespace, render.Name))
	}
	from[undoNothing] = -1
	b.finishGates(from)
	mustBeFilled(b.plan)
}

// mustBeFilled panics on a placeholder left in a command: a bug in this
// package, which its tests catch.
func mustBeFilled(p *Result) {
	for _, s := range p.Steps {
		for _, c := range s.Commands {
			if left := leftPlaceholder(c); left != "" {
				panic("rollout: step " + s.Title + " has an unfilled placeholder " + left)
			}
		}
	}
}

// undoStep marks s as a step of the undo path.
func undoStep(s Step) Step {
	s.Undo = true
	s.Title = "Undo: " + s.Title
	return s
}

// restartRest restarts every Terway pod after the canary.
func (b *planBuilder) restartRest(exact bool) {
	b.restart()
	last := &b.plan.Steps[len(b.plan.Steps)-1]
	last.Title = "Restart the rest of Terway"
	note := "The canary's Felix is in sync through Typha: now every Terway pod restarts to read the patched eni-config (the canary's pod restarts once more)."
	if !exact {
		note = "The canary's Felix is in sync through Typha: now every Terway pod restarts to read eni-config (the canary's pod restarts once more)."
	}
	last.Notes = append([]string{note}, last.Notes...)
}

// restrictPort is the mitigation for Typha's plaintext port: Typha here
// has no TLS (Terway gives Felix no Typha TLS settings), runs with
// hostNetwork and serves the whole cluster snapshot on terway.TyphaPort of every
// node it runs on, so only the cluster's own nodes may reach that port.
func (b *planBuilder) restrictPort() Step {
	region := b.clusterRegion
	s := Step{
		Title:  fmt.Sprintf("Allow Typha's port %d only from the cluster's nodes", terway.TyphaPort),
		Target: TargetCloud,
		Commands: []string{
			fmt.Sprintf("aliyun ecs DescribeSecurityGroupAttribute --RegionId %s --SecurityGroupId SG_ID --Direction ingress", region),
			fmt.Sprintf("aliyun ecs AuthorizeSecurityGroup --RegionId %s --SecurityGroupId SG_ID --IpProtocol tcp --PortRange %d/%d --SourceGroupId SG_ID --Policy accept --Description typha", region, terway.TyphaPort, terway.TyphaPort),
		},
		Notes: []string{
			fmt.Sprintf("Typha runs with hostNetwork and without TLS (Terway gives Felix no Typha TLS settings): anyone who reaches TCP %d on a node that runs Typha receives the cluster's full snapshot in plaintext, pods, IPs, labels, namespaces, service accounts and policies.", terway.TyphaPort),
			"SG_ID is the cluster's node security group: the ACK console's cluster Basic Information, or security_group_id in the output of aliyun cs GET /clusters/CLUSTER_ID.",
			fmt.Sprintf("The first command lists its inbound rules: revoke (aliyun ecs RevokeSecurityGroup) any that admits TCP %d, or all ports, from 0.0.0.0/0 or from addresses beyond the cluster's nodes; the second admits the nodes themselves, which is all Felix needs.", terway.TyphaPort),
		},
	}
	if b.metrics() {
		s.Title = fmt.Sprintf("Allow Typha's ports %d and %d only from the cluster's nodes", terway.TyphaPort, terway.TyphaMetricsPort)
		s.Commands = append(s.Commands, fmt.Sprintf("aliyun ecs AuthorizeSecurityGroup --RegionId %s --SecurityGroupId SG_ID --IpProtocol tcp --PortRange %d/%d --SourceGroupId SG_ID --Policy accept --Description typha-metrics", region, terway.TyphaMetricsPort, terway.TyphaMetricsPort))
		s.Notes = append(s.Notes, fmt.Sprintf("With metrics.enabled Typha also serves its metrics on port %d of every node it runs on, on all interfaces: the third command admits the nodes to it, as for %d; revoke any wider rule for %d as well. The rollout gate reads the metrics through the API server's pod proxy, which connects to the node from the API server's addresses: if it times out, admit those addresses to %d too.", terway.TyphaMetricsPort, terway.TyphaPort, terway.TyphaMetricsPort, terway.TyphaMetricsPort))
	}
	return s
}

func (b *planBuilder) disablePolicy() {
	b.plan.Summary = "disable NetworkPolicy: Terway stops running Felix against the API server"
	// Where Cilium is the engine, Terway keeps running it, with policy
	// enforcement off [terway cmd/terway-cli/policy.go, runCilium:
	// --enable-policy=never when NetworkPolicy is disabled].
	var cilium *terway.Reading
	if e := b.plan.Edit; e != nil {
		if r, err := terway.ReadEngine(e.ConfigMap.Data); err == nil && r.Key != terway.KeyDisableNetworkPolicy && r.Engine == terway.EngineCilium {
			cilium = &r
		}
	}
	if cilium != nil {
		b.plan.Summary = "disable NetworkPolicy: Terway keeps running Cilium, which stops enforcing it"
	}
	b.backup()
	patch := Step{Title: "Turn NetworkPolicy off", Target: TargetCluster}
	switch e := b.plan.Edit; {
	case e == nil:
		patch.Commands = []string{patchCommand(map[string]string{terway.KeyDisableNetworkPolicy: "true"})}
	case len(e.Changes) == 0:
		patch.Notes = []string{fmt.Sprintf("eni-config already has %s: \"true\"; nothing to patch.", terway.KeyDisableNetworkPolicy)}
	default:
		patch.Commands = []string{editCommand(e)}
		patch.Notes = changeNotes(e)
	}
	patch.Notes = append(patch.Notes, "After Terway restarts, NetworkPolicy objects stay in the cluster but no longer control traffic between pods.")
	if cilium != nil {
		patch.Notes = append(patch.Notes, fmt.Sprintf("eni-config's %s %s: Felix does not run here, so this does not take Felix's watches off the API server. Terway keeps running Cilium, its datapath, with --enable-policy=never; Cilium still watches the API server, so this does not relieve it as it does on a Felix cluster (terway cmd/terway-cli/policy.go, runCilium).", cilium.Decided(), cilium.Reason))
	}
	b.step(patch)
	b.restartIfNeeded(fmt.Sprintf("%s: \"true\"", terway.KeyDisableNetworkPolicy))
	b.step(Step{
		Title:    "Verify",
		Target:   TargetCluster,
		Commands: []string{fmt.Sprintf(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.%s}{"\n"}'`, terway.KeyDisableNetworkPolicy)},
		Notes:    []string{"The command prints true, and every Terway pod has restarted."},
	})
	if e := b.plan.Edit; e != nil && e.ConfigMap.Data[terway.KeyFelixRelayService] != "" {
		b.step(Step{
			Title:    "Optional: remove Typha",
			Target:   TargetCluster,
			Commands: []string{fmt.Sprintf("kubectl -n %s delete deployment,service,poddisruptionbudget %s", render.Namespace, render.Name)},
			Notes:    []string{fmt.Sprintf("eni-config still names %s in %s, but nothing uses Typha while NetworkPolicy is off. The BGPPeer CustomResourceDefinition is left in place: deleting it deletes every BGPPeer.", render.Name, terway.KeyFelixRelayService)},
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
		Target:   TargetCluster,
		Commands: []string{"kubectl -n kube-system get cm eni-config -o yaml > " + ENIConfigBackup},
		Notes:    []string{undo},
	})
}

// revertCommand is the kubectl patch that undoes e: keys it added are
// removed (null in a merge patch), keys it changed get their old value.
func revertCommand(e *render.ENIConfigEdit) string {
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
		Title:  "Restart Terway",
		Target: TargetCluster,
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

func changeNotes(e *render.ENIConfigEdit) []string {
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

// editCommand is the kubectl patch that makes the edit e.
func editCommand(e *render.ENIConfigEdit) string {
	return "kubectl -n kube-system patch cm eni-config --type merge -p " + ShellQuote(string(e.MergePatch()))
}

// patchCommand is the kubectl patch that sets data's keys in eni-config.
func patchCommand(data map[string]string) string {
	e := &render.ENIConfigEdit{}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		e.Changes = append(e.Changes, render.Change{Key: k, After: data[k]})
	}
	return editCommand(e)
}
