package render

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/typharender/typharender/terway"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// ErrUnknownKind is wrapped when Decode meets a kind it has no type for.
var ErrUnknownKind = errors.New("unknown kind")

// newObject returns an empty typed object for apiVersion and kind: the
// kinds typharender renders and edits.
func newObject(apiVersion, kind string) Object {
	switch apiVersion + " " + kind {
	case "v1 Service":
		return &corev1.Service{}
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "policy/v1beta1 PodDisruptionBudget":
		return &policyv1beta1.PodDisruptionBudget{}
	case "apiextensions.k8s.io/v1 CustomResourceDefinition":
		return &apiextv1.CustomResourceDefinition{}
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}
	case "rbac.authorization.k8s.io/v1 ClusterRole":
		return &rbacv1.ClusterRole{}
	case "rbac.authorization.k8s.io/v1 ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}
	case "rbac.authorization.k8s.io/v1 Role":
		return &rbacv1.Role{}
	case "rbac.authorization.k8s.io/v1 RoleBinding":
		return &rbacv1.RoleBinding{}
	case PrometheusRuleAPIVersion + " " + PrometheusRuleKind:
		return &PrometheusRule{}
	}
	return nil
}

// Decode reads YAML documents or JSON (a single object or a v1 List) into
// typed objects: Service, ConfigMap, Deployment, PodDisruptionBudget
// (policy/v1 and policy/v1beta1), CustomResourceDefinition, and the
// autoscaler's ServiceAccount, ClusterRole, ClusterRoleBinding, Role and
// RoleBinding (rbac.authorization.k8s.io/v1), and the PrometheusRule
// (monitoring.coreos.com/v1) of the alerts. Fields the
// types do not know are errors, so a typo cannot pass unseen. Empty
// documents are skipped.
func Decode(data []byte) ([]Object, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []Object
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		got, err := decodeDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		objs = append(objs, got...)
	}
}

func decodeDocument(raw []byte) ([]Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		// A document of comments only.
		var v any
		if err := yaml.Unmarshal(raw, &v); err == nil && v == nil {
			return nil, nil
		}
	}
	if tm.APIVersion == "v1" && tm.Kind == "List" {
		var list struct {
			Items []yamlRaw `json:"items"`
		}
		if err := yaml.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		var objs []Object
		for i, item := range list.Items {
			got, err := decodeDocument(item)
			if err != nil {
				return nil, fmt.Errorf("List item %d: %w", i, err)
			}
			objs = append(objs, got...)
		}
		return objs, nil
	}
	obj := newObject(tm.APIVersion, tm.Kind)
	if obj == nil {
		return nil, fmt.Errorf("%w: apiVersion %q, kind %q: want v1 Service or ConfigMap, apps/v1 Deployment, policy/v1 or policy/v1beta1 PodDisruptionBudget, apiextensions.k8s.io/v1 CustomResourceDefinition, v1 ServiceAccount, rbac.authorization.k8s.io/v1 ClusterRole, ClusterRoleBinding, Role or RoleBinding, monitoring.coreos.com/v1 PrometheusRule, or a v1 List of them", ErrUnknownKind, tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return []Object{obj}, nil
}

// yamlRaw keeps a List item as JSON for a second decode.
type yamlRaw []byte

func (r *yamlRaw) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// MaxENIConfigBytes bounds the eni-config [ReadENIConfig] reads, checked
// before it is parsed: larger input cannot be a ConfigMap the API server stores, and
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
const MaxENIConfigBytes = 10 << 20

// ReadENIConfig decodes the eni-config ConfigMap from data, as kubectl
// -n kube-system get cm eni-config -o yaml (or -o json) prints it: YAML or
// JSON, a single object or a v1 List holding it, at most
// [MaxENIConfigBytes]. Every error says what data holds and what is
// wanted; name is the input's name, which each error starts with.
func ReadENIConfig(name string, data []byte) (*corev1.ConfigMap, error) {
	if len(data) > MaxENIConfigBytes {
		return nil, fmt.Errorf("%s: %d bytes is more than the %d bytes kubectl prints for the largest ConfigMap the API server stores: %s", name, len(data), MaxENIConfigBytes, wantENIConfig)
	}
	objs, err := Decode(data)
	if errors.Is(err, ErrUnknownKind) {
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
