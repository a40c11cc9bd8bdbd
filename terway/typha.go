package terway

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/typharender/typharender/versioning"
)

// Release is a vX.Y.Z release of Terway, Felix or Typha, compared on its
// numbers alone.
type Release struct{ Major, Minor, Patch int }

// ParseRelease reads a release tag such as v3.24.5, 3.24 or
// v1.17.5-aliyun.1: an optional v, two or three numbers, and any suffix
// after a '-' or '+' (ignored). ok is false for anything else (latest, a
// digest, a branch name).
func ParseRelease(tag string) (r Release, ok bool) {
	s := strings.TrimPrefix(strings.TrimSpace(tag), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Release{}, false
	}
	nums := [3]int{}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Release{}, false
		}
		nums[i] = n
	}
	return Release{nums[0], nums[1], nums[2]}, true
}

func (r Release) String() string { return fmt.Sprintf("v%d.%d.%d", r.Major, r.Minor, r.Patch) }

// Less reports whether r is an older release than o.
func (r Release) Less(o Release) bool {
	if r.Major != o.Major {
		return r.Major < o.Major
	}
	if r.Minor != o.Minor {
		return r.Minor < o.Minor
	}
	return r.Patch < o.Patch
}

// felixByTerway: the Felix each Terway release line builds into its policy
// image, oldest first; a row holds from its release up to the next row.
// Source: AliyunContainerService/terway, GIT_BRANCH in Dockerfile (v1.0.10),
// Dockerfile (v1.1.0–v1.2.0), Dockerfile.policy (v1.2.1–v1.11.5),
// deploy/images/policy/Dockerfile (v1.12.1 to 89aadf8b), read at every tag;
// the move to v3.24.5 is commit 7a67b8c6 "policy: bump calico-felix to
// v3.24.5" (2023-04-13), first released in v1.5.1.
var felixByTerway = [...]struct{ terway, felix Release }{
	{Release{1, 0, 10}, Release{3, 5, 2}},
	{Release{1, 1, 0}, Release{3, 20, 2}},
	{Release{1, 5, 1}, Release{3, 24, 5}},
}

// CurrentFelix returns the Felix every Terway release since v1.5.1 ships
// (with Terway's patches), up to the newest this table was checked
// against (v1.17.5, 89aadf8b): v3.24.5.
func CurrentFelix() Release { return felixByTerway[len(felixByTerway)-1].felix }

// FelixForTerway returns the Felix release a Terway release ships, and
// false for a Terway older than v1.0.10, which this table does not know.
func FelixForTerway(terway Release) (Release, bool) {
	felix, ok := Release{}, false
	for _, row := range felixByTerway {
		if terway.Less(row.terway) {
			break
		}
		felix, ok = row.felix, true
	}
	return felix, ok
}

// The Typha releases that bound what works with Terway.
var (
	// typhaEndpointSlices is the first Typha whose libcalico-go lists
	// EndpointSlices at all (for service-based policy rules): older ones
	// do not, and so do not meet the EndpointSlice problem. Source:
	// projectcalico/libcalico-go release-v3.20, commit 6f408641 "Add
	// EndpointSlices and new service policy rules to syncer" (2021-07-22);
	// release-v3.19 has no kubeendpointslice.go.
	typhaEndpointSlices = Release{3, 20, 0}
	// typhaEndpointSliceV1 is the first Typha whose libcalico-go lists
	// EndpointSlices through discovery.k8s.io/v1 (Calico v3.23.0); older
	// ones use discovery.k8s.io/v1beta1, which Kubernetes 1.25 removed.
	// Source: calico lib/backend/k8s/resources/kubeendpointslice.go at
	// the v3.20.2-typha pins and in v3.23.0; projectcalico/calico#6990.
	typhaEndpointSliceV1 = Release{3, 23, 0}
	// typhaModernPolicyKeys is the first Typha that disconnects Felix
	// clients without modern policy keys ("Client does not support modern
	// policy keys, disconnecting."), which every Felix Terway ships lacks.
	// Source: calico typha/pkg/syncserver/sync_server.go.
	typhaModernPolicyKeys = Release{3, 32, 0}
	// kubeWithoutEndpointSliceV1beta1 is the first Kubernetes that no
	// longer serves discovery.k8s.io/v1beta1.
	kubeWithoutEndpointSliceV1beta1 = versioning.New(1, 25)
	// felixModernPolicyKeysAfter: every Felix below it lacks modern policy
	// keys. Only the Felix releases Terway ships (v3.24.5 at most) are
	// known to lack them; newer ones are not judged.
	felixModernPolicyKeysAfter = Release{3, 25, 0}
)

// Problem is a way a Typha release fails a cluster.
type Problem string

// The problems [CheckTypha] finds.
const (
	// ProblemEndpointSlice: Typha v3.20 to v3.22 on Kubernetes 1.25 or
	// later turns Ready but never brings Felix in sync; Felix programs no
	// policy before it is in sync.
	ProblemEndpointSlice Problem = "endpointslice-v1beta1"
	// ProblemFelixRefused: Typha v3.32.0 or later disconnects the Felix
	// that Terway ships.
	ProblemFelixRefused Problem = "felix-refused"
)

// EndpointSliceLogLine is what Typha v3.20 to v3.22 logs, about once a
// second, on Kubernetes 1.25 or later: the line to look for in its log.
// Measured with upstream Typha v3.20.2 against kube-apiserver v1.37.2.
const EndpointSliceLogLine = "Unable to list K8s EndpointSlice resources"

// TyphaFinding is one way a Typha release fails a cluster, and why.
type TyphaFinding struct {
	Problem Problem
	Message string // why, and what to use instead
}

// TyphaWindow returns the Typha releases that work with the Felix current
// Terway ships on every Kubernetes version this project supports:
// from v3.23.0 up to, not including, v3.32.0.
func TyphaWindow() (from, before Release) { return typhaEndpointSliceV1, typhaModernPolicyKeys }

// CheckTypha returns what is wrong with running the Typha release typha
// for Felix felix on Kubernetes kube, in a fixed order; none when the
// combination works. A Typha tag that is not a release (see
// [ParseRelease]) cannot be checked.
func CheckTypha(typha Release, kube versioning.Version, felix Release) []TyphaFinding {
	var out []TyphaFinding
	if !typha.Less(typhaEndpointSlices) && typha.Less(typhaEndpointSliceV1) && !kube.LessThan(kubeWithoutEndpointSliceV1beta1) {
		out = append(out, TyphaFinding{ProblemEndpointSlice, fmt.Sprintf(
			"Typha %s lists EndpointSlices through discovery.k8s.io/v1beta1, which Kubernetes %s no longer serves (removed in 1.25): it turns Ready but never brings Felix in sync, and Felix programs no NetworkPolicy until it is (Typha logs %q every second); use a Typha image that carries the fix (Calico moved to discovery.k8s.io/v1 in %s) or a tag from %s to %s",
			typha, kube, EndpointSliceLogLine, typhaEndpointSliceV1, typhaEndpointSliceV1, lastBefore(typhaModernPolicyKeys))})
	}
	if !typha.Less(typhaModernPolicyKeys) && felix.Less(felixModernPolicyKeysAfter) {
		out = append(out, TyphaFinding{ProblemFelixRefused, fmt.Sprintf(
			"Typha %s disconnects Felix clients without modern policy keys, and Terway's Felix %s has none: every Felix is disconnected as it connects, so none syncs through Typha; use a Typha tag from %s to %s",
			typha, felix, typhaEndpointSliceV1, lastBefore(typhaModernPolicyKeys))})
	}
	return out
}

// lastBefore names the minor line before r: v3.31 for v3.32.0.
func lastBefore(r Release) string { return fmt.Sprintf("v%d.%d", r.Major, r.Minor-1) }
