// Command typharender renders, checks and explains the manifests that make
// NetworkPolicy scale in large Alibaba Cloud ACK clusters running Terway.
//
//	typharender render --region cn-hangzhou --nodes 1000 --kube-version v1.30.7-aliyun.1
//
// Run typharender --help for the commands. Each command turns its flags
// into one call of the library (render, values, fleet, gitops, lint,
// rollout, sizing) and prints what it returns; it does the I/O and the
// exit codes, nothing else.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/internal/buildinfo"
	"github.com/typharender/typharender/terway"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes: 0 success; 1 a difference found, or output not written; 2
// bad input or usage.
const exitOK, exitFail, exitUsage = 0, 1, 2

// streams are stdin, stdout (data) and stderr (warnings and errors).
type streams struct {
	In          io.Reader
	Out, ErrOut io.Writer
}

// run executes the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when args are nil
	}
	root := newRootCmd(streams{In: stdin, Out: stdout, ErrOut: stderr}, buildinfo.Version())
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

// newRootCmd returns the typharender command with every subcommand, one
// per file (x.go, help/x.txt; tests: runCases, testdata/<command>/).
func newRootCmd(s streams, version string) *cobra.Command {
	root := &cobra.Command{Use: "typharender", Short: "Render, check and explain Typha manifests for Terway NetworkPolicy on ACK", SilenceErrors: true, SilenceUsage: true}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(usageError)
	root.AddCommand(newRenderCmd(s), newENIConfigCmd(s), newSizeCmd(s), newPlanCmd(s), newLintCmd(s), newVersionCmd(s, version))
	setHelp(root, helpFacts())
	// Completion and help follow the same rules; an unknown shell is a usage error.
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(usageError)
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

// exitError carries an exit code, a hint printed after the error, or
// silence (lint --quiet failing on its findings).
type exitError struct {
	code   int
	err    error
	hint   string
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

// writeErr is an error writing the output: exit code 1.
func writeErr(err error) error {
	if err != nil {
		return failure(fmt.Errorf("writing output: %w", err))
	}
	return nil
}

// noArgs rejects positional arguments, naming them.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError(c, fmt.Errorf("%s takes no arguments, got %q", c.CommandPath(), args))
	}
	return nil
}

func newVersionCmd(s streams, version string) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the typharender version and the default Typha image", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(s.Out, "typharender %s\n", version)
			for _, line := range terway.DefaultTyphaLines() {
				fmt.Fprintf(s.Out, "default Typha image, %s\n", line)
			}
			return nil
		},
	}
}
