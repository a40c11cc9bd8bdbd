// Command typharender-krm is typharender as a KRM function for kustomize
// and kpt: with a functionConfig of kind TyphaRender it generates the
// objects `typharender render` writes for the values in its spec; with
// kind TyphaLint it lints the resources it is given. See package krm and
// docs/kustomize.md.
//
//	kustomize build --enable-alpha-plugins --enable-exec examples/kustomize
//	typharender-krm typha.yaml                # standalone: render, YAML on stdout
//	typharender-krm lint.yaml deploy/*.yaml   # standalone: lint these files
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"

	"github.com/typharender/typharender/krm"
)

func main() {
	cmd := command.Build(krm.Function{Log: os.Stderr}, command.StandaloneEnabled, true)
	cmd.Use = "typharender-krm [FUNCTION_CONFIG [RESOURCE_FILE... | -]]"
	cmd.Short = "typharender as a KRM function: render (kind TyphaRender) or lint (kind TyphaLint)"
	cmd.Long = `typharender-krm is typharender as a KRM function (kustomize, kpt).

With no arguments it reads a ResourceList on stdin and writes it to stdout,
as kustomize and kpt run it. With arguments it runs standalone: the first
names the functionConfig file, the rest resource files (- for stdin), and
the resources are written to stdout as YAML.

The functionConfig (apiVersion ` + krm.APIVersion + `) chooses the mode:
  kind ` + krm.KindRender + `: spec holds the values of typharender render -f
    (region, nodes, kubeVersion and every values key); the objects render
    writes are added.
  kind ` + krm.KindLint + `: spec holds the facts of typharender lint (nodes,
    kubeVersion, region, terway) and failOn (error or warning, default
    error); the resources are linted and left unchanged.

Findings go to the ResourceList's results with their severity, and to
stderr. Invalid values, or a finding at or above the severity that fails,
make the function exit 1, which stops kustomize build.`
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
