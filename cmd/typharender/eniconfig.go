package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

type eniConfigFlags struct {
	mode         string
	patch        bool
	output       string
	allowNoFelix bool
}

func newENIConfigCmd(s streams) *cobra.Command {
	f := &eniConfigFlags{}
	c := &cobra.Command{
		Use:   "eni-config --mode typha|disable-policy FILE|-",
		Short: "Edit Terway's eni-config ConfigMap for Typha, or to disable NetworkPolicy",
		Long: `Read the cluster's eni-config ConfigMap, as
kubectl -n kube-system get cm eni-config -o yaml (or -o json) prints it,
managedFields and all, from FILE or stdin (-), and write the edited
ConfigMap to stdout. Only the keys the mode names change; everything else,
eni_conf included, is kept byte for byte.

  --mode typha           felix_relay_service: calico-typha, and
                         disable_network_policy: "false" where the key exists
  --mode disable-policy  disable_network_policy: "true"

With --mode typha, an eni-config under which Felix is not the policy
engine (IPVlan, DataPath V2 or network_policy_provider ebpf: Cilium) is
refused (exit 2), naming the key that decided, as plan refuses it:
Typha would serve no one. --allow-no-felix edits it anyway.

Both keys are top-level data keys, not fields of the eni_conf JSON. With
--patch, write the minimal JSON merge patch instead, for
kubectl patch --type merge ({} when nothing needs to change). The changes
and warnings go to stderr. Terway reads both keys at start: restart it
afterwards (see typharender plan).`,
		Example: `  # Patch the cluster in place
  kubectl -n kube-system get cm eni-config -o yaml > eni-config.yaml
  kubectl -n kube-system patch cm eni-config --type merge \
    -p "$(typharender eni-config --mode typha --patch eni-config.yaml)"

  # Or write the edited ConfigMap, review it, and replace
  kubectl -n kube-system get cm eni-config -o yaml \
    | typharender eni-config --mode typha - > eni-config.new.yaml
  kubectl replace -f eni-config.new.yaml

  # Turn NetworkPolicy off
  typharender eni-config --mode disable-policy --patch eni-config.yaml`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(c, fmt.Errorf("want one argument, the eni-config ConfigMap file or - for stdin; got %d", len(args)))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return f.run(c, s, args[0])
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.mode, "mode", "", "the guide's approach: typha (relay Felix through Typha) or disable-policy (turn NetworkPolicy off); required")
	fl.BoolVar(&f.patch, "patch", false, "write the JSON merge patch for kubectl patch --type merge instead of the ConfigMap")
	fl.StringVarP(&f.output, "output", "o", "yaml", "output format of the ConfigMap: yaml, or json (the ConfigMap itself, as kubectl get -o json prints it)")
	fl.BoolVar(&f.allowNoFelix, "allow-no-felix", false, "with --mode typha: edit even an eni-config under which another engine than Felix enforces NetworkPolicy (Typha then serves no one)")
	_ = c.RegisterFlagCompletionFunc("mode", fixedCompletion(string(render.ModeTypha), string(render.ModeDisablePolicy)))
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion("yaml", "json"))
	return c
}

func (f *eniConfigFlags) run(c *cobra.Command, s streams, name string) error {
	if !c.Flags().Changed("mode") {
		return usageError(c, errors.New("--mode is required: want typha (relay Felix through Typha) or disable-policy (turn NetworkPolicy off)"))
	}
	mode, err := render.ParseMode(f.mode)
	if err != nil {
		return usageError(c, fmt.Errorf("--mode: %w", err))
	}
	if f.output != "yaml" && f.output != "json" {
		return usageError(c, fmt.Errorf("-o %q: want yaml or json", f.output))
	}
	if f.patch && c.Flags().Changed("output") {
		return usageError(c, errors.New("-o with --patch: the patch is always JSON, as kubectl patch --type merge -p takes it"))
	}
	if f.allowNoFelix && mode != render.ModeTypha {
		return usageError(c, fmt.Errorf("--allow-no-felix with --mode %s: it allows a Typha edit; disabling NetworkPolicy needs no Felix", mode))
	}
	in := &input{stdin: s.In}
	data, err := in.read("", name)
	if err != nil {
		return err
	}
	cm, err := readENIConfig(displayName(name), data)
	if err != nil {
		return err
	}
	edit, err := render.EditENIConfig(cm, mode)
	if err != nil {
		return fmt.Errorf("%s: %w", displayName(name), err)
	}
	if err := edit.CheckFelix(); err != nil && !f.allowNoFelix {
		return usageError(c, fmt.Errorf("%s: %w (--allow-no-felix edits it anyway)", displayName(name), err))
	}
	reportChanges(s, edit)
	if f.patch {
		_, err := fmt.Fprintf(s.Out, "%s\n", edit.MergePatch())
		return writeErr(err)
	}
	var buf bytes.Buffer
	encode := func() error { return render.EncodeYAML(&buf, edit.ConfigMap) }
	if f.output == "json" {
		encode = func() error { return render.EncodeJSONObject(&buf, edit.ConfigMap) }
	}
	if err := encode(); err != nil {
		return failure(err)
	}
	_, err = s.Out.Write(buf.Bytes())
	return writeErr(err)
}

// maxENIConfigBytes bounds the eni-config input, checked before it is
// parsed: larger input cannot be a ConfigMap the API server stores, and
// would only cost memory (a 60 MB file took 7.8 s and 627 MB).
//
// The API server refuses a ConfigMap whose data and binaryData hold more
// than 1 MiB, and annotations (where kubectl apply keeps its
// last-applied copy) over 256 KiB; with managedFields and the rest of the
// metadata, etcd's default request limit of 1.5 MiB bounds the whole
// object. kubectl -o yaml or -o json prints that object with indentation
// and, at worst, six bytes per byte of escaping (a control character
// becomes \u0001 in JSON), so 9 MiB covers any ConfigMap a cluster can
// hold; 10 MiB leaves room for the indentation. A real eni-config is a
// few KiB.
const maxENIConfigBytes = 10 << 20

// readENIConfig decodes the eni-config ConfigMap from data: YAML or JSON,
// a single object or a v1 List holding it.
func readENIConfig(name string, data []byte) (*corev1.ConfigMap, error) {
	if len(data) > maxENIConfigBytes {
		return nil, fmt.Errorf("%s: %d bytes is more than the %d bytes kubectl prints for the largest ConfigMap the API server stores: %s", name, len(data), maxENIConfigBytes, wantENIConfig)
	}
	objs, err := render.Decode(data)
	if errors.Is(err, render.ErrUnknownKind) {
		// Name what is there and what is wanted, not every kind Decode
		// reads: eni-config wants one kind.
		return nil, fmt.Errorf("%s: holds %s: %s", name, strings.Join(documentKinds(data), ", "), wantENIConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var cms []*corev1.ConfigMap
	var other []string
	for _, o := range objs {
		if cm, ok := o.(*corev1.ConfigMap); ok {
			cms = append(cms, cm)
		} else {
			other = append(other, fmt.Sprintf("%s %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetName()))
		}
	}
	switch {
	case len(objs) == 0:
		return nil, fmt.Errorf("%s: holds no object: %s", name, wantENIConfig)
	case len(other) > 0:
		return nil, fmt.Errorf("%s: holds %s: %s", name, strings.Join(other, ", "), wantENIConfig)
	case len(cms) == 1:
		return cms[0], nil
	}
	// A List, as kubectl get cm -o yaml prints for a namespace: take
	// kube-system/eni-config from it.
	var found []*corev1.ConfigMap
	for _, cm := range cms {
		if cm.Namespace == terway.ENIConfigNamespace && cm.Name == terway.ENIConfigName {
			found = append(found, cm)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: holds %d ConfigMaps, %d of them kube-system/eni-config: %s", name, len(cms), len(found), wantENIConfig)
	}
	return found[0], nil
}

// wantENIConfig says what eni-config reads.
const wantENIConfig = "want the output of kubectl -n kube-system get cm eni-config -o yaml"

// documentKinds names each object in data, "Kind name", List items
// included, for an error message; a document it cannot read is skipped.
func documentKinds(data []byte) []string {
	type meta struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Items []meta `json:"items"`
	}
	var names []string
	var add func(m meta)
	add = func(m meta) {
		if m.APIVersion == "v1" && m.Kind == "List" {
			for _, item := range m.Items {
				add(item)
			}
			return
		}
		names = append(names, strings.TrimSpace(m.Kind+" "+m.Metadata.Name))
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		raw, err := reader.Read()
		if err != nil {
			return names
		}
		var m meta
		if yaml.Unmarshal(raw, &m) == nil && (m.Kind != "" || m.APIVersion != "") {
			add(m)
		}
	}
}

// reportChanges writes what the edit changes, and its warnings, to stderr.
func reportChanges(s streams, edit *render.ENIConfigEdit) {
	if len(edit.Changes) == 0 {
		fmt.Fprintf(s.ErrOut, "eni-config already has the %s settings: nothing to change\n", edit.Mode)
	}
	for _, ch := range edit.Changes {
		if ch.Existed {
			fmt.Fprintf(s.ErrOut, "eni-config: %s: %q -> %q\n", ch.Key, ch.Before, ch.After)
		} else {
			fmt.Fprintf(s.ErrOut, "eni-config: %s: (absent) -> %q\n", ch.Key, ch.After)
		}
	}
	warnAll(s, edit.Findings)
}
