package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/internal/buildinfo"
)

// Exit codes.
const (
	exitOK    = 0 // success
	exitFail  = 1 // a check or diff found a difference, or output could not be written
	exitUsage = 2 // bad input or usage: a flag, value, file or argument
)

// streams are the command's standard input, output and error.
type streams struct {
	In     io.Reader
	Out    io.Writer // data
	ErrOut io.Writer // warnings and errors
}

// run executes the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when args are nil
	}
	s := streams{In: stdin, Out: stdout, ErrOut: stderr}
	root := newRootCmd(s, buildVersion())
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.silent {
		return ee.code // the command said all there is to say
	}
	fmt.Fprintln(stderr, "Error:", err)
	if errors.As(err, &ee) {
		if ee.hint != "" {
			fmt.Fprintln(stderr, ee.hint)
		}
		return ee.code
	}
	return exitUsage
}

// newRootCmd returns the typharender command with every subcommand.
func newRootCmd(s streams, version string) *cobra.Command {
	root := &cobra.Command{
		Use:           "typharender",
		Short:         "Render, check and explain Typha manifests for Terway NetworkPolicy on ACK",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(c, err)
	})

	// Subcommands, one per file. To add one, write newXCmd(s streams) in
	// x.go and list it here (alphabetical order is not needed: cobra sorts
	// the help). Helpers: noArgs, usageError (exit 2), failure (exit 1),
	// warn, input.read (files and - for stdin); tests: runCases in
	// main_test.go, goldens under testdata/<command>/.
	root.AddCommand(
		newRenderCmd(s),
		newENIConfigCmd(s),
		newSizeCmd(s),
		newPlanCmd(s),
		newLintCmd(s),
		newVersionCmd(s, version),
	)

	setHelp(root, helpFacts())

	// Cobra adds completion and help on Execute; add them now so that
	// they follow the same rules. An unknown shell is a usage error.
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(root.FlagErrorFunc())
		if c.Name() == "completion" {
			c.Example = "  source <(typharender completion bash)\n  typharender completion zsh > \"${fpath[1]}/_typharender\""
			c.Args = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageError(c, fmt.Errorf("unknown shell %q: want bash, zsh, fish or powershell", args[0]))
				}
				return nil
			}
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	return root
}

// exitError carries an exit code other than exitUsage, or a hint.
type exitError struct {
	code int
	err  error
	hint string // printed after the error, such as where to find help
	// silent: exit with code and print nothing, as lint --quiet does
	// when findings fail the run.
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a usage error of c, with a pointer to its help.
func usageError(c *cobra.Command, err error) error {
	return &exitError{code: exitUsage, err: err, hint: fmt.Sprintf("See '%s --help' for usage and examples.", c.CommandPath())}
}

// failure marks err as exit code 1: a difference found, or output not written.
func failure(err error) error { return &exitError{code: exitFail, err: err} }

// buildVersion returns typharender's version as the build recorded it,
// or "(devel)" when there is none.
func buildVersion() string { return buildinfo.Version() }
