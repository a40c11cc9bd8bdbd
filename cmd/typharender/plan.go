package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"slices"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/values"
)

type planFlags struct {
	valueFlags
	mode, from, backup, eniConfig string // from and backup: the plan --mode rollback undoes, and the backup it took
	daemonSet, manifest, output   string
	metrics, allowNoFelix         bool // metrics: --mode rollback from a Typha that serves metrics
	timeout                       time.Duration
	failOn                        failOnFlag
}

func newPlanCmd(s streams) *cobra.Command {
	f := &planFlags{timeout: rollout.DefaultRolloutTimeout}
	c := &cobra.Command{Use: "plan --mode typha|disable-policy|rollback [--region R --nodes N --kube-version V] [--eni-config FILE]",
		Short: "Print the rollout as numbered steps with exact kubectl commands", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return f.run(c, s) }}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&f.mode, "mode", "", "the guide's approach: typha (deploy Typha, relay Felix through it) or disable-policy (turn NetworkPolicy off); or rollback, to undo one (with --from); required")
	fl.StringVar(&f.from, "from", "", "with --mode rollback: the mode of the plan to undo, typha or disable-policy")
	fl.StringVar(&f.backup, "eni-config-backup", "", "with --mode rollback: the eni-config backup the plan took (eni-config.backup.yaml), or - for stdin: the restore patch brings back its values")
	fl.BoolVar(&f.metrics, "metrics", false, "with --mode rollback --from typha: Typha serves metrics (rendered with metrics.enabled), so the check counts its connected Felix agents")
	fl.StringVar(&f.eniConfig, "eni-config", "", "the cluster's eni-config ConfigMap (kubectl -n kube-system get cm eni-config -o yaml), or - for stdin: makes the patch step exact")
	fl.StringVar(&f.daemonSet, "terway-daemonset", rollout.DefaultTerwayDaemonSet, "the Terway DaemonSet to restart: terway-eniip, terway-eni or terway")
	fl.StringVar(&f.manifest, "manifest", rollout.DefaultManifest, "the file the plan saves the Typha manifests in")
	fl.Var((*durationFlag)(&f.timeout), "timeout", "how long to wait for the Typha Deployment's rollout, such as 5m or 90s")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.BoolVar(&f.allowNoFelix, "allow-no-felix", false, "plan Typha even when --eni-config makes another engine than Felix enforce NetworkPolicy (Typha then serves no one)")
	f.failOn.register(c, "")
	modes := []string{string(render.ModeTypha), string(render.ModeDisablePolicy)}
	completions(c, map[string][]string{"mode": append(modes, "rollback"), "from": modes, "terway-daemonset": {"terway-eniip", "terway-eni", "terway"}, "output": {"text", "json"}})
	return c
}

func (f *planFlags) run(c *cobra.Command, s streams) error {
	if !c.Flags().Changed("mode") {
		return usageError(c, errors.New("--mode is required: want typha (deploy Typha, relay Felix through it) or disable-policy (turn NetworkPolicy off)"))
	} else if err := oneOf(c, "-o", f.output, "text", "json"); err != nil {
		return err
	}
	failOn, gate, err := f.failOn.severity(c)
	if err != nil {
		return err
	}
	plan, err := f.plan(c, newInput(s))
	if err != nil {
		return err
	}
	warnAll(s, plan.Findings)
	if gate && finding.Fails(plan.Findings, failOn) {
		return failure(fmt.Errorf("the plan has warnings or findings at or above %s (--fail-on %s): no plan printed", failOn, failOn))
	} else if f.output == "json" {
		return writeData(s, "json", plan)
	}
	return writeErr(plan.WriteText(s.Out))
}

// plan is the typha or disable-policy plan, or the rollback of one.
func (f *planFlags) plan(c *cobra.Command, in *input) (*rollout.Result, error) {
	if f.mode == "rollback" {
		return f.rollback(c, in)
	} else if set := given(c, "from", "eni-config-backup", "metrics"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode %s: it describes the plan a rollback undoes; use it with --mode rollback", set[0], f.mode))
	}
	mode, err := render.ParseMode(f.mode)
	if err != nil {
		return nil, usageError(c, fmt.Errorf("--mode: %w, or %q (undo one, with --from)", err, "rollback"))
	}
	o := rollout.Options{Mode: mode, TerwayDaemonSet: f.daemonSet, Manifest: f.manifest, RolloutTimeout: f.timeout, AllowNoFelix: f.allowNoFelix}
	var v *values.Values
	if mode == render.ModeTypha {
		if slices.Contains(f.files, "-") {
			return nil, usageError(c, errors.New("-f - with plan: the plan's render command reads the values again, so they must be in a file; save them and give its name"))
		} else if v, err = f.values(c, in); err != nil {
			return nil, err
		}
		o.Cluster, o.RenderCommand = v.Options(), renderCommand(c, &f.valueFlags)
	} else if set := given(c, "region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode disable-policy: disabling NetworkPolicy deploys nothing, so the cluster's values are not used; drop them", strings.Join(set, ", ")))
	}
	if o.ENIConfig, err = readENIConfig(in, "--eni-config", f.eniConfig); err != nil {
		return nil, err
	}
	plan, err := rollout.Plan(o)
	if ce := (*rollout.ClusterError)(nil); errors.As(err, &ce) {
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
	} else if set := given(c, "region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from", "manifest", "timeout"); len(set) > 0 {
		return nil, usageError(c, fmt.Errorf("%s with --mode rollback: a rollback deploys nothing and waits for no Typha rollout, so they are not used; drop them", strings.Join(set, ", ")))
	} else if f.metrics && from != render.ModeTypha {
		return nil, usageError(c, errors.New("--metrics with --from disable-policy: only a rollback from typha checks Typha's metrics"))
	}
	o := rollout.RollbackOptions{From: from, TerwayDaemonSet: f.daemonSet, Metrics: f.metrics}
	if o.ENIConfig, err = readENIConfig(in, "--eni-config", f.eniConfig); err != nil {
		return nil, err
	} else if o.Backup, err = readENIConfig(in, "--eni-config-backup", f.backup); err != nil {
		return nil, err
	}
	plan, err := rollout.Rollback(o)
	return plan, planError(err)
}

// readENIConfig reads the eni-config file flag names, if given.
func readENIConfig(in *input, flag, name string) (*corev1.ConfigMap, error) {
	if name == "" {
		return nil, nil
	}
	data, err := in.Read(flag, name)
	if err != nil {
		return nil, err
	}
	return render.ReadENIConfig(flag+" "+displayName(name), data)
}

// planFlag names the flag behind each rollout.Options field.
var planFlag = map[string]string{"TerwayDaemonSet": "--terway-daemonset", "Manifest": "--manifest", "RolloutTimeout": "--timeout",
	"ENIConfig": "--eni-config", "AllowNoFelix": "--allow-no-felix", "Backup": "--eni-config-backup", "From": "--from", "Mode": "--mode"}

// planError words the plan's errors, each field by its flag or values key.
func planError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("invalid plan:\n  %s", indent(strings.Join(rollout.Explain(err, func(field string) string {
		if key := values.KeyForField(field); planFlag[field] == "" && key != field {
			return key // a field of the cluster's values, such as LogSeverity
		}
		return planFlag[field]
	}), "\n")))
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
