package render

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/rules"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/versioning"
)

// Result is one rendering: the typed objects, the decisions behind them and
// the findings. Every call returns fresh objects that the caller may
// mutate.
type Result struct {
	Version versioning.Version // the cluster's version, as parsed
	Advice  sizing.Advice      // replicas and the reasoning behind them
	Image   string             // the Typha image reference

	// Findings are what a person should read before applying, in this
	// order: render's own warnings about the options (Rule ""), then what
	// lint's rules find in the objects (and in Options.ENIConfig beside
	// them) at warning or error, the rules' own findings about replicas
	// left out as render's own warnings say the same. See [Check].
	Findings []finding.Finding

	Service    *corev1.Service
	Deployment *appsv1.Deployment
	// PodDisruptionBudget is a *policyv1.PodDisruptionBudget from 1.21 and
	// a *policyv1beta1.PodDisruptionBudget before.
	PodDisruptionBudget      Object
	CustomResourceDefinition *apiextv1.CustomResourceDefinition

	// Autoscaler runs cluster-proportional-autoscaler for the Deployment,
	// which then has no spec.replicas; nil unless Options.Autoscaler.
	Autoscaler *AutoscalerObjects

	// PrometheusRule holds Typha's alerts for the Prometheus Operator;
	// nil unless Options.Alerts.
	PrometheusRule *PrometheusRule
}

// Render validates o and returns the objects for the cluster it
// describes, and what it finds in them. An invalid o returns an error
// joining an [OptionError] per bad field, and no objects.
//
// It validates o once and checks the objects it built, as they are, with
// the rules lint applies to manifests (package rules), for the cluster o
// describes: nothing is encoded and read back in between.
func Render(o Options) (*Result, error) { return render(o, nil) }

// A Renderer renders many clusters, as a fleet does: it remembers the
// model the rules read of each distinct object it checked (a
// rules.Memo), so that objects the clusters share are converted once.
// Its results are [Render]'s. The zero Renderer is ready to use, from any
// number of goroutines; its memory grows with the distinct objects. A
// Renderer must not be copied after first use.
type Renderer struct{ memo rules.Memo }

// Render is [Render], remembering what it checked.
func (r *Renderer) Render(o Options) (*Result, error) { return render(o, &r.memo) }

func render(o Options, memo *rules.Memo) (*Result, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	res := &Result{
		Version:                  r.version,
		Advice:                   r.advice,
		Image:                    r.image,
		Service:                  r.service(),
		Deployment:               r.deployment(),
		PodDisruptionBudget:      r.podDisruptionBudget(),
		CustomResourceDefinition: r.customResourceDefinition(),
	}
	if r.Autoscaler {
		res.Autoscaler = r.autoscaler()
	}
	if r.Alerts {
		res.PrometheusRule = r.prometheusRule()
	}
	found, err := r.check(res, memo)
	if err != nil {
		return nil, err
	}
	res.Findings = append(r.warnings, found...)
	return res, nil
}

// Objects returns the objects in the order to apply them: Service,
// Deployment, PodDisruptionBudget, CustomResourceDefinition, then, with
// the autoscaler, its objects ([AutoscalerObjects.Objects]), then, with
// alerts, the PrometheusRule.
func (r *Result) Objects() []Object {
	objs := []Object{r.Service, r.Deployment, r.PodDisruptionBudget, r.CustomResourceDefinition}
	if r.Autoscaler != nil {
		objs = append(objs, r.Autoscaler.Objects()...)
	}
	if r.PrometheusRule != nil {
		objs = append(objs, r.PrometheusRule)
	}
	return objs
}
