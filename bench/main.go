// Command bench compares `typharender render` with `helm template` of the
// equivalent chart in chart/: first that both give the same objects for a
// few clusters, then the wall time of each, run alternately, as whole
// processes. bench/compare.sh builds both binaries and runs it.
//
//	go run . -helm PATH -typharender PATH [-runs 50]
//
// It is its own module so that nothing it needs enters the library's
// go.mod.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/typharender/typharender/render"
)

// cluster is one input, given to both commands.
type cluster struct {
	region, kubeVersion string
	nodes               int
}

func (c cluster) String() string {
	return fmt.Sprintf("%s, %d nodes, %s", c.region, c.nodes, c.kubeVersion)
}

// checked are the clusters whose objects must agree: both PDB versions,
// and replicas at the floor of 3, at 5 and at 25.
var checked = []cluster{
	{"cn-hangzhou", "v1.20.11-aliyun.1", 600},
	{"cn-hangzhou", "v1.21.3-aliyun.1", 601},
	{"ap-southeast-1", "v1.30.7-aliyun.1", 1000},
	{"cn-shanghai-finance-1", "v1.16.9-aliyun.1", 5000},
	{"cn-beijing", "v1.36.1-aliyun.1", 50},
}

func main() {
	helm := flag.String("helm", "", "the helm binary (v3.22.0)")
	typharender := flag.String("typharender", "", "the typharender binary")
	floor := flag.String("floor", "", "optional: a binary that only links the k8s.io/api types (k8sfloor), timed alongside, alone and with the argument json")
	chart := flag.String("chart", "chart", "the Helm chart equivalent to typharender render")
	runs := flag.Int("runs", 50, "timed runs of each command, alternating")
	var timed cluster
	flag.StringVar(&timed.region, "region", "cn-hangzhou", "the timed cluster's region")
	flag.IntVar(&timed.nodes, "nodes", 1000, "the timed cluster's node count")
	flag.StringVar(&timed.kubeVersion, "kube-version", "v1.30.7-aliyun.1", "the timed cluster's Kubernetes version")
	flag.Parse()
	if *helm == "" || *typharender == "" || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: bench -helm PATH -typharender PATH [-chart DIR] [-runs N] [-region R -nodes N -kube-version V]")
		os.Exit(2)
	}
	helmCmd := func(c cluster) []string {
		return []string{*helm, "template", "calico-typha", *chart, "--kube-version", c.kubeVersion,
			"--set", "region=" + c.region, "--set", "nodes=" + strconv.Itoa(c.nodes)}
	}
	ourCmd := func(c cluster) []string {
		return []string{*typharender, "render", "--region", c.region, "--nodes", strconv.Itoa(c.nodes), "--kube-version", c.kubeVersion}
	}

	fmt.Println("Same objects from both:")
	for _, c := range append(slices.Clip(checked), timed) {
		summary, err := compare(helmCmd(c), ourCmd(c))
		if err != nil {
			fmt.Fprintf(os.Stderr, "  %s: %v\n", c, err)
			os.Exit(1)
		}
		fmt.Printf("  %-48s %s\n", c.String()+":", summary)
	}

	fmt.Printf("\nWall time of one process, %d runs each, alternating (%s):\n", *runs, timed)
	var helmTimes, ourTimes, versionTimes, floorTimes, floorJSONTimes []time.Duration
	type timedCmd struct {
		argv  []string
		times *[]time.Duration
	}
	cmds := []timedCmd{{helmCmd(timed), &helmTimes}, {ourCmd(timed), &ourTimes}, {[]string{*typharender, "version"}, &versionTimes}}
	if *floor != "" {
		cmds = append(cmds, timedCmd{[]string{*floor}, &floorTimes}, timedCmd{[]string{*floor, "json"}, &floorJSONTimes})
	}
	for range *runs {
		for _, r := range cmds {
			d, err := wall(r.argv)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			*r.times = append(*r.times, d)
		}
	}
	h, o := median(helmTimes), median(ourTimes)
	fmt.Printf("  helm template         median %8.2f ms  (min %.2f, max %.2f)\n", ms(h), ms(slices.Min(helmTimes)), ms(slices.Max(helmTimes)))
	fmt.Printf("  typharender render    median %8.2f ms  (min %.2f, max %.2f)\n", ms(o), ms(slices.Min(ourTimes)), ms(slices.Max(ourTimes)))
	if *floor != "" {
		f := median(floorTimes)
		fmt.Printf("  k8sfloor              median %8.2f ms  (min %.2f, max %.2f; a program that only links the k8s.io/api types)\n", ms(f), ms(slices.Min(floorTimes)), ms(slices.Max(floorTimes)))
		fmt.Printf("  k8sfloor json         median %8.2f ms  (the same, then encoding/json encodes one empty value of each type)\n", ms(median(floorJSONTimes)))
	}
	fmt.Printf("  typharender version   median %8.2f ms  (start-up and package initialisation, no rendering)\n", ms(median(versionTimes)))
	fmt.Println()
	fmt.Printf("  helm / typharender render:     %.1fx (target: at least 9x)\n", float64(h)/float64(o))
	if *floor != "" {
		f := median(floorTimes)
		fmt.Printf("  typharender render / k8sfloor: %.2fx (target: at most 1.3x)\n", float64(o)/float64(f))
		fmt.Printf("  k8sfloor json / k8sfloor:      %.2fx (what encoding/json's first use of these types costs)\n", float64(median(floorJSONTimes))/float64(f))
		fmt.Printf("  helm / k8sfloor:               %.1fx (the most any program that links these types can reach)\n", float64(h)/float64(f))
	}
}

// compare runs both commands and decodes their output into typed objects,
// which must be equal, apart from order: helm sorts by kind.
func compare(helmArgv, ourArgv []string) (string, error) {
	var objs [2][]render.Object
	for i, argv := range [][]string{helmArgv, ourArgv} {
		out, err := output(argv)
		if err != nil {
			return "", err
		}
		if objs[i], err = render.Decode(out); err != nil {
			return "", fmt.Errorf("%s: %w", argv[0], err)
		}
		slices.SortFunc(objs[i], func(a, b render.Object) int {
			return strings.Compare(a.GetObjectKind().GroupVersionKind().Kind, b.GetObjectKind().GroupVersionKind().Kind)
		})
	}
	if len(objs[0]) != 4 || !reflect.DeepEqual(objs[0], objs[1]) {
		return "", fmt.Errorf("the objects differ:\n--- helm\n%s--- typharender\n%s", encode(objs[0]), encode(objs[1]))
	}
	var parts []string
	for _, obj := range objs[1] {
		gvk := obj.GetObjectKind().GroupVersionKind()
		part := gvk.GroupVersion().String() + " " + gvk.Kind
		if d, ok := obj.(*appsv1.Deployment); ok {
			part += fmt.Sprintf(" (replicas %d, %s)", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", "), nil
}

func encode(objs []render.Object) string {
	var b bytes.Buffer
	if err := render.EncodeYAML(&b, objs...); err != nil {
		return err.Error() + "\n"
	}
	return b.String()
}

// output runs argv and returns its standard output.
func output(argv []string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		return nil, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return out, nil
}

// wall runs argv, its output discarded, and returns how long it took from
// start to exit.
func wall(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return d, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
