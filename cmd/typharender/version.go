package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/terway"
)

func newVersionCmd(s streams, version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the typharender version and the default Typha image",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(s.Out, "typharender %s\n", version)
			rows := terway.DefaultTyphas()
			for i, row := range rows {
				span := row.Since.String() + " and later"
				if i+1 < len(rows) {
					next := rows[i+1].Since
					span = fmt.Sprintf("%s to %d.%d", row.Since, next.Major(), next.Minor()-1)
				}
				fmt.Fprintf(s.Out, "default Typha image, Kubernetes %s: %s\n", span, row.Image.Ref(terway.DefaultRegistry(terway.RegionPlaceholder)))
			}
			return nil
		},
	}
}

// noArgs rejects positional arguments, naming them.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError(c, fmt.Errorf("%s takes no arguments, got %q", c.CommandPath(), args))
	}
	return nil
}

// knownRegions lists the region IDs for shell completion.
func knownRegions() []string { return terway.KnownRegions() }
