package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/internal/values"
)

// valueFlags are the flags that describe one cluster: the required three
// and Helm's -f and --set.
type valueFlags struct {
	region, nodes, kubeVersion string
	files                      []string
	sets                       []string
}

func (f *valueFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.region, "region", "", "Alibaba Cloud region ID, such as cn-hangzhou (values key: region)")
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000 (values key: nodes)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version as the cluster reports it, such as v1.30.7-aliyun.1 (values key: kubeVersion)")
	fl.StringArrayVarP(&f.files, "values", "f", nil, "a YAML values file, or - for stdin (repeatable; later files win)")
	fl.StringArrayVar(&f.sets, "set", nil, "set values on the command line: key=value[,key=value] with dotted keys, such as image.tag=v3.20.2 (repeatable; wins over -f)")
	_ = c.RegisterFlagCompletionFunc("region", func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, r := range knownRegions() {
			if strings.HasPrefix(r, prefix) {
				out = append(out, r)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// clusterFlagsSet reports which of --region, --nodes and --kube-version
// were given.
func (f *valueFlags) clusterFlagsSet(c *cobra.Command) []string {
	var set []string
	for _, name := range []string{"region", "nodes", "kube-version"} {
		if c.Flags().Changed(name) {
			set = append(set, "--"+name)
		}
	}
	return set
}

// base returns the values from -f and --set, in that order.
func (f *valueFlags) base(in *input) (*values.Values, error) {
	v := &values.Values{}
	for _, name := range f.files {
		data, err := in.read("-f", name)
		if err != nil {
			return nil, err
		}
		if err := v.ApplyFile(displayName(name), data); err != nil {
			return nil, invalidValues(err)
		}
	}
	for _, s := range f.sets {
		if err := v.ApplySet(s); err != nil {
			return nil, invalidValues(err)
		}
	}
	return v, nil
}

// values returns the values from -f, --set and then the cluster flags.
func (f *valueFlags) values(c *cobra.Command, in *input) (*values.Values, error) {
	v, err := f.base(in)
	if err != nil {
		return nil, err
	}
	for _, x := range []struct{ flag, key, value string }{
		{"region", "region", f.region},
		{"nodes", "nodes", f.nodes},
		{"kube-version", "kubeVersion", f.kubeVersion},
	} {
		if c.Flags().Changed(x.flag) {
			if err := v.SetFlag(x.key, "--"+x.flag, x.value); err != nil {
				return nil, invalidValues(err)
			}
		}
	}
	return v, nil
}

// intString is an int flag kept as text, so that a bad value is reported
// with the values key's explanation.
type intString struct{ p *string }

func (v *intString) String() string     { return *v.p }
func (v *intString) Set(s string) error { *v.p = s; return nil }
func (v *intString) Type() string       { return "int" }

// input reads the files named on the command line; "-" is stdin, which can
// be read once. flag names the flag that gave the file, "" for an argument.
type input struct {
	stdin     io.Reader
	stdinUsed string // the flag that read stdin
}

func (in *input) read(flag, name string) ([]byte, error) {
	if name == "-" {
		if in.stdinUsed != "" {
			return nil, fmt.Errorf("%s: stdin is already read by %s: want - at most once", strings.TrimSpace(flag+" -"), in.stdinUsed)
		}
		in.stdinUsed = strings.TrimSpace(flag + " -")
		data, err := io.ReadAll(in.stdin)
		if err != nil {
			return nil, fmt.Errorf("%s: reading stdin: %w", in.stdinUsed, err)
		}
		return data, nil
	}
	label := strings.TrimSpace(flag + " " + name)
	if name == "" {
		return nil, fmt.Errorf("%s \"\": want a file name, or - for stdin", flag)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, unwrapPathError(err))
	}
	return data, nil
}

// unwrapPathError drops the operation and path os errors repeat.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// indent indents every line of s after the first by two spaces.
func indent(s string) string {
	return strings.ReplaceAll(s, "\n", "\n  ")
}
