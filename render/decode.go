package render

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

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
	}
	return nil
}

// Decode reads YAML documents or JSON (a single object or a v1 List) into
// typed objects: Service, ConfigMap, Deployment, PodDisruptionBudget
// (policy/v1 and policy/v1beta1), CustomResourceDefinition, and the
// autoscaler's ServiceAccount, ClusterRole, ClusterRoleBinding, Role and
// RoleBinding (rbac.authorization.k8s.io/v1). Fields the
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
		return nil, fmt.Errorf("%w: apiVersion %q, kind %q: want v1 Service or ConfigMap, apps/v1 Deployment, policy/v1 or policy/v1beta1 PodDisruptionBudget, apiextensions.k8s.io/v1 CustomResourceDefinition, v1 ServiceAccount, rbac.authorization.k8s.io/v1 ClusterRole, ClusterRoleBinding, Role or RoleBinding, or a v1 List of them", ErrUnknownKind, tm.APIVersion, tm.Kind)
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
