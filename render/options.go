package render

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/typharender/typharender/finding"

	"github.com/typharender/typharender/internal/imageref"
	"github.com/typharender/typharender/sizing"
	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// DefaultLogSeverity is Typha's log level by default, the guide's.
const DefaultLogSeverity = "info"

// VouchAnnotation is the Deployment annotation that records the claims
// (terway.Claim, comma-separated, in the order of terway.Claims) a person
// vouched for with Options.Vouch to lift a refusal: lint reads it, so that
// it does not report a problem the rendering was vouched past. It is
// reserved: Options.Annotations may not set it. It is
// terway.VouchAnnotation.
const VouchAnnotation = terway.VouchAnnotation

// Options describe one cluster and the overrides a Helm chart user expects.
// The zero value of every optional field means the guide's default.
type Options struct {
	Region      string // required: Alibaba Cloud region ID, such as "cn-hangzhou"; surrounding white space is ignored
	Nodes       int    // required: the cluster's node count, 1 to 100000
	KubeVersion string // required: as the cluster reports it, such as "v1.30.7-aliyun.1"

	// The Typha image. The default depends on KubeVersion, one row each
	// in terway.DefaultTyphas: below 1.25 the guide's,
	// registry-vpc.{Region}.aliyuncs.com/acs/typha:v3.20.2; from 1.25
	// quay.io/calico/typha:v3.24.5 (the guide's v3.20.2 never syncs Felix
	// there). Each field given replaces its part of the default; nothing
	// given is ignored, and a combination that would name an image no one
	// publishes is refused rather than guessed (see Validate).
	Registry string // default the row's registry (quay.io), or, for the guide's row, the VPC endpoint of RegistryStyle in Region; host[:port][/path]

	// RegistryStyle chooses an Alibaba Cloud registry host in Region:
	// "guide" (registry-vpc.{Region}.aliyuncs.com, the default below
	// 1.25), "ack" (ACK's system images, registry-{Region}-vpc.ack.aliyuncs.com)
	// or "intl" (registry-intl-vpc.{Region}.aliyuncs.com). Give it or
	// Registry, not both. From 1.25 it needs Repository: the default
	// image is not on those hosts.
	RegistryStyle string
	Repository    string // default the row's: "acs/typha" below 1.25, "calico/typha" from 1.25
	Tag           string // default the row's: "v3.20.2" below 1.25, "v3.24.5" from 1.25
	Digest        string // default none; "sha256:<64 hex>" pins the image as repository:tag@digest

	// Vouch lifts the refusal of a Typha release that terway.CheckTypha
	// says cannot serve Terway's Felix in this cluster; see [Vouch].
	Vouch Vouch

	Replicas int // default max(3, ceil(Nodes/200)); 1 or more overrides it

	Labels      map[string]string // default none; added to every object and the pod template
	Annotations map[string]string // default none; added to every object and the pod template

	Resources   corev1.ResourceRequirements // default none, as in the guide
	LogSeverity string                      // default "info"; debug, info, warning, error or fatal

	Metrics    bool // default false; true serves Typha's Prometheus metrics on terway.TyphaMetricsPort of each node it runs on (all interfaces) with scrape annotations
	Alerts     bool // default false; true renders a PrometheusRule (monitoring.coreos.com/v1) with Typha's alerts; needs Metrics
	ZoneSpread bool // default false; true spreads the replicas over zones (topology.kubernetes.io/zone), Kubernetes 1.19 or later

	Autoscaler           bool   // default false; true renders cluster-proportional-autoscaler to set the replicas, and the Deployment leaves spec.replicas out
	AutoscalerRegistry   string // default the Typha image's registry (Registry, or its default)
	AutoscalerRepository string // default "acs/cluster-proportional-autoscaler"
	AutoscalerTag        string // default "1.8.4"

	// ENIConfig is the cluster's eni-config ConfigMap, as fetched
	// (kubectl -n kube-system get cm eni-config -o yaml, or a typed
	// client's Get); default none. The objects do not depend on it: the
	// rendering is checked against it (is Felix the policy engine? does
	// felix_relay_service name this Service?), and Result.Findings say
	// what is wrong. It is not changed.
	ENIConfig *corev1.ConfigMap
}

// Vouch is what a person vouches for to lift render's refusal of a Typha
// release: terway.CheckTypha knows releases, not what a vendor patched
// into an image or what else a cluster runs. Each field is one claim
// (terway.Claim) that lifts one problem, nothing else. A claim that lifts
// a refusal is recorded on the Deployment ([VouchAnnotation]); one that
// lifts nothing is not, and is warned about. The typha plan's in-sync gate
// (rollout.GateTyphaInSync) then proves the claim in the cluster before
// eni-config is touched.
type Vouch struct {
	EndpointSliceV1       bool // default false; true: the image lists EndpointSlices through discovery.k8s.io/v1 (terway.ClaimEndpointSliceV1), lifting the refusal of Typha v3.20 to v3.22 on Kubernetes 1.25+
	TierCRD               bool // default false; true: the cluster serves Calico's Tier CRD and Typha may create Tiers (terway.ClaimTierCRD), lifting the refusal of Typha v3.29 and later
	FelixModernPolicyKeys bool // default false; true: every Felix sends modern policy keys (terway.ClaimFelixModernPolicyKeys), lifting the refusal of Typha v3.32 and later
}

// vouchFields maps each claim to its Vouch field, in terway.Claims order;
// the field is named Vouch.<terway.Claim.Name>.
var vouchFields = [...]struct {
	claim terway.Claim
	get   func(Vouch) bool
}{
	{terway.ClaimEndpointSliceV1, func(v Vouch) bool { return v.EndpointSliceV1 }},
	{terway.ClaimTierCRD, func(v Vouch) bool { return v.TierCRD }},
	{terway.ClaimFelixModernPolicyKeys, func(v Vouch) bool { return v.FelixModernPolicyKeys }},
}

// VouchField returns the Options field that vouches for claim c, such as
// "Vouch.EndpointSliceV1"; "" for a claim Vouch has no field for.
func VouchField(c terway.Claim) string {
	for _, f := range vouchFields {
		if f.claim == c {
			return "Vouch." + c.Name()
		}
	}
	return ""
}

// ErrInvalidOption is wrapped by every [OptionError].
var ErrInvalidOption = errors.New("invalid option")

// OptionError reports an option whose value cannot be rendered.
type OptionError struct {
	Field  string // the Options field, such as "Region" or "Labels[app]"
	Value  any    // the value given, as given: a string, a number, a *resource.Quantity...
	Reason string // what is wrong and what would be accepted
	Err    error  // the underlying error, if any (such as a versioning error)

	// Vouch, for a refused Typha release, is the claim whose Vouch field
	// (see [VouchField]) lifts the refusal: the second way out beside
	// the one Reason names. "" for every other error.
	Vouch terway.Claim
}

// Error reads "Field value: reason", with the value as [OptionError.ValueString]
// shows it; for a refusal that a claim lifts, "; or set Vouch.X to vouch
// that ..." follows.
func (e *OptionError) Error() string {
	msg := e.Field + " " + e.ValueString() + ": " + e.Reason
	if e.Vouch != "" {
		msg += "; or set " + VouchField(e.Vouch) + " to vouch that " + e.Vouch.Says() + ": " + e.Vouch.Proof()
	}
	return msg
}

// ValueString returns Value as Error shows it: a string (or a value of
// any string type) quoted as Go would quote it, a [fmt.Stringer] by its
// String method, anything else as fmt prints it.
func (e *OptionError) ValueString() string {
	switch v := e.Value.(type) {
	case fmt.Stringer:
		return v.String()
	case string:
		return strconv.Quote(v)
	}
	if rv := reflect.ValueOf(e.Value); rv.Kind() == reflect.String {
		return strconv.Quote(rv.String())
	}
	return fmt.Sprint(e.Value)
}

// byteSize is a size in an OptionError: it reads "(N bytes)".
type byteSize int

func (n byteSize) String() string { return fmt.Sprintf("(%d bytes)", int(n)) }

// Unwrap returns the underlying error, if any.
func (e *OptionError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidOption], so that errors.Is finds
// the sentinel as well as the underlying error.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOption }

// checkRegistry returns an error unless registry is host[:port] with an
// optional /path, as in an image reference.
func checkRegistry(registry string) error {
	if !imageref.IsRegistry(registry) {
		return &OptionError{Field: "Registry", Value: registry, Reason: "is not an image registry: want host[:port][/path] such as registry-vpc.cn-hangzhou.aliyuncs.com or registry.example.com:5000/mirror"}
	}
	return nil
}

// resolved is Options after validation, with every default filled in.
type resolved struct {
	Options
	version  versioning.Version
	advice   sizing.Advice
	image    string
	warnings []finding.Finding // render's own, in the order found
	vouched  []terway.Claim    // the claims that lifted a refusal, in terway.Claims order
	regional string            // the Alibaba Cloud registry RegistryStyle names in Region

	autoscalerRegistry string // the autoscaler image's default registry: Registry as given, else regional

	autoscalerImage string // with Autoscaler: the cluster-proportional-autoscaler image reference
}

// Validate reports every option that cannot be rendered, joined into one
// error; each is an [OptionError] naming the field and the value.
func (o Options) Validate() error {
	_, err := o.resolve()
	return err
}

func (o Options) resolve() (resolved, error) {
	r := resolved{Options: o}
	var errs []error
	fail := func(field string, value any, reason string, err error) {
		errs = append(errs, &OptionError{Field: field, Value: value, Reason: reason, Err: err})
	}

	r.Region = strings.TrimSpace(o.Region)
	if w, err := terway.CheckRegion(o.Region); err != nil {
		var re *terway.RegionError
		errors.As(err, &re)
		fail("Region", o.Region, re.Reason, err)
	} else if w != "" {
		r.warn(finding.Ref{}, "", w)
	}

	if v, err := versioning.Parse(o.KubeVersion); err != nil {
		fail("KubeVersion", o.KubeVersion, "is not a Kubernetes version: want the version the cluster reports, such as v1.30.7-aliyun.1", err)
	} else if w, err := versioning.Check(v); err != nil {
		fail("KubeVersion", o.KubeVersion, fmt.Sprintf("is older than %s: supported versions are %s and later, where %s serves the CustomResourceDefinition", versioning.MinSupported(), versioning.MinSupported(), versioning.CRDAPIVersion), err)
	} else {
		r.version = v
		for _, w := range w {
			r.warn(finding.Ref{}, "", w)
		}
	}

	nodesErr := sizing.CheckNodes(o.Nodes)
	if nodesErr != nil {
		fail("Nodes", o.Nodes, fmt.Sprintf("is out of range: want the cluster's node count, %d to %d", sizing.MinNodes, sizing.MaxNodes), nodesErr)
	}
	if o.Replicas < 0 {
		fail("Replicas", o.Replicas, "is below 1: want 1 or more, or leave it unset for the recommendation", nil)
	} else if nodesErr == nil {
		// Cannot fail: both inputs were checked above.
		a, _ := sizing.AdviseReplicas(o.Nodes, o.Replicas)
		r.advice = a
		for _, w := range a.Warnings {
			r.warn(typhaRef("apps/v1", "Deployment"), "spec.replicas", w)
		}
	}

	errs = append(errs, r.resolveImage()...)
	errs = append(errs, r.resolveExtras()...)

	if r.LogSeverity == "" {
		r.LogSeverity = DefaultLogSeverity
	} else if !isLogSeverity(o.LogSeverity) {
		fail("LogSeverity", o.LogSeverity, "is not a Typha log severity: want debug, info, warning, error or fatal", nil)
	}

	for _, k := range slices.Sorted(maps.Keys(o.Labels)) {
		v := o.Labels[k]
		field := fmt.Sprintf("Labels[%s]", k)
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			fail(field, k, "is not a label key: "+strings.Join(msgs, "; "), nil)
		} else if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			fail(field, v, "is not a label value: "+strings.Join(msgs, "; "), nil)
		} else if k == AppLabel && v != Name {
			fail(field, v, fmt.Sprintf("would change the selector: %s is %q on every object, which Felix and the Service rely on", AppLabel, Name), nil)
		}
	}
	total := 0
	for _, k := range slices.Sorted(maps.Keys(o.Annotations)) {
		if k == VouchAnnotation {
			fail(fmt.Sprintf("Annotations[%s]", k), o.Annotations[k], "is reserved: render records on the Deployment the claims given with Vouch that lift a refusal; vouch with Vouch instead", nil)
		}
		total += len(k) + len(o.Annotations[k])
		// Kubernetes checks annotation keys in lower case, so does this.
		if msgs := validation.IsQualifiedName(strings.ToLower(k)); len(msgs) > 0 {
			fail(fmt.Sprintf("Annotations[%s]", k), k, "is not an annotation key: want a qualified name such as example.com/owner: "+strings.Join(msgs, "; "), nil)
		}
	}
	if total > 256*1024 {
		fail("Annotations", byteSize(total), "are larger than the 256 KiB Kubernetes allows on an object", nil)
	}

	for _, name := range slices.Sorted(maps.Keys(o.Resources.Requests)) {
		req := o.Resources.Requests[name]
		if req.Sign() < 0 {
			fail(fmt.Sprintf("Resources.Requests[%s]", name), &req, "is negative: want zero or more", nil)
		}
		if lim, ok := o.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
			fail(fmt.Sprintf("Resources.Requests[%s]", name), &req, fmt.Sprintf("is above its limit %s: want a request no larger than the limit", lim.String()), nil)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(o.Resources.Limits)) {
		if lim := o.Resources.Limits[name]; lim.Sign() < 0 {
			fail(fmt.Sprintf("Resources.Limits[%s]", name), &lim, "is negative: want zero or more", nil)
		}
	}

	if len(errs) > 0 {
		return resolved{}, errors.Join(errs...)
	}
	return r, nil
}

// warn records a warning of render's own about ref's field ("" and the
// zero Ref: about the options as a whole).
func (r *resolved) warn(ref finding.Ref, field, msg string) {
	r.warnings = append(r.warnings, finding.Finding{Severity: finding.Warning, Object: ref, Field: field, Message: msg})
}

// typhaRef names a Typha object of kind.
func typhaRef(apiVersion, kind string) finding.Ref {
	return finding.Ref{APIVersion: apiVersion, Kind: kind, Namespace: Namespace, Name: Name}
}

// isLogSeverity reports whether s names a Typha log severity, in any case
// (Typha parses it case-insensitively).
func isLogSeverity(s string) bool {
	switch strings.ToLower(s) {
	case "debug", "info", "warning", "error", "fatal":
		return true
	}
	return false
}
