package render

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Names from the guide's calico-typha.yaml. The names, ports and paths
// of the Typha pod are facts of package terway (terway.TyphaName,
// terway.TyphaPort, terway.TyphaHealthPort...); these name them for
// render's callers.
const (
	// Name is the name of the Service, Deployment and PodDisruptionBudget,
	// and the value Terway's felix_relay_service must hold:
	// terway.TyphaName.
	Name = terway.TyphaName
	// Namespace is where Felix looks the Typha Service up:
	// terway.TyphaNamespace.
	Namespace = terway.TyphaNamespace
	// AppLabel selects the Typha pods; its value is Name:
	// terway.TyphaAppLabel.
	AppLabel = terway.TyphaAppLabel
	// ServiceAccount is Terway's, which the guide reuses for Typha.
	ServiceAccount = "terway"
	// CRDName is the BGPPeer CustomResourceDefinition Felix expects.
	CRDName = "bgppeers.crd.projectcalico.org"
	// SafeToEvictAnnotation lets the cluster autoscaler move Typha pods.
	SafeToEvictAnnotation = "cluster-autoscaler.kubernetes.io/safe-to-evict"
)

// Object is a Kubernetes object typharender renders or reads.
type Object interface {
	runtime.Object
	metav1.Object
}

// meta returns the ObjectMeta of a namespaced Typha object: the selector
// label, then the caller's extra labels and annotations.
func (r *resolved) meta() metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        Name,
		Namespace:   Namespace,
		Labels:      with(AppLabel, Name, r.Labels),
		Annotations: with("", "", r.Annotations),
	}
}

func selector() map[string]string { return terway.TyphaPodLabels() }

// with returns a new map holding key: value (unless key is empty) and then
// extra, which wins; nil when that is nothing. Every object gets maps of
// its own, since callers mutate what they get.
func with(key, value string, extra map[string]string) map[string]string {
	n := len(extra)
	if key != "" {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make(map[string]string, n)
	if key != "" {
		out[key] = value
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (r *resolved) service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(),
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{{
				Name:       terway.TyphaName,
				Port:       terway.TyphaPort,
				Protocol:   corev1.ProtocolTCP,
				TargetPort: intstr.FromString(terway.TyphaName),
			}},
			Selector: selector(),
		},
	}
}

func (r *resolved) deployment() *appsv1.Deployment {
	replicas := int32(r.advice.Replicas)
	revisions := int32(2)
	meta := r.meta()
	if len(r.vouched) > 0 {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[VouchAnnotation] = vouchValue(r.vouched)
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas:             &replicas,
			RevisionHistoryLimit: &revisions,
			Selector:             &metav1.LabelSelector{MatchLabels: selector()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      with(AppLabel, Name, r.Labels),
					Annotations: with(SafeToEvictAnnotation, "true", r.Annotations),
				},
				Spec: corev1.PodSpec{
					NodeSelector:       map[string]string{"kubernetes.io/os": "linux"},
					Affinity:           notOnVirtualNodes(),
					HostNetwork:        true,
					Tolerations:        []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					ServiceAccountName: ServiceAccount,
					PriorityClassName:  "system-cluster-critical",
					Containers:         []corev1.Container{r.container()},
				},
			},
		},
	}
	r.addExtras(d)
	return d
}

// notOnVirtualNodes keeps Typha off ACK's virtual nodes
// (type=virtual-kubelet, ECI), which are Linux nodes too: Typha tolerates
// every taint, and runs with hostNetwork, which a virtual node does not
// have. Terway's own DaemonSet has the same required term
// [AliyunContainerService/terway, charts/terway/templates/terwayd/daemonset.yaml].
func notOnVirtualNodes() *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key:      terway.LabelVirtualNode,
				Operator: corev1.NodeSelectorOpNotIn,
				Values:   []string{terway.VirtualKubelet},
			}}}},
		},
	}}
}

func (r *resolved) container() corev1.Container {
	probe := func(path string, period, delay int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: path,
				Port: intstr.FromInt32(terway.TyphaHealthPort),
				Host: "localhost",
			}},
			PeriodSeconds:       period,
			InitialDelaySeconds: delay,
		}
	}
	return corev1.Container{
		Name:  Name,
		Image: r.image,
		Ports: []corev1.ContainerPort{{ContainerPort: terway.TyphaPort, Name: terway.TyphaName, Protocol: corev1.ProtocolTCP}},
		Env: []corev1.EnvVar{
			{Name: "TYPHA_LOGSEVERITYSCREEN", Value: r.LogSeverity},
			{Name: "TYPHA_LOGFILEPATH", Value: "none"},
			{Name: "TYPHA_LOGSEVERITYSYS", Value: "none"},
			{Name: "TYPHA_CONNECTIONREBALANCINGMODE", Value: "kubernetes"},
			{Name: "TYPHA_DATASTORETYPE", Value: "kubernetes"},
			{Name: "TYPHA_HEALTHENABLED", Value: "true"},
		},
		Resources:      *r.Resources.DeepCopy(),
		LivenessProbe:  probe(terway.TyphaLivenessPath, 30, 30),
		ReadinessProbe: probe(terway.TyphaReadinessPath, 10, 0),
	}
}

// podDisruptionBudget returns policy/v1 from 1.21, policy/v1beta1 before.
func (r *resolved) podDisruptionBudget() Object {
	maxUnavailable := intstr.FromInt32(1)
	meta := r.meta()
	sel := &metav1.LabelSelector{MatchLabels: selector()}
	apiVersion := versioning.APIVersionFor(versioning.KindPodDisruptionBudget, r.version)
	tm := metav1.TypeMeta{APIVersion: apiVersion, Kind: versioning.KindPodDisruptionBudget}
	if apiVersion == versioning.PDBAPIVersionV1beta1 {
		return &policyv1beta1.PodDisruptionBudget{TypeMeta: tm, ObjectMeta: meta,
			Spec: policyv1beta1.PodDisruptionBudgetSpec{MaxUnavailable: &maxUnavailable, Selector: sel}}
	}
	return &policyv1.PodDisruptionBudget{TypeMeta: tm, ObjectMeta: meta,
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &maxUnavailable, Selector: sel}}
}

func (r *resolved) customResourceDefinition() *apiextv1.CustomResourceDefinition {
	return &apiextv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: versioning.CRDAPIVersion, Kind: versioning.KindCustomResourceDefinition},
		ObjectMeta: metav1.ObjectMeta{Name: CRDName, Labels: with("", "", r.Labels), Annotations: with("", "", r.Annotations)},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Scope: apiextv1.ClusterScoped,
			Group: "crd.projectcalico.org",
			Versions: []apiextv1.CustomResourceDefinitionVersion{{
				Name:    "v1",
				Served:  true,
				Storage: true,
				Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextv1.JSONSchemaProps{
						"apiVersion": {Type: "string"},
					},
				}},
			}},
			Names: apiextv1.CustomResourceDefinitionNames{Kind: "BGPPeer", Plural: "bgppeers", Singular: "bgppeer"},
		},
	}
}
