package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
)

// modeRollback is plan's --mode that undoes another plan.
const modeRollback = "rollback"

// runRollback prints the rollback of the plan --from names.
func (f *planFlags) runRollback(c *cobra.Command, s streams) error {
	if !c.Flags().Changed("from") {
		return usageError(c, errors.New("--mode rollback needs --from: the mode of the plan to undo, typha or disable-policy"))
	}
	from, err := render.ParseMode(f.from)
	if err != nil {
		return usageError(c, fmt.Errorf("--from: %w", err))
	}
	var given []string
	for _, name := range []string{"region", "nodes", "kube-version", "values", "set", "nodes-from", "kube-version-from", "manifest", "timeout"} {
		if c.Flags().Changed(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 0 {
		return usageError(c, fmt.Errorf("%s with --mode rollback: a rollback deploys nothing and waits for no Typha rollout, so they are not used; drop them", strings.Join(given, ", ")))
	}
	if f.metrics && from != render.ModeTypha {
		return usageError(c, errors.New("--metrics with --from disable-policy: only a rollback from typha checks Typha's metrics"))
	}
	o := rollout.RollbackOptions{From: from, TerwayDaemonSet: f.daemonSet, Metrics: f.metrics}
	in := &input{stdin: s.In, errOut: s.ErrOut}
	for _, x := range []struct{ flag, name string }{{"--eni-config", f.eniConfig}, {"--eni-config-backup", f.backup}} {
		if x.name == "" {
			continue
		}
		data, err := in.read(x.flag, x.name)
		if err != nil {
			return err
		}
		cm, err := readENIConfig(x.flag+" "+displayName(x.name), data)
		if err != nil {
			return err
		}
		if x.flag == "--eni-config" {
			o.ENIConfig = cm
		} else {
			o.Backup = cm
		}
	}
	plan, err := rollout.Rollback(o)
	if err != nil {
		return fmt.Errorf("invalid plan:\n  %s", indent(planError(err).Error()))
	}
	data := planData(plan)
	data.Mode, data.From = modeRollback, string(from)
	return f.write(s, plan, "Rollback plan", data)
}
