package main

import (
	"embed"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/values"
)

// help holds each command's help/NAME.txt: the long help, a line
// "-- example --", the examples; helpFacts fills in the facts.
//
//go:embed help/*.txt
var help embed.FS

// helpFacts are the facts the help names, from the library.
func helpFacts() map[string]any {
	cutoff := terway.KubeWithoutEndpointSliceV1beta1()
	return map[string]any{
		"ValuesHelp":  values.Help(),
		"Cutoff":      cutoff.String(),
		"NewImage":    terway.DefaultTyphaFor(cutoff).Image.Ref(""),
		"GuideTag":    terway.DefaultTyphas()[0].Image.Tag,
		"MaxInputMiB": lint.MaxInputBytes >> 20, "MaxDocumentMiB": lint.MaxDocumentBytes >> 20, "MaxDocuments": lint.MaxDocuments,
		"MaxDepth": lint.MaxDepth, "MaxNodes": lint.MaxNodes, "MaxInputNodes": lint.MaxInputNodes, "MaxFiles": lint.MaxFiles,
	}
}

// setHelp sets c's and its subcommands' help from help/NAME.txt.
func setHelp(c *cobra.Command, facts map[string]any) {
	if data, err := help.ReadFile("help/" + c.Name() + ".txt"); err == nil {
		// The texts are part of the binary and tested: an error is a bug.
		var b strings.Builder
		if err := template.Must(template.New(c.Name()).Option("missingkey=error").Parse(string(data))).Execute(&b, facts); err != nil {
			panic(err)
		}
		c.Long, c.Example, _ = strings.Cut(strings.TrimSuffix(b.String(), "\n"), "\n-- example --\n")
	}
	for _, sub := range c.Commands() {
		setHelp(sub, facts)
	}
}
