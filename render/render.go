package render

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/versioning"
)

// Result is one rendering: the typed objects, the decisions behind them and
// the warnings. Every call returns fresh objects that the caller may
// mutate.
type Result struct {
	Version  versioning.Version // the cluster's version, as parsed
	Advice   sizing.Advice      // replicas and the reasoning behind them
	Image    string             // the Typha image reference
	Warnings []string           // what a person should read before applying

	Service    *corev1.Service
	Deployment *appsv1.Deployment
	// PodDisruptionBudget is a *policyv1.PodDisruptionBudget from 1.21 and
	// a *policyv1beta1.PodDisruptionBudget before.
	PodDisruptionBudget      Object
	CustomResourceDefinition *apiextv1.CustomResourceDefinition

	// Autoscaler runs cluster-proportional-autoscaler for the Deployment,
	// which then has no spec.replicas; nil unless Options.Autoscaler.
	Autoscaler *AutoscalerObjects
}

// Render validates o and returns the objects for the cluster it
// describes. An invalid o returns an error joining an [OptionError] per
// bad field, and no objects.
func Render(o Options) (*Result, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	res := &Result{
		Version:                  r.version,
		Advice:                   r.advice,
		Image:                    r.image,
		Warnings:                 r.warnings,
		Service:                  r.service(),
		Deployment:               r.deployment(),
		PodDisruptionBudget:      r.podDisruptionBudget(),
		CustomResourceDefinition: r.customResourceDefinition(),
	}
	if r.Autoscaler {
		res.Autoscaler = r.autoscaler()
	}
	return res, nil
}

// Objects returns the objects in the order to apply them: Service,
// Deployment, PodDisruptionBudget, CustomResourceDefinition, then, with
// the autoscaler, its objects ([AutoscalerObjects.Objects]).
func (r *Result) Objects() []Object {
	objs := []Object{r.Service, r.Deployment, r.PodDisruptionBudget, r.CustomResourceDefinition}
	if r.Autoscaler != nil {
		objs = append(objs, r.Autoscaler.Objects()...)
	}
	return objs
}
