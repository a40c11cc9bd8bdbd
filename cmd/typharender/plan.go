package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/errs"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/values"
)

type planFlags struct {
	valueFlags
	mode, from   string // --from: with --mode rollback, the mode of the plan to undo
	backup       string // --mode rollback: the eni-config backup the plan took
	metrics      bool   // --mode rollback: Typha serves metrics
	eniConfig    string
	daemonSet    string
	manifest     string
	timeout      time.Duration
	output       string
	allowNoFelix bool
	failOn       failOnFlag
}

// modeRollback is plan's --mode that undoes another plan.
const modeRollback = "rollback"

func newPlanCmd(s streams) *cobra.Command {
	f := &planFlags{}
	c := &cobra.Command{
		Use:   "plan --mode typha|disable-policy|rollback [--region R --nodes N --kube-version V] [--eni-config FILE]",
		Short: "Print the rollout as numbered steps with exact kubectl commands",
		Args:  noArgs,
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
	failOn, gate, err := f.failOn.severity(c)
	if err != nil {
		return err
	}
	in := newInput(s)
	var plan *rollout.Result
	if f.mode == modeRollback {
		plan, err = f.rollback(c, in)
	} else {
		plan, err = f.plan(c, in)
	}
	if err != nil {
		return err
	}
	warnAll(s, plan.Findings)
	if gate && finding.Fails(plan.Findings, failOn) {
		return failure(fmt.Errorf("the plan has warnings or findings at or above %s (--fail-on %s): no plan printed", failOn, failOn))
	}
	if f.output == "json" {
		return writeData(s, "json", plan)
	}
	return writeErr(plan.WriteText(s.Out))
}

// plan is the typha or disable-policy plan.
func (f *planFlags) plan(c *cobra.Command, in *input) (*rollout.Result, error) {
	if set := given(c, "from", "eni-config-backup", "metrics"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode %s: it describes the plan a rollback undoes; use it with --mode rollback", set[0], f.mode))
	}
	mode, err := render.ParseMode(f.mode)
	if err != nil {
		return nil, usageError(c, fmt.Errorf("--mode: %w, or %q (undo one, with --from)", err, modeRollback))
	}
	o := rollout.Options{Mode: mode, TerwayDaemonSet: f.daemonSet, Manifest: f.manifest, RolloutTimeout: f.timeout, AllowNoFelix: f.allowNoFelix}
	var v *values.Values
	if mode == render.ModeTypha {
		for _, name := range f.files {
			if name == "-" {
				return nil, usageError(c, errors.New("-f - with plan: the plan's render command reads the values again, so they must be in a file; save them and give its name"))
			}
		}
		if v, err = f.values(c, in); err != nil {
			return nil, err
		}
		o.Cluster, o.RenderCommand = v.Options(), renderCommand(c, &f.valueFlags)
	} else if set := given(c, "region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode disable-policy: disabling NetworkPolicy deploys nothing, so the cluster's values are not used; drop them", strings.Join(set, ", ")))
	}
	if o.ENIConfig, err = f.readENIConfig(in, "--eni-config", f.eniConfig); err != nil {
		return nil, err
	}
	plan, err := rollout.Plan(o)
	var ce *rollout.ClusterError
	if errors.As(err, &ce) {
		return nil, explainValues(v.Explain(errors.Join(ce.Errs...)))
	}
	return plan, planError(err)
}

// rollback is the rollback of the plan --from names.
func (f *planFlags) rollback(c *cobra.Command, in *input) (*rollout.Result, error) {
	if !c.Flags().Changed("from") {
		return nil, usageError(c, errors.New("--mode rollback needs --from: the mode of the plan to undo, typha or disable-policy"))
	}
	from, err := render.ParseMode(f.from)
	if err != nil {
		return nil, usageError(c, fmt.Errorf("--from: %w", err))
	}
	if set := given(c, "region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from", "manifest", "timeout"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode rollback: a rollback deploys nothing and waits for no Typha rollout, so they are not used; drop them", strings.Join(set, ", ")))
	}
	if f.metrics && from != render.ModeTypha {
		return nil, usageError(c, errors.New("--metrics with --from disable-policy: only a rollback from typha checks Typha's metrics"))
	}
	o := rollout.RollbackOptions{From: from, TerwayDaemonSet: f.daemonSet, Metrics: f.metrics}
	if o.ENIConfig, err = f.readENIConfig(in, "--eni-config", f.eniConfig); err != nil {
		return nil, err
	}
	if o.Backup, err = f.readENIConfig(in, "--eni-config-backup", f.backup); err != nil {
		return nil, err
	}
	plan, err := rollout.Rollback(o)
	return plan, planError(err)
}

// readENIConfig reads the eni-config file flag names, if given.
func (f *planFlags) readENIConfig(in *input, flag, name string) (*corev1.ConfigMap, error) {
	if name == "" {
		return nil, nil
	}
	data, err := in.read(flag, name)
	if err != nil {
		return nil, err
	}
	return render.ReadENIConfig(flag+" "+displayName(name), data)
}

// planError names the flags behind the rollout.Options fields, under
// "invalid plan:".
func planError(err error) error {
	if err == nil {
		return nil
	}
	flags := map[string]string{
		"TerwayDaemonSet": "--terway-daemonset", "Manifest": "--manifest", "RolloutTimeout": "--timeout", "ENIConfig": "--eni-config",
		"AllowNoFelix": "--allow-no-felix", "Backup": "--eni-config-backup", "From": "--from", "Mode": "--mode",
	}
	var out []string
	for _, e := range errs.Flatten(err) {
		var oe *render.OptionError
		switch {
		case !errors.As(e, &oe):
			out = append(out, e.Error())
		case flags[oe.Field] != "":
			line := fmt.Sprintf("%s %s %s", flags[oe.Field], oe.ValueString(), oe.Reason)
			if errors.Is(oe, rollout.ErrNoFelix) {
				line += " (--allow-no-felix plans it anyway)"
			}
			out = append(out, line)
		case values.KeyForField(oe.Field) != oe.Field: // a field of the cluster's values, such as LogSeverity
			out = append(out, fmt.Sprintf("%s %s %s", values.KeyForField(oe.Field), oe.ValueString(), oe.Reason))
		default:
			out = append(out, e.Error())
		}
	}
	return fmt.Errorf("invalid plan:\n  %s", indent(strings.Join(out, "\n")))
}

// renderCommand is the typharender render command line for the cluster
// flags and values given to c, then extra.
func renderCommand(c *cobra.Command, f *valueFlags, extra ...string) string {
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
	for _, e := range extra {
		parts = append(parts, rollout.ShellQuote(e))
	}
	return strings.Join(parts, " ")
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
