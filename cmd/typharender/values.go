package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/typharender/typharender/values"
)

// valueFlags are the flags that describe one cluster: the required three
// and Helm's -f and --set.
type valueFlags struct {
	region, nodes, kubeVersion string
	files                      []string
	sets                       []string
	nodesFrom                  string // --nodes-from: kubectl get nodes -o json, counted
	kubeVersionFrom            string // --kube-version-from: kubectl version -o json
}

func (f *valueFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.region, "region", "", "Alibaba Cloud region ID, such as cn-hangzhou (values key: region)")
	fl.Var(&intString{&f.nodes}, "nodes", "the cluster's node count, 1 to 100000 (values key: nodes)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version as the cluster reports it, such as v1.30.7-aliyun.1 (values key: kubeVersion)")
	fl.StringVar(&f.nodesFrom, "nodes-from", "", "count the nodes that run Felix in this file, or - for stdin: the output of kubectl get nodes -o json (or -o yaml); instead of --nodes")
	fl.StringVar(&f.kubeVersionFrom, "kube-version-from", "", "read the Kubernetes version from this file, or - for stdin: the output of kubectl version -o json; instead of --kube-version")
	fl.StringArrayVarP(&f.files, "values", "f", nil, "a YAML values file, or - for stdin (repeatable; later files win)")
	fl.StringArrayVar(&f.sets, "set", nil, "set values on the command line: key=value[,key=value] with dotted keys, such as image.tag=v3.28.5 (repeatable; wins over -f)")
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
	for _, name := range []string{"region", "nodes", "kube-version", "nodes-from", "kube-version-from"} {
		if c.Flags().Changed(name) {
			set = append(set, "--"+name)
		}
	}
	return set
}

// base returns the values from -f and --set, in that order. Every
// problem with them is reported at once.
func (f *valueFlags) base(in *input) (*values.Values, error) {
	v := &values.Values{}
	bad, err := f.apply(v, in)
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, invalidValues(bad)
	}
	return v, nil
}

// apply applies -f and --set to v, in that order, and returns every
// problem with the values, joined; err is an input error: a file that
// cannot be read, or is too large, ends it.
func (f *valueFlags) apply(v *values.Values, in *input) (bad, err error) {
	var list []error
	for _, name := range f.files {
		data, err := in.readAtMost("-f", name, values.MaxValuesBytes)
		if big, ok := err.(*tooLargeError); ok {
			return nil, invalidValues(values.TooLarge(big.file, big.size, big.limit))
		}
		if err != nil {
			return nil, err
		}
		list = append(list, v.ApplyFile(displayName(name), data))
	}
	for _, s := range f.sets {
		list = append(list, v.ApplySet(s))
	}
	return errors.Join(list...), nil
}

// values returns the values from -f, --set and then the cluster flags,
// ready to render: every problem with them, the options they describe
// included, is reported at once.
func (f *valueFlags) values(c *cobra.Command, in *input) (*values.Values, error) {
	if err := f.readFacts(c, in); err != nil {
		return nil, err
	}
	v := &values.Values{}
	applied, err := f.apply(v, in)
	if err != nil {
		return nil, err
	}
	bad := []error{applied}
	for _, x := range []struct{ flag, key, value, label string }{
		{"region", "region", f.region, "--region"},
		{"nodes", "nodes", f.nodes, "--nodes"},
		{"kube-version", "kubeVersion", f.kubeVersion, "--kube-version"},
		{"nodes-from", "nodes", f.nodes, "--nodes-from " + displayName(f.nodesFrom)},
		{"kube-version-from", "kubeVersion", f.kubeVersion, "--kube-version-from " + displayName(f.kubeVersionFrom)},
	} {
		if c.Flags().Changed(x.flag) {
			bad = append(bad, v.SetFlag(x.key, x.label, x.value))
		}
	}
	if err := errors.Join(bad...); err != nil {
		return nil, explainValues(v.Check(err))
	}
	return v, nil
}

// readFacts reads --nodes-from and --kube-version-from into the node
// count and version, as --nodes and --kube-version would give them; what
// was read goes to stderr.
func (f *valueFlags) readFacts(c *cobra.Command, in *input) error {
	for _, pair := range [][2]string{{"nodes", "nodes-from"}, {"kube-version", "kube-version-from"}} {
		if c.Flags().Changed(pair[0]) && c.Flags().Changed(pair[1]) {
			return usageError(c, fmt.Errorf("--%s and --%s: give one of them", pair[0], pair[1]))
		}
	}
	if c.Flags().Changed("nodes-from") {
		count, err := readNodes(in, in.errOut, f.nodesFrom)
		if err != nil {
			return err
		}
		f.nodes = strconv.Itoa(count.Felix)
	}
	if c.Flags().Changed("kube-version-from") {
		v, err := readKubeVersion(in, in.errOut, f.kubeVersionFrom)
		if err != nil {
			return err
		}
		f.kubeVersion = v
	}
	return nil
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
	stdinUsed string    // the flag that read stdin
	errOut    io.Writer // where reading reports what it read (--nodes-from); nil discards it
}

func (in *input) read(flag, name string) ([]byte, error) {
	return in.readAtMost(flag, name, 0)
}

// tooLargeError is readAtMost's error for input over its limit; callers
// say which limit, as values.TooLarge does.
type tooLargeError struct {
	file        string
	size, limit int64 // size is -1 when not known (stdin, read up to the limit)
}

func (e *tooLargeError) Error() string {
	if e.size < 0 {
		return fmt.Sprintf("%s: is larger than the %d-byte limit", e.file, e.limit)
	}
	return fmt.Sprintf("%s: is %d bytes, over the %d-byte limit", e.file, e.size, e.limit)
}

// readAtMost is read for input of at most limit bytes (no limit when 0):
// larger input is refused with a *tooLargeError before it is read whole.
func (in *input) readAtMost(flag, name string, limit int64) ([]byte, error) {
	if name == "-" {
		if in.stdinUsed != "" {
			return nil, fmt.Errorf("%s: stdin is already read by %s: want - at most once", strings.TrimSpace(flag+" -"), in.stdinUsed)
		}
		in.stdinUsed = strings.TrimSpace(flag + " -")
		data, err := readLimited(in.stdin, limit)
		if err != nil {
			return nil, fmt.Errorf("%s: reading stdin: %w", in.stdinUsed, err)
		}
		if limit > 0 && int64(len(data)) > limit {
			return nil, &tooLargeError{displayName(name), -1, limit}
		}
		return data, nil
	}
	label := strings.TrimSpace(flag + " " + name)
	if name == "" {
		return nil, fmt.Errorf("%s \"\": want a file name, or - for stdin", flag)
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, unwrapPathError(err))
	}
	defer file.Close()
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() && limit > 0 && st.Size() > limit {
		return nil, &tooLargeError{name, st.Size(), limit}
	}
	data, err := readLimited(file, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, unwrapPathError(err))
	}
	if limit > 0 && int64(len(data)) > limit {
		// Not a regular file, or it grew: its size is not known.
		return nil, &tooLargeError{name, -1, limit}
	}
	return data, nil
}

// readLimited reads r to the end, or to one byte past limit when limit > 0.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit > 0 {
		r = io.LimitReader(r, limit+1)
	}
	return io.ReadAll(r)
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
