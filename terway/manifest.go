package terway

import (
	"path"
	"strconv"
)

// The guide's Typha objects: names, ports and paths, each declared once.
// render builds the objects from them, lint's rules compare manifests with
// them, and the rollout plan's commands and notes name them.
// [the guide, calico-typha.yaml; Calico, typha/pkg/config/config_params.go
// and typha/pkg/syncproto at v3.20.2 and v3.24.5]
const (
	// TyphaName names the Typha Service, Deployment, PodDisruptionBudget
	// and container, and the Service port Felix's Typha discovery looks
	// up by name; it is also the value eni-config's felix_relay_service
	// must hold. [the guide]
	TyphaName = "calico-typha"
	// TyphaNamespace is where the Typha objects live and where Felix looks
	// the Service up. [the guide; Calico typha/pkg/discovery]
	TyphaNamespace = "kube-system"
	// TyphaAppLabel selects the Typha pods; its value is [TyphaName].
	// [the guide]
	TyphaAppLabel = "k8s-app"

	// TyphaPort is the port Typha listens on for Felix: a host port, since
	// Typha runs with hostNetwork, so each node runs one Typha at most.
	// [Calico typha syncproto.DefaultPort; TYPHA_SERVERPORT, default 0,
	// means it]
	TyphaPort = 5473
	// TyphaHealthPort serves [TyphaLivenessPath] and [TyphaReadinessPath]
	// on localhost. [the guide; Calico TYPHA_HEALTHPORT default]
	TyphaHealthPort = 9098
	// TyphaLivenessPath and TyphaReadinessPath are Typha's health
	// endpoints on [TyphaHealthPort]. [the guide]
	TyphaLivenessPath  = "/liveness"
	TyphaReadinessPath = "/readiness"

	// TyphaMetricsPort is the port Typha serves Prometheus metrics on when
	// TYPHA_PROMETHEUSMETRICSENABLED is true: a port of the node, on all
	// of its interfaces. [Calico TYPHA_PROMETHEUSMETRICSPORT default]
	TyphaMetricsPort = 9093
	// TyphaMetricsPath is where the metrics are served. [Calico
	// typha/pkg/daemon, the Prometheus handler]
	TyphaMetricsPath = "/metrics"
	// TyphaMetricsPortName names the metrics container port.
	TyphaMetricsPortName = "metrics"
	// TyphaServerPortEnv overrides [TyphaPort] when set to a number other
	// than 0. [Calico config_params.go, ServerPort]
	TyphaServerPortEnv = "TYPHA_SERVERPORT"

	// typhaImageName is the last path component of every Typha image
	// repository: acs/typha, calico/typha, a mirror's .../typha.
	typhaImageName = "typha"
)

// Texts of the numbers above, for messages and help.
var (
	// TyphaPortText is [TyphaPort] as text.
	TyphaPortText = strconv.Itoa(TyphaPort)
	// TyphaMetricsPortText is [TyphaMetricsPort] as text.
	TyphaMetricsPortText = strconv.Itoa(TyphaMetricsPort)
)

// TyphaPodLabels returns the labels that select the Typha pods, as a
// fresh map: k8s-app: calico-typha.
func TyphaPodLabels() map[string]string { return map[string]string{TyphaAppLabel: TyphaName} }

// Which workload, container and PodDisruptionBudget are Typha's. The
// guide names them all calico-typha; a manifest written otherwise
// (Calico's own, a chart, a mirror) is still recognised by its pods'
// label, its port or its image.

// IsTyphaWorkload reports whether a workload is Typha's: named
// calico-typha, with pods labelled k8s-app: calico-typha, or with a
// container named calico-typha.
func IsTyphaWorkload(name string, podLabels map[string]string, containerNames []string) bool {
	if name == TyphaName || podLabels[TyphaAppLabel] == TyphaName {
		return true
	}
	for _, c := range containerNames {
		if c == TyphaName {
			return true
		}
	}
	return false
}

// IsTyphaContainer reports whether a container of a Typha workload is
// Typha itself: named calico-typha, with a port named calico-typha, or
// running an image whose repository ends in typha (repository: the
// image reference's repository, "" when the image does not parse).
func IsTyphaContainer(name string, portNames []string, repository string) bool {
	if name == TyphaName || (repository != "" && path.Base(repository) == typhaImageName) {
		return true
	}
	for _, p := range portNames {
		if p == TyphaName {
			return true
		}
	}
	return false
}

// IsTyphaPDB reports whether a PodDisruptionBudget is Typha's: named
// calico-typha, or selecting k8s-app: calico-typha.
func IsTyphaPDB(name string, matchLabels map[string]string) bool {
	return name == TyphaName || matchLabels[TyphaAppLabel] == TyphaName
}
