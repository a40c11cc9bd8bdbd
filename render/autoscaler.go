package render

import (
	"encoding/json"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/typharender/typharender/sizing"
)

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
	params, _ := json.Marshal(sizing.TyphaLinearParams()) // a struct of numbers and booleans cannot fail
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
