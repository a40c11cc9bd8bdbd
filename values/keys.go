package values

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/terway"
)

// row is one values key: the single place the schema is written. Applying
// a key, unknown-key errors and what they want, [KeyForField],
// [Required], docs/reference/values.md's table and the render --help text are
// all derived from rows. Adding a key is one row (and its tests).
type row struct {
	key      string // the dotted key; a map-valued row ends in a placeholder segment, as in labels.<key>
	field    string // the render.Options field it sets, as render.OptionError names it: "Tag", "Labels", "Resources.Requests"
	accepts  string // what a value may be, as errors say after "want"
	group    string // map-valued rows: what the whole mapping accepts, as errors say after "want"
	example  string // a --set expression that applies and renders
	doc      string // one line for docs/reference/values.md
	required bool   // every cluster needs it
	set      setter // how a value is parsed and stored
}

// Facts the docs name, from terway's default-image table.
var (
	cutoff     = terway.KubeWithoutEndpointSliceV1beta1().String()                      // where the default image changes
	guideImage = terway.DefaultTyphas()[0].Image                                        // the default before it
	newImage   = terway.DefaultTyphaFor(terway.KubeWithoutEndpointSliceV1beta1()).Image // the default from it
)

// rows is the values table, in documentation order. It is never written
// to.
var rows = []row{
	{
		key: "region", field: "Region", required: true, set: text(func(o *render.Options) *string { return &o.Region }),
		accepts: "an Alibaba Cloud region ID such as cn-hangzhou",
		example: "region=cn-hangzhou",
		doc:     "required: the cluster's Alibaba Cloud region ID; it names the image registry",
	},
	{
		key: "nodes", field: "Nodes", required: true, set: count(func(o *render.Options) *int { return &o.Nodes }),
		accepts: "the cluster's node count, such as 1000",
		example: "nodes=1000",
		doc:     "required: the cluster's node count, 1 to 100000; it sets the replicas",
	},
	{
		key: "kubeVersion", field: "KubeVersion", required: true, set: text(func(o *render.Options) *string { return &o.KubeVersion }),
		accepts: "the Kubernetes version the cluster reports, such as v1.30.7-aliyun.1",
		example: "kubeVersion=v1.30.7-aliyun.1",
		doc:     "required: the Kubernetes version the cluster reports, 1.16 or later; it picks the API versions",
	},
	{
		key: "image.registry", field: "Registry", set: text(func(o *render.Options) *string { return &o.Registry }),
		accepts: "a string",
		example: "image.registry=my-team-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
		doc:     "the image registry, host[:port][/path]; default, below Kubernetes " + cutoff + ", the VPC endpoint of `image.registryStyle` in the region, and from " + cutoff + " `" + newImage.Registry + "`; on an Alibaba Cloud Personal Edition or ACK host (namespaces of other accounts) give `image.repository` too from " + cutoff,
	},
	{
		key: "image.registryStyle", field: "RegistryStyle", set: text(func(o *render.Options) *string { return &o.RegistryStyle }),
		accepts: "guide, ack or intl",
		example: "image.registryStyle=intl,image.repository=my-namespace/typha",
		doc:     "an Alibaba Cloud registry host in the region: `guide` (`registry-vpc.{region}.aliyuncs.com`, the default below " + cutoff + "), `ack` (`registry-{region}-vpc.ack.aliyuncs.com`, ACK's system images) or `intl` (`registry-intl-vpc.{region}.aliyuncs.com`); not with `image.registry`; from " + cutoff + " only with `image.repository` (the default image is not on those hosts)",
	},
	{
		key: "image.repository", field: "Repository", set: text(func(o *render.Options) *string { return &o.Repository }),
		accepts: "a string",
		example: "image.repository=calico/typha",
		doc:     "the image repository; default `" + guideImage.Repository + "` below Kubernetes " + cutoff + ", `" + newImage.Repository + "` from " + cutoff + " (then another one needs `image.registry` or `image.registryStyle`)",
	},
	{
		key: "image.tag", field: "Tag", set: text(func(o *render.Options) *string { return &o.Tag }),
		accepts: "a string",
		example: "image.tag=v3.24.5",
		doc:     "the image tag; default `" + guideImage.Tag + "` below Kubernetes " + cutoff + ", `" + newImage.Tag + "` from " + cutoff + "; a release the version table says cannot serve Terway's Felix there (v3.20 to v3.22 from " + cutoff + ", v3.29 and later) is refused unless vouched for (`vouch.*`)",
	},
	{
		key: "image.digest", field: "Digest", set: text(func(o *render.Options) *string { return &o.Digest }),
		accepts: "a string",
		example: "image.digest=sha256:" + strings.Repeat("0123456789abcdef", 4),
		doc:     "pins the image as repository:tag@digest; `sha256:` and 64 hex digits",
	},
	{
		key: "vouch.endpointSliceV1", field: "Vouch.EndpointSliceV1", set: boolean(func(o *render.Options) *bool { return &o.Vouch.EndpointSliceV1 }),
		accepts: "true or false",
		example: "vouch.endpointSliceV1=true",
		doc:     "vouch that the Typha image lists EndpointSlices through `discovery.k8s.io/v1` (a v3.20 to v3.22 build with Calico's v3.23 change): lifts the refusal of Typha v3.20 to v3.22 on Kubernetes " + cutoff + " and later, and only that; recorded on the Deployment (`" + terway.VouchAnnotation + ": " + string(terway.ClaimEndpointSliceV1) + "`), and proved by the typha plan's in-sync gate before eni-config changes; default `false`",
	},
	{
		key: "vouch.tierCRD", field: "Vouch.TierCRD", set: boolean(func(o *render.Options) *bool { return &o.Vouch.TierCRD }),
		accepts: "true or false",
		example: "vouch.tierCRD=true",
		doc:     "vouch that the cluster serves Calico's Tier CRD (`tiers.crd.projectcalico.org`; for v3.29 the AdminNetworkPolicy CRD too) and Typha's ServiceAccount may create Tiers and list and watch `adminnetworkpolicies`, `baselineadminnetworkpolicies` and `clusternetworkpolicies` (measured: the Tier CRD alone is not enough): lifts the refusal of Typha v3.29 and later, which Terway's CRDs alone leave never Ready, and only that; recorded as `" + string(terway.ClaimTierCRD) + "`, proved by the in-sync gate; default `false`",
	},
	{
		key: "vouch.felixModernPolicyKeys", field: "Vouch.FelixModernPolicyKeys", set: boolean(func(o *render.Options) *bool { return &o.Vouch.FelixModernPolicyKeys }),
		accepts: "true or false",
		example: "vouch.felixModernPolicyKeys=true",
		doc:     "vouch that every Felix in the cluster sends modern policy keys (a Terway whose Felix is newer than v3.24.5): lifts the refusal of Typha v3.32 and later, which disconnects Terway's Felix 3.24.5, and only that; recorded as `" + string(terway.ClaimFelixModernPolicyKeys) + "`, proved by the canary gate; default `false`",
	},
	{
		key: "replicas", field: "Replicas", set: nonZero(count(func(o *render.Options) *int { return &o.Replicas }), "is not a replica count: want 1 or more, or leave replicas out (or null) for the recommendation"),
		accepts: "a replica count such as 5, or null for the recommendation",
		example: "replicas=7",
		doc:     "Typha replicas, 1 or more (0 is refused); leave it out, or null, for the default: one per 200 nodes, at least 3",
	},
	{
		key: "labels.<key>", field: "Labels", set: stringMap(func(o *render.Options) *map[string]string { return &o.Labels }),
		accepts: "a string value",
		group:   "a mapping of label keys to values",
		example: `labels.app\.kubernetes\.io/name=typha`,
		doc:     "a label on every object and the pod template; `k8s-app` is reserved for the selector",
	},
	{
		key: "annotations.<key>", field: "Annotations", set: stringMap(func(o *render.Options) *map[string]string { return &o.Annotations }),
		accepts: "a string value",
		group:   "a mapping of annotation keys to values",
		example: `annotations.example\.com/owner=net-team`,
		doc:     "an annotation on every object and the pod template",
	},
	{
		key: "resources.requests.<name>", field: "Resources.Requests", set: quantities(func(o *render.Options) *corev1.ResourceList { return &o.Resources.Requests }),
		accepts: "a quantity such as 250m or 512Mi",
		group:   "a mapping of resource names to quantities, such as cpu: 250m",
		example: "resources.requests.cpu=250m",
		doc:     "the container's request for a resource: cpu, memory, ephemeral-storage, `hugepages-<size>` or an extended resource",
	},
	{
		key: "resources.limits.<name>", field: "Resources.Limits", set: quantities(func(o *render.Options) *corev1.ResourceList { return &o.Resources.Limits }),
		accepts: "a quantity such as 250m or 512Mi",
		group:   "a mapping of resource names to quantities, such as cpu: 250m",
		example: "resources.limits.memory=512Mi",
		doc:     "the container's limit for a resource, as for requests",
	},
	{
		key: "logSeverity", field: "LogSeverity", set: text(func(o *render.Options) *string { return &o.LogSeverity }),
		accepts: "debug, info, warning, error or fatal",
		example: "logSeverity=warning",
		doc:     "Typha's log level: debug, info, warning, error or fatal; default `info`",
	},
	{
		key: "metrics.enabled", field: "Metrics", set: boolean(func(o *render.Options) *bool { return &o.Metrics }),
		accepts: "true or false",
		example: "metrics.enabled=true",
		doc:     "Typha's Prometheus metrics on port " + terway.TyphaMetricsPortText + " (named `" + terway.TyphaMetricsPortName + "`) of every node it runs on, all interfaces, with `prometheus.io/*` scrape annotations; the typha plan then counts connected Felix agents; default `false`",
	},
	{
		key: "alerts.enabled", field: "Alerts", set: boolean(func(o *render.Options) *bool { return &o.Alerts }),
		accepts: "true or false",
		example: "alerts.enabled=true,metrics.enabled=true",
		doc:     "render a `PrometheusRule` (`monitoring.coreos.com/v1`, for a Prometheus Operator such as ACK's ack-prometheus-operator) with Typha's alerts: no Felix connected, connections below half the nodes, a replica unavailable (kube-state-metrics), ping or snapshot latency high, restarts; needs `metrics.enabled`; docs/alerts.md gives each threshold's reason; default `false`",
	},
	{
		key: "zoneSpread.enabled", field: "ZoneSpread", set: boolean(func(o *render.Options) *bool { return &o.ZoneSpread }),
		accepts: "true or false",
		example: "zoneSpread.enabled=true",
		doc:     "spread the replicas over zones: a `topologySpreadConstraints` entry on `topology.kubernetes.io/zone`, maxSkew 1, ScheduleAnyway; Kubernetes 1.19 or later; default `false`",
	},
	{
		key: "autoscaler.enabled", field: "Autoscaler", set: boolean(func(o *render.Options) *bool { return &o.Autoscaler }),
		accepts: "true or false",
		example: "autoscaler.enabled=true",
		doc:     "render cluster-proportional-autoscaler (`linear`: one replica per 200 nodes that run Felix, at least 3) and leave the Deployment's `spec.replicas` out; not with `replicas`; default `false`",
	},
	{
		key: "autoscaler.image.registry", field: "AutoscalerRegistry", set: text(func(o *render.Options) *string { return &o.AutoscalerRegistry }),
		accepts: "a string",
		example: "autoscaler.image.registry=registry-intl-vpc.cn-hangzhou.aliyuncs.com",
		doc:     "the autoscaler image's registry; default `image.registry` when given, else the VPC endpoint of `image.registryStyle` in the region (also from " + cutoff + ", where Typha's default is on " + newImage.Registry + ")",
	},
	{
		key: "autoscaler.image.repository", field: "AutoscalerRepository", set: text(func(o *render.Options) *string { return &o.AutoscalerRepository }),
		accepts: "a string",
		example: "autoscaler.image.repository=acs/cluster-proportional-autoscaler",
		doc:     "the autoscaler image's repository; default `acs/cluster-proportional-autoscaler`, the image ACK documents for its DNS autoscaler",
	},
	{
		key: "autoscaler.image.tag", field: "AutoscalerTag", set: text(func(o *render.Options) *string { return &o.AutoscalerTag }),
		accepts: "a string",
		example: "autoscaler.image.tag=1.8.4",
		doc:     "the autoscaler image's tag; default `1.8.4`, the tag in ACK's \"Optimize DNS resolution for an ACK cluster\" (优化集群DNS性能)",
	},
}

// segments returns the row's key split at dots.
func (r *row) segments() []string { return strings.Split(r.key, ".") }

// isMap reports whether the row is a map-valued group, such as labels.<key>.
func (r *row) isMap() bool { return strings.HasSuffix(r.key, ">") }

// prefix returns the segments that name a value: all of them for a plain
// row, the group's for a map-valued row (labels for labels.<key>).
func (r *row) prefix() []string {
	s := r.segments()
	if r.isMap() {
		return s[:len(s)-1]
	}
	return s
}

// exampleKey returns the key of the row's example, such as
// resources.requests.cpu.
func (r *row) exampleKey() string {
	k, _, _ := strings.Cut(r.example, "=")
	return k
}

// setter parses and stores the value of one row.
type setter struct {
	// apply stores value (nil for null, which restores the default) under
	// name, the map key of a map-valued row ("" otherwise; "" with nil
	// clears a whole map). It returns what is wrong, or "". want is what
	// the key accepts.
	apply func(o *render.Options, name string, value *string, want string) (reason string)
	// missing reports whether a required row has no value; set says
	// whether the key was given at all.
	missing func(o *render.Options, set bool) bool
}

// text is a string kept as written.
func text(field func(*render.Options) *string) setter {
	return setter{
		apply: func(o *render.Options, _ string, value *string, _ string) string {
			*field(o) = ""
			if value != nil {
				*field(o) = *value
			}
			return ""
		},
		missing: func(o *render.Options, _ bool) bool { return *field(o) == "" },
	}
}

// count is a whole number; surrounding space is ignored.
func count(field func(*render.Options) *int) setter {
	return setter{
		apply: func(o *render.Options, _ string, value *string, want string) string {
			if value == nil {
				*field(o) = 0
				return ""
			}
			n, err := strconv.Atoi(strings.TrimSpace(*value))
			if err != nil {
				return fmt.Sprintf("%q is not a whole number: want %s", *value, want)
			}
			*field(o) = n
			return ""
		},
		// A 0 that was given is reported by render as out of range.
		missing: func(o *render.Options, set bool) bool { return *field(o) == 0 && !set },
	}
}

// nonZero refuses a number that parses as 0, with reason after the
// quoted value: for a key whose 0 would otherwise mean the default
// (render.Options' zero value), so that only an absent or null key asks
// for the default.
func nonZero(c setter, reason string) setter {
	apply := c.apply
	c.apply = func(o *render.Options, name string, value *string, want string) string {
		if value != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(*value)); err == nil && n == 0 {
				return fmt.Sprintf("%q %s", *value, reason)
			}
		}
		return apply(o, name, value, want)
	}
	return c
}

// boolean is true or false; surrounding space is ignored.
func boolean(field func(*render.Options) *bool) setter {
	return setter{
		apply: func(o *render.Options, _ string, value *string, want string) string {
			if value == nil {
				*field(o) = false
				return ""
			}
			switch strings.TrimSpace(*value) {
			case "true":
				*field(o) = true
			case "false":
				*field(o) = false
			default:
				return fmt.Sprintf("%q is not a boolean: want %s", *value, want)
			}
			return ""
		},
		missing: func(o *render.Options, _ bool) bool { return !*field(o) },
	}
}

// stringMap is a map of strings, one key per entry.
func stringMap(field func(*render.Options) *map[string]string) setter {
	return setter{
		apply: func(o *render.Options, name string, value *string, _ string) string {
			m := field(o)
			switch {
			case name == "" && value == nil:
				*m = nil
			case value == nil:
				delete(*m, name)
			default:
				if *m == nil {
					*m = map[string]string{}
				}
				(*m)[name] = *value
			}
			return ""
		},
		missing: func(o *render.Options, _ bool) bool { return len(*field(o)) == 0 },
	}
}

// quantities is a Kubernetes resource list: resource names to quantities.
func quantities(field func(*render.Options) *corev1.ResourceList) setter {
	return setter{
		apply: func(o *render.Options, name string, value *string, _ string) string {
			list := field(o)
			if name == "" && value == nil {
				*list = nil
				return ""
			}
			rn := corev1.ResourceName(name)
			if !resourceName(rn) {
				return fmt.Sprintf("%q is not a resource name: want cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource such as example.com/device", name)
			}
			if value == nil {
				delete(*list, rn)
				return ""
			}
			q, err := resource.ParseQuantity(strings.TrimSpace(*value))
			if err != nil {
				return fmt.Sprintf("%q is not a quantity: want a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi", *value)
			}
			if *list == nil {
				*list = corev1.ResourceList{}
			}
			(*list)[rn] = q
			return ""
		},
		missing: func(o *render.Options, _ bool) bool { return len(*field(o)) == 0 },
	}
}

// resourceName reports whether name is a container resource Kubernetes
// accepts: a standard name, hugepages-<size>, or a domain-prefixed name.
func resourceName(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
		return true
	}
	s := string(name)
	return strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) || strings.Contains(s, "/")
}

// match is what a dotted key path names in the table.
type match struct {
	row   *row     // the row p sets, or the map-valued row p is too deep for; nil for a group
	name  string   // the map key, for a map-valued row
	group []string // p names a group of rows, such as image or labels
	deep  bool     // p goes below the entries of a map-valued row
}

// lookup finds what p names. For a path that is not a key it returns the
// index of the first unknown segment and what would be accepted there.
func lookup(p []string) (m match, unknownAt int, reason string) {
	for i := range p {
		known, next := p[:i], p[:i+1]
		last := i == len(p)-1
		if r := rowAt(next); r != nil {
			if !last {
				return match{}, i + 1, strings.Join(next, ".") + " is a scalar, not a mapping"
			}
			return match{row: r}, -1, ""
		}
		if r := mapRowOf(known); r != nil {
			return match{row: r, name: p[i], deep: !last}, -1, ""
		}
		if len(rowsUnder(next)) > 0 {
			if last {
				return match{group: next}, -1, ""
			}
			continue
		}
		if i == 0 {
			return match{}, 0, "want one of " + topKeys()
		}
		return match{}, i, "want " + keyList(rowsUnder(known))
	}
	return match{}, 0, "want one of " + topKeys() // p is empty
}

// rowAt returns the plain (not map-valued) row whose key is p.
func rowAt(p []string) *row {
	for i := range rows {
		if r := &rows[i]; !r.isMap() && slices.Equal(r.segments(), p) {
			return r
		}
	}
	return nil
}

// mapRowOf returns the map-valued row whose group is p, such as
// labels.<key> for labels.
func mapRowOf(p []string) *row {
	for i := range rows {
		if r := &rows[i]; r.isMap() && slices.Equal(r.prefix(), p) {
			return r
		}
	}
	return nil
}

// rowsUnder returns the rows inside the group p: those whose value path
// starts with p and is longer, or map-valued rows whose group is p.
func rowsUnder(p []string) []*row {
	var out []*row
	for i := range rows {
		r := &rows[i]
		pre := r.prefix()
		if len(pre) >= len(p) && slices.Equal(pre[:len(p)], p) && (len(pre) > len(p) || r.isMap()) {
			out = append(out, r)
		}
	}
	return out
}

// topKeys lists the first segments of the keys, in table order.
func topKeys() string {
	var top []string
	for i := range rows {
		if s := rows[i].segments()[0]; !slices.Contains(top, s) {
			top = append(top, s)
		}
	}
	return strings.Join(top, ", ")
}

// keyList lists the keys of rs as "a, b or c", with an example key when
// one of them is map-valued.
func keyList(rs []*row) string {
	keys := make([]string, len(rs))
	such := ""
	for i, r := range rs {
		keys[i] = r.key
		if r.isMap() && such == "" {
			such = ", such as " + r.exampleKey()
		}
	}
	return orList(keys) + such
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// want says what the key path p accepts.
func want(p []string) string {
	m, i, _ := lookup(p)
	switch {
	case i >= 0:
		return "one of " + topKeys()
	case m.row != nil && m.deep:
		return m.row.key + ": value"
	case m.row != nil:
		return m.row.accepts
	}
	if r := mapRowOf(m.group); r != nil {
		return r.group
	}
	var children []string
	for _, r := range rowsUnder(m.group) {
		if s := r.segments()[len(m.group)]; !slices.Contains(children, s) {
			children = append(children, s)
		}
	}
	return "a mapping with " + orList(children)
}

// accepts says what key accepts; key is a dotted key such as image.tag.
func accepts(key string) string { return want(strings.Split(key, ".")) }

// KeyForField returns the values key for a [render.OptionError] field:
// "Registry" -> "image.registry", "Labels[app]" -> "labels.app",
// "Resources.Requests[cpu]" -> "resources.requests.cpu". An unknown field
// is returned as it is.
func KeyForField(field string) string {
	name, sub, _ := strings.Cut(field, "[")
	sub = strings.TrimSuffix(sub, "]")
	for i := range rows {
		r := &rows[i]
		if r.field != name {
			continue
		}
		key := strings.Join(r.prefix(), ".")
		if sub != "" {
			key += "." + sub
		}
		return key
	}
	return field
}

// Required lists the keys every cluster needs.
func Required() []string {
	var keys []string
	for i := range rows {
		if rows[i].required {
			keys = append(keys, rows[i].key)
		}
	}
	return keys
}
