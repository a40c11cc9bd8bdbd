package rules

import (
	"slices"
	"strings"

	"github.com/typharender/typharender/finding"

	"github.com/typharender/typharender/terway"
	"github.com/typharender/typharender/versioning"
)

// Rule IDs. They are stable: CI configurations, SARIF consumers and
// suppressions refer to them. A rule is never renumbered or reused; a
// retired rule keeps its ID out of circulation.
const (
	RulePDBAPINotServed          = "pdb-api-not-served"
	RulePDBAPIDeprecated         = "pdb-api-deprecated"
	RuleReplicasBelowRecommended = "typha-replicas-below-recommended"
	RuleReplicasNotBelowNodes    = "typha-replicas-not-below-nodes"
	RuleImageRegionPlaceholder   = "image-region-placeholder"
	RuleImageRegionMismatch      = "image-region-mismatch"
	RuleImageInvalid             = "image-invalid"
	RuleServicePortName          = "service-port-name"
	RuleServicePortNumber        = "service-port-number"
	RuleServiceSelector          = "service-selector-mismatch"
	RuleDeploymentSelector       = "deployment-selector-mismatch"
	RuleENIPolicyValue           = "eni-policy-value"
	RuleENIPolicyValueLoose      = "eni-policy-value-nonstandard"
	RuleENIRelayServiceMissing   = "eni-relay-service-missing"
	RuleENIRelayUnused           = "eni-relay-unused"
	RuleTyphaRelayNotConfigured  = "typha-relay-not-configured"
	RuleTyphaEndpointSlice       = "typha-endpointslice-api"
	RuleTyphaTierCRD             = "typha-tier-crd"
	RuleTyphaFelixRefused        = "typha-felix-refused"
	RuleTyphaVouched             = "typha-vouched"
	RuleTyphaTagNotRelease       = "typha-image-tag-not-release"
	RuleImageRegionPublic        = "image-region-public-endpoint"
	RuleENIEngineNotFelix        = "eni-engine-not-felix"
	RuleENIRelayValue            = "eni-relay-service-value"

	RuleTyphaContainerPort    = "typha-container-port"
	RuleServiceTargetPortName = "service-target-port-name"
	RulePDBSelector           = "pdb-selector-mismatch"
	RuleENIConfigConflict     = "eni-config-conflict"
	RuleAlertMetricUnknown    = "alert-typha-metric-unknown"
)

// Rule is one check: what it is, what it needs, and the function that runs
// it. Everything else derives from these values: which rules run and
// which are skipped, the SARIF rule metadata, and docs/reference/rules.md.
type Rule struct {
	ID       string           // stable, kebab-case
	Severity finding.Severity // the severity of its findings
	Needs    Fact             // the cluster facts it needs; without one of them it is skipped
	NeedsWhy string           // why it needs them: the end of the skip reason
	Checks   string           // what it checks
	Why      string           // why it matters
	Fix      string           // how to fix a finding

	// Check runs the rule over every object in the Context and reports
	// through it. Lint calls it only when the facts in Needs are known.
	Check func(*Context)
}

// rules is every rule, in the order docs/reference/rules.md lists them.
var rules = [...]Rule{
	{ID: RulePDBAPINotServed, Severity: finding.Error, Needs: FactKubeVersion,
		NeedsWhy: "which PodDisruptionBudget API is served depends on the cluster's version",
		Checks:   "a PodDisruptionBudget's apiVersion is served at the cluster's version: policy/v1 from 1.21, policy/v1beta1 up to 1.24",
		Why:      "kubectl apply fails with no matches for kind PodDisruptionBudget, and the rest of the manifest may be half applied",
		Fix:      "use policy/v1beta1 below 1.21 and policy/v1 from 1.21 (typharender render picks it from the version)",
		Check:    checkPDBNotServed},
	{ID: RulePDBAPIDeprecated, Severity: finding.Warning, Needs: FactKubeVersion,
		NeedsWhy: "which PodDisruptionBudget API is deprecated depends on the cluster's version",
		Checks:   "a PodDisruptionBudget uses policy/v1beta1 on 1.21 to 1.24, where it is served but deprecated",
		Why:      "policy/v1beta1 is removed in 1.25: the manifest breaks on the next upgrade",
		Fix:      "switch to policy/v1 before upgrading to 1.25",
		Check:    checkPDBDeprecated},
	{ID: RuleReplicasBelowRecommended, Severity: finding.Warning, Needs: FactNodes,
		NeedsWhy: "the recommended replica count depends on the cluster's node count",
		Checks:   "the Typha Deployment has at least max(3, ceil(nodes/200)) replicas (when that is below the node count)",
		Why:      "each replica serves about 200 Felix agents; fewer overload Typha, and fewer than 3 leave no redundancy during updates",
		Fix:      "set spec.replicas to the recommendation the message gives",
		Check:    checkReplicasBelowRecommended},
	{ID: RuleReplicasNotBelowNodes, Severity: finding.Error, Needs: FactNodes,
		NeedsWhy: "whether replicas fit one per node depends on the cluster's node count",
		Checks:   "a Typha Deployment whose pods bind a host port (hostNetwork, as Typha runs) has fewer replicas than the cluster has nodes, or, at exactly one per node, a rolling update that stops a pod before it starts one (maxUnavailable of 1 or more once resolved as the Deployment controller does, or Recreate)",
		Why:      "Typha binds host port " + port + ", so each node runs one replica at most; more replicas than nodes stay Pending, and at one per node a rolling update that must surge first has no free node and stalls",
		Fix:      "set spec.replicas below the node count; at 100 nodes or fewer consider running without Typha",
		Check:    checkReplicasNotBelowNodes},
	{ID: RuleImageRegionPlaceholder, Severity: finding.Error,
		Checks: "no Typha container image still holds the guide's {REGION-ID} placeholder",
		Why:    "the image cannot be pulled: the pods stay in ErrImagePull",
		Fix:    "replace {REGION-ID} with the cluster's region ID, such as cn-hangzhou",
		Check:  checkImagePlaceholder},
	{ID: RuleImageRegionMismatch, Severity: finding.Error, Needs: FactRegion,
		NeedsWhy: "the image's registry region is compared with the cluster's",
		Checks:   "a Typha image from an Alibaba Cloud Container Registry VPC endpoint (registry-vpc, registry-intl-vpc, ACK's registry-REGION-vpc.ack, an Enterprise instance's -registry-vpc) is in the cluster's own region",
		Why:      "another region's VPC endpoint is unreachable from the cluster's VPC: the pods stay in ErrImagePull",
		Fix:      "use the same registry family's endpoint in the cluster's region; the message gives it",
		Check:    checkImageRegion},
	{ID: RuleImageInvalid, Severity: finding.Error,
		Checks: "every Typha container image is a valid reference: [registry/]repository[:tag][@sha256:digest]",
		Why:    "the API server or the kubelet refuses it, and the pods never start",
		Fix:    "correct the reference as the message says",
		Check:  checkImageInvalid},
	{ID: RuleServicePortName, Severity: finding.Error,
		Checks: "the Typha Service (calico-typha, or the one felix_relay_service names) has a port named calico-typha",
		Why:    "Felix's Typha discovery looks the port up by that name; without it Felix cannot find Typha",
		Fix:    "name the Service's port calico-typha",
		Check:  checkServicePortName},
	{ID: RuleServicePortNumber, Severity: finding.Error,
		Checks: "the Typha Service's calico-typha port is " + port + ", and its targetPort " + port + " or a port name",
		Why:    "Typha listens on host port " + port + "; any other port connects Felix to nothing",
		Fix:    "set port: " + port + " and targetPort: calico-typha",
		Check:  checkServicePortNumber},
	{ID: RuleServiceSelector, Severity: finding.Error,
		Checks: "the Typha Service's selector selects the Typha Deployment's pods",
		Why:    "a Service that selects no Typha pod has no endpoints, and Felix has no Typha to connect to",
		Fix:    "set spec.selector to k8s-app: calico-typha, the Deployment's pod labels",
		Check:  checkServiceSelector},
	{ID: RuleDeploymentSelector, Severity: finding.Error,
		Checks: "a Deployment's spec.selector matches its own pod template labels",
		Why:    "the API server rejects the Deployment: selector does not match template labels",
		Fix:    "make spec.template.metadata.labels include every spec.selector.matchLabels entry",
		Check:  checkDeploymentSelector},
	{ID: RuleENIPolicyValue, Severity: finding.Error,
		Checks: `eni-config's disable_network_policy is exactly "true" or "false" (a string)`,
		Why:    `Terway compares the value with "false", "0" and "" exactly and reads anything else, "False" and "false\n" from a block scalar included, as disabled; an unquoted boolean is rejected by the API server`,
		Fix:    `write disable_network_policy: "false" (keep NetworkPolicy, use Typha) or "true" (disable it), quoted, on one line`,
		Check:  checkENIPolicyValue},
	{ID: RuleENIPolicyValueLoose, Severity: finding.Warning,
		Checks: `eni-config's disable_network_policy is not "0" or empty`,
		Why:    `Terway reads "0" and "" as enabled, but people and other tools read them otherwise`,
		Fix:    `write "false"`,
		Check:  checkENIPolicyValueLoose},
	{ID: RuleENIRelayServiceMissing, Severity: finding.Warning,
		Checks: "the Service felix_relay_service names is among the linted objects, in kube-system",
		Why:    "Felix looks the Service up in kube-system; without it Felix cannot reach Typha",
		Fix:    "lint eni-config together with the Typha manifests, or correct the name (calico-typha)",
		Check:  checkENIRelayService},
	{ID: RuleENIRelayUnused, Severity: finding.Warning,
		Checks: "felix_relay_service is not set while disable_network_policy disables NetworkPolicy",
		Why:    "with NetworkPolicy disabled Terway runs no Felix, so Typha is deployed for nothing",
		Fix:    `remove felix_relay_service and the Typha objects, or set disable_network_policy to "false"`,
		Check:  checkENIRelayUnused},
	{ID: RuleTyphaRelayNotConfigured, Severity: finding.Info,
		Checks: "when Typha is deployed on a Terway cluster (an eni-config among the inputs, or the Terway fact), a linted eni-config sets felix_relay_service",
		Why:    "until felix_relay_service is set and Terway restarts, every Felix keeps watching the API server and Typha serves no one",
		Fix:    "set data.felix_relay_service: calico-typha in kube-system/eni-config (a top-level key, not part of eni_conf), restart Terway, and lint eni-config with the manifests",
		Check:  checkTyphaRelayConfigured},
	{ID: RuleTyphaEndpointSlice, Severity: finding.Error, Needs: FactKubeVersion,
		NeedsWhy: "whether the cluster still serves discovery.k8s.io/v1beta1 depends on its version",
		Checks:   "the Typha image tag is not v3.20 to v3.22 on Kubernetes " + sliceKube + " or later, unless the Deployment vouches that the image lists EndpointSlices through discovery.k8s.io/v1 (" + vouchText(terway.ClaimEndpointSliceV1) + ")",
		Why:      "Typha v3.20 to v3.22 lists EndpointSlices through discovery.k8s.io/v1beta1, removed in " + sliceKube + ": it turns Ready but never brings Felix in sync, and Felix programs no NetworkPolicy until it is (measured with upstream v3.20.2 against Kubernetes 1.37); render refuses it",
		Fix:      "use " + terway.TyphaWindowText() + " (typharender renders " + defaultTag(terway.KubeWithoutEndpointSliceV1beta1()) + " from " + sliceKube + "), or, for an image that carries the fix, vouch for it (render --set " + terway.ClaimEndpointSliceV1.ValuesKey() + "=true) and let the typha plan's in-sync gate prove it",
		Check:    checkTyphaEndpointSlice},
	{ID: RuleTyphaTierCRD, Severity: finding.Error,
		Checks: "on a Terway cluster (an eni-config among the inputs, or the Terway fact), the Typha image tag is below v3.29.0, unless the Deployment vouches that the cluster has Calico's Tier CRD (" + vouchText(terway.ClaimTierCRD) + ")",
		Why:    "from v3.29 Typha creates Calico Tiers when it starts, and Terway installs no Tier CRD: it never turns Ready (measured with v3.29.7 and v3.31.7 as Terway's ServiceAccount with Terway's CRDs); render refuses it",
		Fix:    "use " + terway.TyphaWindowText() + ", or install Calico's Tier CRD and RBAC and vouch for it (render --set " + terway.ClaimTierCRD.ValuesKey() + "=true)",
		Check:  checkTyphaTierCRD},
	{ID: RuleTyphaFelixRefused, Severity: finding.Error,
		Checks: "on a Terway cluster (an eni-config among the inputs, or the Terway fact), the Typha image tag is below v3.32.0, unless the Deployment vouches that every Felix sends modern policy keys (" + vouchText(terway.ClaimFelixModernPolicyKeys) + ")",
		Why:    "Typha v3.32.0 and later disconnect Felix clients without modern policy keys, and every Terway since v1.5.1 ships Felix v3.24.5, which has none; render refuses it",
		Fix:    "use " + terway.TyphaWindowText(),
		Check:  checkTyphaFelixRefused},
	{ID: RuleTyphaVouched, Severity: finding.Info,
		Checks: "a Typha Deployment that vouches for a claim (typharender.github.io/vouch) is listed, with what it claims",
		Why:    "a claim lifts a refusal that the version table would make; until the typha plan's in-sync gate proves it in the cluster, it is only a claim",
		Fix:    "run the typha plan's gates before eni-config changes; remove the annotation (and the vouch.* key) when the image no longer needs it",
		Check:  checkTyphaVouched},
	{ID: RuleTyphaTagNotRelease, Severity: finding.Warning,
		Checks: "the Typha image tag names a release (vX.Y.Z), not latest, a branch or nothing",
		Why:    "the version table cannot check an image that names no release, and latest or no tag may pull a different Typha on each node as the tag moves",
		Fix:    "pin a release tag, such as " + defaultTag(terway.KubeWithoutEndpointSliceV1beta1()) + " (" + defaultTag(versioning.MinSupported()) + " below Kubernetes " + sliceKube + ")",
		Check:  checkTyphaTagNotRelease},
	{ID: RuleImageRegionPublic, Severity: finding.Warning, Needs: FactRegion,
		NeedsWhy: "the image's registry region is compared with the cluster's",
		Checks:   "a Typha image from an Alibaba Cloud Container Registry public endpoint is in the cluster's own region",
		Why:      "another region's public endpoint pulls over the internet: slower, billed, and only where the nodes reach the internet",
		Fix:      "use the same registry family's endpoint in the cluster's region, preferably the VPC one",
		Check:    checkImageRegionPublic},
	{ID: RuleENIEngineNotFelix, Severity: finding.Warning,
		Checks: "when Typha is deployed or relayed to, the linted eni-config makes Felix the NetworkPolicy engine",
		Why:    "Typha relays only for Felix: network_policy_provider ebpf, eniip_virtual_type datapathv2 or ipvlan (Cilium) and a disabled NetworkPolicy (no agent) leave it serving no one",
		Fix:    "deploy Typha only where Felix enforces NetworkPolicy, or remove it and felix_relay_service",
		Check:  checkENIEngineNotFelix},
	{ID: RuleENIRelayValue, Severity: finding.Error,
		Checks: "eni-config's felix_relay_service is one Service name on one line, and not none while Typha is deployed",
		Why:    "Felix refuses a value with white space or a newline (a YAML | block) and runs without Typha, silently; none means no Typha",
		Fix:    "write data.felix_relay_service: calico-typha, on one line",
		Check:  checkENIRelayValue},
	{ID: RuleTyphaContainerPort, Severity: finding.Error,
		Checks: "the Typha container's port named calico-typha is the port Typha listens on: " + port + ", or " + terway.TyphaServerPortEnv + " when set",
		Why:    "the Service's named targetPort resolves to the containerPort, so Felix connects to a port Typha does not listen on",
		Fix:    "set containerPort: " + port + " (or the " + terway.TyphaServerPortEnv + " value) on the port named calico-typha",
		Check:  checkTyphaContainerPort},
	{ID: RuleServiceTargetPortName, Severity: finding.Error,
		Checks: "a named targetPort of the Typha Service's calico-typha port is the name of a container port of the Typha Deployment",
		Why:    "a targetPort name no container port carries gives the Service no endpoints, and Felix finds no Typha",
		Fix:    "set targetPort: calico-typha and name the Typha container's port " + port + " calico-typha",
		Check:  checkServiceTargetPortName},
	{ID: RulePDBSelector, Severity: finding.Warning,
		Checks: "the Typha PodDisruptionBudget (named calico-typha, or selecting k8s-app: calico-typha) selects the Typha Deployment's pods",
		Why:    "a budget that selects no Typha pod protects none: a node drain may evict every replica at once",
		Fix:    "set spec.selector.matchLabels to k8s-app: calico-typha, the Deployment's pod labels",
		Check:  checkPDBSelector},
	{ID: RuleENIConfigConflict, Severity: finding.Error,
		Checks: "at most one kube-system/eni-config among the inputs, or several with the same data",
		Why:    "the one applied last replaces the others, so Terway reads settings other than those the rules judged",
		Fix:    "keep one eni-config among the inputs (the live one, or the file that replaces it)",
		Check:  checkENIConfigConflict},
	{ID: RuleAlertMetricUnknown, Severity: finding.Warning,
		Checks: "every typha_* name in a PrometheusRule's expressions is a metric that every Typha release typharender renders serves (" + strings.Join(terway.TyphaMetricReleases(), ", ") + ")",
		Why:    "an expression over a metric Typha does not serve (a typo, or typha_connections_streaming, which only v3.28 and later serve) selects nothing: the alert never fires, and no one notices",
		Fix:    "use the metric names of Typha's sources (typha_connections_active, typha_ping_latency, typha_client_snapshot_send_secs...), as typharender render --set alerts.enabled=true writes them",
		Check:  checkAlertMetrics},
}

// Facts the rules' texts name, from package terway.
var (
	port      = terway.TyphaPortText                              // the port as text
	sliceKube = terway.KubeWithoutEndpointSliceV1beta1().String() // "1.25"
)

// vouchText is the annotation that vouches for c: "typharender.github.io/vouch: endpointslice-v1".
func vouchText(c terway.Claim) string { return terway.VouchAnnotation + ": " + string(c) }

// defaultTag is the tag of the default Typha image at Kubernetes v.
func defaultTag(v versioning.Version) string { return terway.DefaultTyphaFor(v).Image.Tag }

// Rules returns every rule, in the order docs/reference/rules.md lists them.
// The slice is fresh on every call.
func Rules() []Rule { return slices.Clone(rules[:]) }
