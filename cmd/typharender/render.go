package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/fleet"
	"github.com/typharender/typharender/gitops"
	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rollout"
	"github.com/typharender/typharender/values"
)

type renderFlags struct {
	valueFlags
	output, outputDir, check, fleet, eniConfig string
	failOn                                     failOnFlag
	quiet, checkDir                            bool // checkDir: --check names a directory
}

func newRenderCmd(s streams) *cobra.Command {
	f := &renderFlags{}
	c := &cobra.Command{Use: "render", Short: "Render the Typha manifests for one cluster, or a fleet", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return f.run(c, s) }}
	f.register(c)
	fl := c.Flags()
	fl.StringVarP(&f.output, "output", "o", "yaml", "output format: yaml (multi-document) or json (a v1 List)")
	fl.StringVar(&f.outputDir, "output-dir", "", "write one YAML file per object and a kustomization.yaml into this directory")
	fl.StringVar(&f.check, "check", "", "compare the rendering with this file (- for stdin), or with this directory as --output-dir writes it; exit 1 with a unified diff when they differ")
	fl.StringVar(&f.fleet, "fleet", "", "render every cluster in this fleet file into --output-dir/<name>/")
	fl.StringVar(&f.eniConfig, "eni-config", "", "the cluster's eni-config ConfigMap (kubectl -n kube-system get cm eni-config -o yaml), or - for stdin: check the rendering against it (is Felix the policy engine? does felix_relay_service name this Service?)")
	f.failOn.register(c, "")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "with --output-dir, print one summary line instead of a line per file written or removed")
	completions(c, map[string][]string{"output": {"yaml", "json"}})
	_ = c.MarkFlagDirname("output-dir")
	return c
}

func (f *renderFlags) run(c *cobra.Command, s streams) error {
	if err := oneOf(c, "-o", f.output, "yaml", "json"); err != nil {
		return err
	}
	if f.check != "" && f.check != "-" { // --check DIR compares a directory as --output-dir DIR would write it
		st, err := os.Stat(f.check)
		f.checkDir = err == nil && st.IsDir()
	}
	switch {
	case f.check != "" && f.outputDir != "":
		return usageError(c, errors.New("--check and --output-dir: --check compares the rendering with a file, or with a directory --output-dir wrote; give one of them"))
	case f.check != "" && f.fleet != "" && !f.checkDir:
		return usageError(c, fmt.Errorf("--check %s with --fleet: want the directory the fleet was written to with --output-dir", f.check))
	case f.fleet != "" && f.outputDir == "" && !f.checkDir:
		return usageError(c, fmt.Errorf("--fleet %s needs --output-dir DIR: each cluster is written to DIR/<name>/ (or --check DIR to compare with it)", f.fleet))
	case (f.outputDir != "" || f.checkDir) && f.output != "yaml":
		return usageError(c, fmt.Errorf("-o %s with a directory: --output-dir writes YAML files; -o json writes a List to stdout", f.output))
	}
	failOn, gate, err := f.failOn.severity(c)
	if err != nil {
		return err
	}
	in := newInput(s)
	if f.fleet != "" {
		if f.eniConfig != "" {
			return usageError(c, errors.New("--eni-config with --fleet: it is one cluster's ConfigMap; lint each cluster's eni-config with its rendering instead (typharender lint --fleet)"))
		} else if set := given(c, clusterFlags...); len(set) > 0 {
			return usageError(c, fmt.Errorf("%s with --fleet: each fleet entry gives its own region, nodes and kubeVersion; use -f or --set for values common to every entry", strings.Join(set, ", ")))
		}
		return f.runFleet(c, s, in, failOn, gate)
	}
	v, err := f.values(c, in)
	if err != nil {
		return err
	}
	o := v.Options()
	if o.ENIConfig, err = readENIConfig(in, "--eni-config", f.eniConfig); err != nil {
		return err
	}
	res, err := render.Render(o)
	if err != nil {
		return explainValues(v.Explain(err))
	}
	warnAll(s, res.Findings)
	if gate && finding.Fails(res.Findings, failOn) {
		return failure(fmt.Errorf("the rendering has warnings or findings at or above %s (--fail-on %s): nothing written", failOn, failOn))
	}
	if f.outputDir != "" || f.checkDir {
		var layout render.Layout
		files, err := layout.Files(res.Objects()...)
		if err != nil {
			return failure(err)
		}
		return f.writeDir(c, s, files, false)
	}
	var out bytes.Buffer
	encode := map[string]func(io.Writer, ...render.Object) error{"yaml": render.EncodeYAML, "json": render.EncodeJSON}[f.output]
	if err := encode(&out, res.Objects()...); err != nil {
		return failure(err)
	}
	if f.check != "" {
		return f.checkFile(c, s, in, out.Bytes())
	}
	_, err = s.Out.Write(out.Bytes())
	return writeErr(err)
}

func (f *renderFlags) runFleet(c *cobra.Command, s streams, in *input, failOn finding.Severity, gate bool) error {
	src, err := f.sources(c, in, false)
	if err != nil {
		return err
	}
	base, err := src.Apply()
	if err != nil {
		return invalidValues(err)
	}
	data, err := in.ReadAtMost("--fleet", f.fleet, values.MaxFleetBytes, fleetTooLarge)
	if err != nil {
		return err
	}
	r, err := fleet.Render(displayName(f.fleet), data, base)
	if err != nil {
		return fmt.Errorf("--fleet %w", err)
	}
	warnAll(s, r.Findings())
	if failed := r.Failing(failOn); gate && failed > 0 {
		return failure(fmt.Errorf("%d of %s have warnings or findings at or above %s (--fail-on %s): nothing written", failed, english.Count(len(r.Clusters), "cluster"), failOn, failOn))
	}
	return f.writeDir(c, s, r.Files(), true)
}

// writeDir writes files to --output-dir, or compares them with --check DIR.
func (f *renderFlags) writeDir(c *cobra.Command, s streams, files []render.File, fleet bool) error {
	if f.checkDir {
		cmp, err := gitops.Compare(f.check, files, fleet)
		if err != nil || cmp.Differ == 0 {
			return wrap("--check ", err)
		}
		if _, err := io.WriteString(s.Out, cmp.Report); err != nil {
			return writeErr(err)
		}
		return failure(fmt.Errorf("--check %s: %s from the rendering (diff on stdout); to accept, run: %s", filepath.Clean(f.check), cmp.Differs(), f.command(c, "--output-dir", f.check)))
	}
	res, err := gitops.Write(f.outputDir, files, fleet)
	if errors.Is(err, gitops.ErrWrite) {
		err = failure(err)
	}
	err = wrap("--output-dir ", err)
	switch {
	case res == nil:
		return err
	case f.quiet && err == nil:
		fmt.Fprintln(s.Out, res.Summary(f.outputDir, files, fleet))
	case !f.quiet:
		lines := res.Lines(files)
		if err != nil { // written, but leftovers: say what was removed
			lines = lines[:len(res.Removed)]
		}
		for _, l := range lines {
			fmt.Fprintln(s.Out, l)
		}
	}
	return err
}

// wrap puts prefix before err's message; nil stays nil.
func wrap(prefix string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// checkFile compares rendered with the file --check names.
func (f *renderFlags) checkFile(c *cobra.Command, s streams, in *input, rendered []byte) error {
	want, err := in.Read("--check", f.check)
	if err != nil {
		return err
	}
	name := displayName(f.check)
	cmp := gitops.CompareFile(name, want, rendered)
	accept := "run: " + f.command(c) + " > " + rollout.ShellQuote(f.check)
	if f.check == "-" {
		accept = "replace what you gave on stdin with the output of: " + f.command(c)
	}
	switch {
	case cmp.Same:
		return nil
	case cmp.CRLFOnly:
		return failure(fmt.Errorf("--check %s: only the line endings differ: the file has CRLF (\\r\\n), the rendering LF (\\n); convert the file to LF (dos2unix; in git, mark it -text in .gitattributes), or to accept, %s", name, accept))
	}
	fmt.Fprint(s.Out, cmp.Diff)
	return failure(fmt.Errorf("--check %s: the file differs from the rendering (diff on stdout%s); to accept, %s", name, cmp.CRLF, accept))
}

// command is the render command line that writes this rendering, then extra.
func (f *renderFlags) command(c *cobra.Command, extra ...string) string {
	if f.output != "yaml" {
		extra = append([]string{"-o", f.output}, extra...)
	}
	if f.fleet != "" {
		extra = append([]string{"--fleet", f.fleet}, extra...)
	}
	return renderCommand(c, &f.valueFlags, extra...)
}
