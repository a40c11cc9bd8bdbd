package render

import (
	"encoding/json"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
)

// AutoscalerName names every cluster-proportional-autoscaler object: its
// ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding,
// ConfigMap and Deployment, and is the value of their k8s-app label.
const AutoscalerName = "calico-typha-autoscaler"

// AutoscalerNodeLabels is the autoscaler's --nodelabels: a label selector
// the API server applies when the autoscaler lists nodes, so that it
// counts the nodes terway.CountFelixNodes counts: Linux, not virtual
// nodes, not exclusive-ENI nodes. ACK's own DNS autoscaler passes
// type!=virtual-kubelet the same way. A node without the kubernetes.io/os
// label (kubelets before 1.14) is not counted here, though
// CountFelixNodes falls back to its reported operating system.
const AutoscalerNodeLabels = "kubernetes.io/os=linux," +
	terway.LabelVirtualNode + "!=" + terway.VirtualKubelet + "," +
	terway.LabelExclusiveENI + "!=" + terway.ExclusiveENIOnly

// LinearParams are cluster-proportional-autoscaler's linear parameters,
// as its ConfigMap's linear key holds them (JSON).
type LinearParams struct {
	CoresPerReplica           float64 `json:"coresPerReplica,omitempty"`
	NodesPerReplica           float64 `json:"nodesPerReplica,omitempty"`
	Min                       int     `json:"min,omitempty"`
	Max                       int     `json:"max,omitempty"`
	PreventSinglePointFailure bool    `json:"preventSinglePointFailure,omitempty"`
	IncludeUnschedulableNodes bool    `json:"includeUnschedulableNodes,omitempty"`
}

// TyphaLinearParams returns the parameters that reproduce the guide's
// max(3, ceil(nodes/200)): one replica per 200 nodes, at least 3, no
// maximum. preventSinglePointFailure is set although min 3 already keeps
// two or more replicas. Unschedulable (cordoned) nodes are counted: a
// cordoned node keeps its Terway pod, so its Felix still holds a Typha
// connection, and a node pool upgrade that cordons many nodes at once
// should not shrink Typha while the Felix count stays the same.
func TyphaLinearParams() LinearParams {
	return LinearParams{
		NodesPerReplica:           sizing.NodesPerReplica,
		Min:                       sizing.MinReplicas,
		PreventSinglePointFailure: true,
		IncludeUnschedulableNodes: true,
	}
}

// AutoscalerObjects are the objects that run cluster-proportional-autoscaler
// for Typha, in the order to apply them.
type AutoscalerObjects struct {
	ServiceAccount     *corev1.ServiceAccount
	ClusterRole        *rbacv1.ClusterRole        // list and watch nodes
	ClusterRoleBinding *rbacv1.ClusterRoleBinding // to the ServiceAccount
	Role               *rbacv1.Role               // kube-system: get and update calico-typha's scale, get the ConfigMap
	RoleBinding        *rbacv1.RoleBinding        // to the ServiceAccount
	ConfigMap          *corev1.ConfigMap          // the linear parameters
	Deployment         *appsv1.Deployment         // one replica, --target=deployment/calico-typha
}

// Objects returns the objects in the order to apply them.
func (a *AutoscalerObjects) Objects() []Object {
	return []Object{a.ServiceAccount, a.ClusterRole, a.ClusterRoleBinding, a.Role, a.RoleBinding, a.ConfigMap, a.Deployment}
}

// autoscalerMeta returns the ObjectMeta of an autoscaler object: the
// caller's labels and annotations, and k8s-app: AutoscalerName, which
// wins (the Deployment selects on it).
func (r *resolved) autoscalerMeta(namespace string) metav1.ObjectMeta {
	labels := with("", "", r.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[AppLabel] = AutoscalerName
	return metav1.ObjectMeta{Name: AutoscalerName, Namespace: namespace, Labels: labels, Annotations: with("", "", r.Annotations)}
}

func (r *resolved) autoscaler() *AutoscalerObjects {
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: AutoscalerName, Namespace: Namespace}}
	params, _ := json.Marshal(TyphaLinearParams()) // a struct of numbers and booleans cannot fail
	replicas := int32(1)
	revisions := int32(2)
	return &AutoscalerObjects{
		ServiceAccount: &corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: r.autoscalerMeta(Namespace),
		},
		ClusterRole: &rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
			ObjectMeta: r.autoscalerMeta(""),
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list", "watch"}}},
		},
		ClusterRoleBinding: &rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
			ObjectMeta: r.autoscalerMeta(""),
			Subjects:   subjects,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: AutoscalerName},
		},
		Role: &rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
			ObjectMeta: r.autoscalerMeta(Namespace),
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, ResourceNames: []string{Name}, Verbs: []string{"get", "update"}},
				{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{AutoscalerName}, Verbs: []string{"get"}},
			},
		},
		RoleBinding: &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
			ObjectMeta: r.autoscalerMeta(Namespace),
			Subjects:   subjects,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: AutoscalerName},
		},
		ConfigMap: &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: r.autoscalerMeta(Namespace),
			Data:       map[string]string{"linear": string(params)},
		},
		Deployment: &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: r.autoscalerMeta(Namespace),
			Spec: appsv1.DeploymentSpec{
				Replicas:             &replicas,
				RevisionHistoryLimit: &revisions,
				Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{AppLabel: AutoscalerName}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{
						Labels:      r.autoscalerMeta("").Labels,
						Annotations: with("", "", r.Annotations),
					},
					Spec: corev1.PodSpec{
						NodeSelector:       map[string]string{corev1.LabelOSStable: "linux"},
						Tolerations:        []corev1.Toleration{{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists}},
						ServiceAccountName: AutoscalerName,
						PriorityClassName:  "system-cluster-critical",
						Containers: []corev1.Container{{
							Name:  "autoscaler",
							Image: r.autoscalerImage,
							Command: []string{
								"/cluster-proportional-autoscaler",
								"--namespace=" + Namespace,
								"--configmap=" + AutoscalerName,
								"--target=deployment/" + Name,
								"--nodelabels=" + AutoscalerNodeLabels,
								"--logtostderr=true",
								"--v=2",
							},
							// ACK's DNS autoscaler requests the same.
							Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
								corev1.ResourceCPU:    resource.MustParse("200m"),
								corev1.ResourceMemory: resource.MustParse("150Mi"),
							}},
						}},
					},
				},
			},
		},
	}
}
