package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/values"
)

type planFlags struct {
	valueFlags
	mode         string
	from         string // --mode rollback: the mode of the plan to undo
	backup       string // --mode rollback: the eni-config backup the plan took
	metrics      bool   // --mode rollback: Typha serves metrics
	eniConfig    string
	daemonSet    string
	manifest     string
	timeout      time.Duration
	output       string
	allowNoFelix bool
	failOn       failOnFlag
	failOnSev    finding.Severity // parsed --fail-on
	gate         bool             // --fail-on was given
}

func newPlanCmd(s streams) *cobra.Command {
	f := &planFlags{}
	c := &cobra.Command{
		Use:   "plan --mode typha|disable-policy|rollback [--region R --nodes N --kube-version V] [--eni-config FILE]",
		Short: "Print the rollout as numbered steps with exact kubectl commands",
		Long: `Print the vendor guide's rollout as numbered steps, each with the exact
commands to run and what to check.

--mode typha: each step is proved in the cluster before the next can hurt.
Pre-flight gates (Terway v1.6.1 or later passes felix_relay_service to
Felix; the live eni-config makes Felix the policy engine; a throwaway pod
pulls the Typha image), save and apply the manifests, the in-sync gate
(every Typha pod's log shows every syncer in sync, felix among them)
before eni-config is patched, back up and patch eni-config, the canary
gate (one Terway pod restarted, its Felix in sync through Typha) before
the rolling restart, the rollout gate (nothing stuck, one Felix per node
that runs Felix connected), and last the undo path. A gate is one bash
script: its last line starts with "OK: " (exit 0) to go on, or "STOP: "
(exit 1) with the reason and the step its undo starts at. -o json gives
each step's gate, undo and target as data. The cluster is given as for
render (--region, --nodes, --kube-version, -f, --set); the save step
repeats them as a typharender render command. A Typha rendered to log
above info is refused: the in-sync gate reads its info lines.

--mode disable-policy: back up and patch eni-config, restart Terway, and
verify; no Typha objects. The cluster flags are not used.

--mode rollback --from typha|disable-policy: undo that plan in the safe
order. Back up eni-config again (to eni-config.before-rollback.yaml),
restore the keys the plan changed, restart Terway and wait, check that
Felix runs as before (from typha: without Typha; with --metrics, every
Typha replica shows 0 connected Felix agents), and only then, from typha,
delete Typha's Deployment, Service and PodDisruptionBudget (and the
autoscaler's objects, if any). The BGPPeer CustomResourceDefinition stays:
deleting it would delete every BGPPeer. --eni-config-backup FILE is the
backup the plan took (eni-config.backup.yaml): the restore patch then
brings back exactly what eni-config held; without it, felix_relay_service
is removed (from typha) or disable_network_policy set to "false" (from
disable-policy). The cluster flags are not used.

Terway is restarted only when the patch changes eni-config: with
--eni-config and nothing to change, the plan says so and how to check the
running pods instead. With metrics.enabled, the rollout gate sums the
Felix agents connected to the Typha replicas through the API server's pod
proxy; with autoscaler.enabled the in-sync gate waits for the autoscaler's
replicas. --nodes-from and --kube-version-from read the node count and
version from kubectl output, as for render.

--eni-config FILE (or - for stdin) is the cluster's current ConfigMap, as
kubectl -n kube-system get cm eni-config -o yaml prints it: with it the
patch step is the exact merge patch for that cluster (or none when nothing
needs to change). With --mode typha it must leave Felix as the policy
engine: an eni-config that makes Cilium enforce NetworkPolicy
(network_policy_provider ebpf, eniip_virtual_type datapathv2 or ipvlan),
where Typha would serve no one, is refused (exit 2) unless
--allow-no-felix. --terway-daemonset names Terway's DaemonSet:
terway-eniip by default, terway-eni or terway on some clusters.

The rendering is checked with lint's rules (and with the edited eni-config,
when given): warnings and errors go to stderr; --fail-on warning|error
exits 1, printing no plan, when one reaches that severity.

Nothing is run: the plan goes to stdout, warnings to stderr.`,
		Example: `  # Deploy Typha on a 1,000-node cluster, with the exact eni-config patch
  kubectl -n kube-system get cm eni-config -o yaml > eni-config.yaml
  typharender plan --mode typha --region cn-hangzhou --nodes 1000 \
    --kube-version v1.30.7-aliyun.1 --eni-config eni-config.yaml

  # Turn NetworkPolicy off on an ENI-mode cluster
  typharender plan --mode disable-policy --terway-daemonset terway-eni

  # Undo the typha plan, with the backup it took
  kubectl -n kube-system get cm eni-config -o yaml > eni-config.yaml
  typharender plan --mode rollback --from typha --eni-config eni-config.yaml \
    --eni-config-backup eni-config.backup.yaml

  # Node count and version from kubectl, with Typha's metrics
  kubectl get nodes -o json > nodes.json
  kubectl version -o json > version.json
  typharender plan --mode typha --region cn-hangzhou --nodes-from nodes.json \
    --kube-version-from version.json --set metrics.enabled=true

  # The plan as JSON, for automation
  typharender plan --mode typha -f values.yaml -o json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return f.run(c, s)
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&f.mode, "mode", "", "the guide's approach: typha (deploy Typha, relay Felix through it) or disable-policy (turn NetworkPolicy off); or rollback, to undo one (with --from); required")
	fl.StringVar(&f.from, "from", "", "with --mode rollback: the mode of the plan to undo, typha or disable-policy")
	fl.StringVar(&f.backup, "eni-config-backup", "", "with --mode rollback: the eni-config backup the plan took (eni-config.backup.yaml), or - for stdin: the restore patch brings back its values")
	fl.BoolVar(&f.metrics, "metrics", false, "with --mode rollback --from typha: Typha serves metrics (rendered with metrics.enabled), so the check counts its connected Felix agents")
	fl.StringVar(&f.eniConfig, "eni-config", "", "the cluster's eni-config ConfigMap (kubectl -n kube-system get cm eni-config -o yaml), or - for stdin: makes the patch step exact")
	fl.StringVar(&f.daemonSet, "terway-daemonset", rollout.DefaultTerwayDaemonSet, "the Terway DaemonSet to restart: terway-eniip, terway-eni or terway")
	fl.StringVar(&f.manifest, "manifest", rollout.DefaultManifest, "the file the plan saves the Typha manifests in")
	f.timeout = rollout.DefaultRolloutTimeout
	fl.Var((*durationFlag)(&f.timeout), "timeout", "how long to wait for the Typha Deployment's rollout, such as 5m or 90s")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.BoolVar(&f.allowNoFelix, "allow-no-felix", false, "plan Typha even when --eni-config makes another engine than Felix enforce NetworkPolicy (Typha then serves no one)")
	f.failOn.register(c, "")
	_ = c.RegisterFlagCompletionFunc("mode", fixedCompletion(string(render.ModeTypha), string(render.ModeDisablePolicy), modeRollback))
	_ = c.RegisterFlagCompletionFunc("from", fixedCompletion(string(render.ModeTypha), string(render.ModeDisablePolicy)))
	_ = c.RegisterFlagCompletionFunc("terway-daemonset", fixedCompletion("terway-eniip", "terway-eni", "terway"))
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion("text", "json"))
	return c
}

func (f *planFlags) run(c *cobra.Command, s streams) error {
	if !c.Flags().Changed("mode") {
		return usageError(c, errors.New("--mode is required: want typha (deploy Typha, relay Felix through it) or disable-policy (turn NetworkPolicy off)"))
	}
	if f.output != "text" && f.output != "json" {
		return usageError(c, fmt.Errorf("-o %q: want text or json", f.output))
	}
	var err error
	if f.failOnSev, f.gate, err = f.failOn.severity(c); err != nil {
		return err
	}
	if f.mode == modeRollback {
		return f.runRollback(c, s)
	}
	for _, name := range []string{"from", "eni-config-backup", "metrics"} {
		if c.Flags().Changed(name) {
			return usageError(c, fmt.Errorf("--%s with --mode %s: it describes the plan a rollback undoes; use it with --mode rollback", name, f.mode))
		}
	}
	mode, err := render.ParseMode(f.mode)
	if err != nil {
		return usageError(c, fmt.Errorf("--mode: %w, or %q (undo one, with --from)", err, modeRollback))
	}
	in := &input{stdin: s.In, errOut: s.ErrOut}
	o := rollout.Options{Mode: mode, TerwayDaemonSet: f.daemonSet, Manifest: f.manifest, RolloutTimeout: f.timeout, AllowNoFelix: f.allowNoFelix}

	if mode == render.ModeTypha {
		for _, name := range f.files {
			if name == "-" {
				return usageError(c, errors.New("-f - with plan: the plan's render command reads the values again, so they must be in a file; save them and give its name"))
			}
		}
		v, err := f.values(c, in)
		if err != nil {
			return err
		}
		if _, err := v.Render(); err != nil {
			return explainValues(err)
		}
		o.Cluster = v.Options()
		o.RenderCommand = renderCommand(c, &f.valueFlags)
	} else {
		var given []string
		for _, name := range []string{"region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from"} {
			if c.Flags().Changed(name) {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 {
			return usageError(c, fmt.Errorf("%s with --mode disable-policy: disabling NetworkPolicy deploys nothing, so the cluster's values are not used; drop them", strings.Join(given, ", ")))
		}
	}
	if f.eniConfig != "" {
		data, err := in.read("--eni-config", f.eniConfig)
		if err != nil {
			return err
		}
		cm, err := readENIConfig("--eni-config "+displayName(f.eniConfig), data)
		if err != nil {
			return err
		}
		o.ENIConfig = cm
	}

	plan, err := rollout.Plan(o)
	if err != nil {
		return fmt.Errorf("invalid plan:\n  %s", indent(planError(err).Error()))
	}
	return f.write(s, plan, "Rollout plan", planData(plan))
}

// write prints the plan: warnings to stderr, the steps to stdout as text
// under the heading, or data as JSON.
func (f *planFlags) write(s streams, plan *rollout.Result, heading string, data planJSON) error {
	warnAll(s, plan.Findings)
	if f.gate && finding.Fails(plan.Findings, f.failOnSev) {
		return failure(fmt.Errorf("the plan has warnings or findings at or above %s (--fail-on %s): no plan printed", f.failOnSev, f.failOnSev))
	}
	if f.output == "json" {
		return writeData(s, "json", data)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s: %s\n", heading, plan.Summary)
	undo := false
	for i, step := range plan.Steps {
		if step.Undo && !undo {
			undo = true
			fmt.Fprintf(&b, "\n# Undo path: run these steps only after a gate says STOP, from the step it names to the end.\n")
		}
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, step.Title)
		for _, cmd := range step.Commands {
			// A gate's script spans lines: each stays indented, which bash
			// ignores, so the block pastes as it is.
			fmt.Fprintf(&b, "   %s\n", strings.ReplaceAll(cmd, "\n", "\n   "))
		}
		for _, n := range step.Notes {
			fmt.Fprintf(&b, "   # %s\n", n)
		}
	}
	_, err := s.Out.Write(b.Bytes())
	return writeErr(err)
}

// planError names the flags behind the rollout.Options fields.
func planError(err error) error {
	flags := map[string]string{
		"TerwayDaemonSet": "--terway-daemonset",
		"Manifest":        "--manifest",
		"RolloutTimeout":  "--timeout",
		"ENIConfig":       "--eni-config",
		"AllowNoFelix":    "--allow-no-felix",
		"Backup":          "--eni-config-backup",
		"From":            "--from",
		"Mode":            "--mode",
	}
	var out []string
	for _, e := range errs.Flatten(err) {
		var oe *render.OptionError
		if errors.As(e, &oe) {
			if flag, ok := flags[oe.Field]; ok {
				line := fmt.Sprintf("%s %s %s", flag, oe.ValueString(), oe.Reason)
				if errors.Is(oe, rollout.ErrNoFelix) {
					line += " (--allow-no-felix plans it anyway)"
				}
				out = append(out, line)
				continue
			}
			if key := values.KeyForField(oe.Field); key != oe.Field {
				// A field of the cluster's values, such as LogSeverity.
				out = append(out, fmt.Sprintf("%s %s %s", key, oe.ValueString(), oe.Reason))
				continue
			}
		}
		out = append(out, e.Error())
	}
	return errors.New(strings.Join(out, "\n"))
}

// renderCommand is the typharender render command line for the cluster
// flags and values given to c.
func renderCommand(c *cobra.Command, f *valueFlags) string {
	parts := []string{"typharender", "render"}
	add := func(flag, value string) { parts = append(parts, flag, rollout.ShellQuote(value)) }
	for _, name := range f.files {
		add("-f", name)
	}
	for _, set := range f.sets {
		add("--set", set)
	}
	if c.Flags().Changed("region") {
		add("--region", f.region)
	}
	// A count or version read from kubectl output is repeated as the
	// value it gave, so the command renders the same without the file.
	if c.Flags().Changed("nodes") || c.Flags().Changed("nodes-from") {
		add("--nodes", f.nodes)
	}
	if c.Flags().Changed("kube-version") || c.Flags().Changed("kube-version-from") {
		add("--kube-version", f.kubeVersion)
	}
	return strings.Join(parts, " ")
}

type stepData struct {
	Title    string    `json:"title"`
	Commands []string  `json:"commands"`
	Notes    []string  `json:"notes"`
	Target   string    `json:"target,omitempty"` // rollout.Target: cluster, local, cloud or registry
	Gate     *gateData `json:"gate,omitempty"`   // a gate step: how to judge its one command
	Undo     bool      `json:"undo,omitempty"`   // on the undo path: only after a gate's STOP
}

// gateData is a rollout.Gate as -o json prints it.
type gateData struct {
	Name           string `json:"name"`
	Pass           string `json:"pass"`     // the last stdout line starts with it (exit 0): go on
	Stop           string `json:"stop"`     // the last stdout line starts with it (exit 1): stop
	UndoFrom       int    `json:"undoFrom"` // the step the undo path starts at; 0: nothing to undo
	TimeoutSeconds int    `json:"timeoutSeconds"`
}

type planJSON struct {
	Mode     string        `json:"mode"`
	From     string        `json:"from,omitempty"` // --mode rollback: the mode undone
	Summary  string        `json:"summary"`
	Steps    []stepData    `json:"steps"`
	Warnings []string      `json:"warnings"`
	Findings []findingJSON `json:"findings"`
}

// findingJSON is a rule's finding about the plan's rendering, as -o json
// prints it.
type findingJSON struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// planData is p as -o json prints it: lists are [] when empty, never null.
func planData(p *rollout.Result) planJSON {
	out := planJSON{Mode: string(p.Mode), Summary: p.Summary, Warnings: []string{}, Findings: []findingJSON{}}
	for _, f := range p.Findings {
		if f.Rule == "" {
			out.Warnings = append(out.Warnings, f.Message)
		} else {
			out.Findings = append(out.Findings, findingJSON{Rule: f.Rule, Severity: f.Severity.String(), Message: f.Message})
		}
	}
	for _, s := range p.Steps {
		sd := stepData{Title: s.Title, Commands: append([]string{}, s.Commands...), Notes: append([]string{}, s.Notes...), Target: string(s.Target), Undo: s.Undo}
		if g := s.Gate; g != nil {
			sd.Gate = &gateData{Name: string(g.Name), Pass: rollout.GatePass, Stop: rollout.GateStop, UndoFrom: g.UndoFrom, TimeoutSeconds: int(g.Timeout / time.Second)}
		}
		out.Steps = append(out.Steps, sd)
	}
	return out
}

// durationFlag is a duration flag whose error says what is accepted.
type durationFlag time.Duration

func (d *durationFlag) String() string { return english.Duration(time.Duration(*d)) }
func (d *durationFlag) Type() string   { return "duration" }
func (d *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 5m, 90s or 1h30m")
	}
	*d = durationFlag(v)
	return nil
}
