package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/render"
)

type eniConfigFlags struct {
	mode, output        string
	patch, allowNoFelix bool
}

func newENIConfigCmd(s streams) *cobra.Command {
	f := &eniConfigFlags{}
	c := &cobra.Command{Use: "eni-config --mode typha|disable-policy FILE|-", Short: "Edit Terway's eni-config ConfigMap for Typha, or to disable NetworkPolicy",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(c, fmt.Errorf("want one argument, the eni-config ConfigMap file or - for stdin; got %d", len(args)))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return f.run(c, s, args[0]) }}
	fl := c.Flags()
	fl.StringVar(&f.mode, "mode", "", "the guide's approach: typha (relay Felix through Typha) or disable-policy (turn NetworkPolicy off); required")
	fl.BoolVar(&f.patch, "patch", false, "write the JSON merge patch for kubectl patch --type merge instead of the ConfigMap")
	fl.StringVarP(&f.output, "output", "o", "yaml", "output format of the ConfigMap: yaml, or json (the ConfigMap itself, as kubectl get -o json prints it)")
	fl.BoolVar(&f.allowNoFelix, "allow-no-felix", false, "with --mode typha: edit even an eni-config under which another engine than Felix enforces NetworkPolicy (Typha then serves no one)")
	completions(c, map[string][]string{"mode": {string(render.ModeTypha), string(render.ModeDisablePolicy)}, "output": {"yaml", "json"}})
	return c
}

func (f *eniConfigFlags) run(c *cobra.Command, s streams, name string) error {
	if !c.Flags().Changed("mode") {
		return usageError(c, errors.New("--mode is required: want typha (relay Felix through Typha) or disable-policy (turn NetworkPolicy off)"))
	}
	mode, err := render.ParseMode(f.mode)
	switch {
	case err != nil:
		return usageError(c, fmt.Errorf("--mode: %w", err))
	case oneOf(c, "-o", f.output, "yaml", "json") != nil:
		return oneOf(c, "-o", f.output, "yaml", "json")
	case f.patch && c.Flags().Changed("output"):
		return usageError(c, errors.New("-o with --patch: the patch is always JSON, as kubectl patch --type merge -p takes it"))
	case f.allowNoFelix && mode != render.ModeTypha:
		return usageError(c, fmt.Errorf("--allow-no-felix with --mode %s: it allows a Typha edit; disabling NetworkPolicy needs no Felix", mode))
	}
	data, err := newInput(s).Read("", name)
	if err != nil {
		return err
	}
	cm, err := render.ReadENIConfig(displayName(name), data)
	if err != nil {
		return err
	}
	edit, err := render.EditENIConfig(cm, mode)
	if err != nil {
		return fmt.Errorf("%s: %w", displayName(name), err)
	} else if err := edit.CheckFelix(); err != nil && !f.allowNoFelix {
		return usageError(c, fmt.Errorf("%s: %w (--allow-no-felix edits it anyway)", displayName(name), err))
	}
	// What changes, and why to care, to stderr; the result to stdout.
	fmt.Fprintln(s.ErrOut, strings.Join(edit.Notes(), "\n"))
	warnAll(s, edit.Findings)
	var out bytes.Buffer
	switch {
	case f.patch:
		_, err = fmt.Fprintf(&out, "%s\n", edit.MergePatch())
	case f.output == "json":
		err = render.EncodeJSONObject(&out, edit.ConfigMap)
	default:
		err = render.EncodeYAML(&out, edit.ConfigMap)
	}
	if err != nil {
		return failure(err)
	}
	_, err = io.Copy(s.Out, &out)
	return writeErr(err)
}
