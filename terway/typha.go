package terway

import (
	"fmt"
	"slices"
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

// firstTerwayWithRelay is the first Terway release whose DaemonSet passes
// eni-config's felix_relay_service to Felix, as FELIX_TYPHAK8SSERVICENAME
// in the policy container (configMapKeyRef, optional). Older releases
// ignore the key. Source: AliyunContainerService/terway,
// charts/terway/templates/daemonset.yaml: absent at v1.6.0, present from
// v1.6.1 (commit f00120e2 "chart: update the tpl", 2023-10-19) to v1.17.5
// (charts/terway/templates/terwayd/daemonset.yaml); no code of Terway reads
// the key (git grep at 89aadf8b).
var firstTerwayWithRelay = Release{1, 6, 1}

// FirstTerwayWithRelay returns the first Terway release that passes
// eni-config's felix_relay_service to Felix: v1.6.1. The DaemonSet's
// policy container (where Felix runs) takes FELIX_TYPHAK8SSERVICENAME from
// that key from then on.
func FirstTerwayWithRelay() Release { return firstTerwayWithRelay }

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
	// typhaTiers is the first Typha that creates Calico Tiers when it
	// starts: EnsureInitialized creates the default and the admin network
	// policy Tiers [libcalico-go lib/clientv3/client.go at v3.29.7, v3.31.7
	// and v3.32.1; not at v3.28.5]. Terway installs no Tier CRD, so in a
	// Terway cluster such a Typha logs "Failed to initialize datastore" and
	// never turns Ready. Measured with v3.29.7 and v3.31.7 as Terway's
	// ServiceAccount with Terway's CRDs (e2e TestTyphaVersions/v3.29.7 and
	// TestTyphaVersions/v3.31.7).
	typhaTiers = Release{3, 29, 0}
	// typhaModernPolicyKeys is the first Typha that disconnects Felix
	// clients without modern policy keys ("Client does not support modern
	// policy keys, disconnecting."), which every Felix Terway ships lacks.
	// Source: calico typha/pkg/syncserver/sync_server.go at v3.32.1 (not
	// at v3.31.7); measured with v3.32.1 (e2e TestTyphaVersions/v3.32.1).
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
	// ProblemTierCRD: Typha v3.29.0 or later creates Calico Tiers at start,
	// and a Terway cluster has no Tier CRD: it never turns Ready.
	ProblemTierCRD Problem = "tier-crd-missing"
	// ProblemFelixRefused: Typha v3.32.0 or later disconnects the Felix
	// that Terway ships.
	ProblemFelixRefused Problem = "felix-refused"
)

// Claim is what a person vouches for, about an image or a cluster, to
// lift one [Problem]: the version table knows the release, not what a
// vendor patched into an image or what else a cluster runs. A plan's
// in-sync gate then proves the claim in the cluster before anything
// depends on it.
type Claim string

// The claims, one per problem.
const (
	// ClaimEndpointSliceV1: this Typha image lists EndpointSlices through
	// discovery.k8s.io/v1 (a v3.20 to v3.22 build with Calico's v3.23
	// change backported). Lifts [ProblemEndpointSlice].
	ClaimEndpointSliceV1 Claim = "endpointslice-v1"
	// ClaimTierCRD: this cluster serves Calico's Tier CRD
	// (tiers.crd.projectcalico.org), and Typha's ServiceAccount may create
	// Tiers and list and watch the policy.networking.k8s.io resources Typha
	// v3.29 and later read (adminnetworkpolicies,
	// baselineadminnetworkpolicies, clusternetworkpolicies); v3.29 also
	// needs the AdminNetworkPolicy CRD served. Measured: the Tier CRD alone
	// is not enough for v3.29.7, v3.31.7 or v3.32.1 (e2e
	// TestTyphaVersions/v3.31.7-with-tier-crd and its v3.29.7 and v3.32.1
	// siblings; the answer in e2e/testdata/calico/README.md). Lifts
	// [ProblemTierCRD].
	ClaimTierCRD Claim = "tier-crd"
	// ClaimFelixModernPolicyKeys: every Felix in this cluster sends modern
	// policy keys (a Terway whose Felix is newer than the v3.24.5 every
	// release up to v1.17.5 ships). Lifts [ProblemFelixRefused].
	ClaimFelixModernPolicyKeys Claim = "felix-modern-policy-keys"
)

// EndpointSliceLogLine is what Typha v3.20 to v3.22 logs, about once a
// second, on Kubernetes 1.25 or later: the line to look for in its log.
// Measured with upstream Typha v3.20.2 against kube-apiserver v1.37.2.
const EndpointSliceLogLine = "Unable to list K8s EndpointSlice resources"

// InitFailedLogLine is what Typha logs, about once a second, while it
// cannot initialise its datastore, such as a Typha from v3.29 that cannot
// create Calico Tiers in a Terway cluster [calico
// typha/pkg/daemon/daemon.go, every version here].
const InitFailedLogLine = "Failed to initialize datastore"

// Incompatibility is one way a Typha release fails a cluster, and why: a
// row of the version table that applies to a release, not a finding about
// objects: render refuses the tag with it (an OptionError), lint reports
// it as a finding.Finding.
type Incompatibility struct {
	Problem Problem
	Claim   Claim  // the claim that lifts it
	Message string // why it fails, in one clause; no advice
	Instead string // what to use instead, from the version table: "a Typha tag from v3.23 to v3.28"
}

// typhaProblem is one row of the problem table: the Typha releases it
// covers, the clusters it applies to, and the claim that lifts it.
type typhaProblem struct {
	problem      Problem
	claim        Claim
	from, before Release            // Typha releases from, up to but not including before (zero: no upper bound)
	kubeFrom     versioning.Version // Kubernetes versions from; zero: every version
	felixBefore  Release            // Felix releases below it; zero: every Felix
	message      func(typha Release, kube versioning.Version, felix Release) string
	name         string // the claim's name in Go and values keys: render's Vouch.<name>, the values key vouch.<name, first letter lower>
	says         string // what the claim says, after "vouch that"
	proof        string // where the typha plan proves the claim in the cluster
}

// typhaProblems is the problem table, in the order CheckTypha reports.
// Sources are with the release variables above.
var typhaProblems = [...]typhaProblem{
	{problem: ProblemEndpointSlice, claim: ClaimEndpointSliceV1, from: typhaEndpointSlices, before: typhaEndpointSliceV1,
		kubeFrom: kubeWithoutEndpointSliceV1beta1,
		message: func(typha Release, kube versioning.Version, _ Release) string {
			return fmt.Sprintf("Typha %s lists EndpointSlices through discovery.k8s.io/v1beta1, which Kubernetes %s no longer serves (removed in 1.25): it turns Ready but never brings Felix in sync, and Felix programs no NetworkPolicy until it is (Typha logs %q every second)",
				typha, kube, EndpointSliceLogLine)
		},
		name:  "EndpointSliceV1",
		says:  "this Typha image lists EndpointSlices through discovery.k8s.io/v1",
		proof: "the typha plan's in-sync gate proves it before eni-config changes"},
	{problem: ProblemTierCRD, claim: ClaimTierCRD, from: typhaTiers,
		message: func(typha Release, _ versioning.Version, _ Release) string {
			return fmt.Sprintf("Typha %s creates Calico Tiers when it starts (from v3.29), and Terway installs no Tier CRD: it never turns Ready and logs %q every second (measured with v3.29.7 and v3.31.7)",
				typha, InitFailedLogLine)
		},
		name:  "TierCRD",
		says:  "this cluster serves Calico's Tier CRD, tiers.crd.projectcalico.org, and for v3.29 the AdminNetworkPolicy CRD too, and Typha's ServiceAccount may create Tiers and list and watch adminnetworkpolicies, baselineadminnetworkpolicies and clusternetworkpolicies",
		proof: "the typha plan's in-sync gate proves it before eni-config changes"},
	{problem: ProblemFelixRefused, claim: ClaimFelixModernPolicyKeys, from: typhaModernPolicyKeys, felixBefore: felixModernPolicyKeysAfter,
		message: func(typha Release, _ versioning.Version, felix Release) string {
			return fmt.Sprintf("Typha %s disconnects Felix clients without modern policy keys, and Terway's Felix %s has none: every Felix is disconnected as it connects, so none syncs through Typha",
				typha, felix)
		},
		name:  "FelixModernPolicyKeys",
		says:  "every Felix in this cluster sends modern policy keys, as a Felix newer than Terway's v3.24.5 would",
		proof: "the typha plan's canary gate proves it on one node before Terway restarts everywhere"},
}

// KubeWithoutEndpointSliceV1beta1 returns the first Kubernetes version
// that no longer serves discovery.k8s.io/v1beta1, where Typha v3.20 to
// v3.22 never syncs Felix and the default Typha image changes: 1.25
// [k8s.io/api discovery/v1beta1 APILifecycleRemoved].
func KubeWithoutEndpointSliceV1beta1() versioning.Version { return kubeWithoutEndpointSliceV1beta1 }

// TyphaWindowText names the window for messages: "a Typha tag from v3.23
// to v3.28".
func TyphaWindowText() string { return windowText() }

// TyphaWindow returns the Typha releases that work, as Terway's
// ServiceAccount with Terway's CRDs, with the Felix current Terway ships,
// on every Kubernetes version this project supports: from v3.23.0 up to,
// not including, v3.29.0. Below it EndpointSlices are listed through a
// removed API; from v3.29 Typha needs Calico's Tier CRD; from v3.32 it
// refuses Terway's Felix.
func TyphaWindow() (from, before Release) { return typhaEndpointSliceV1, typhaTiers }

// windowText names the window for messages: "a Typha tag from v3.23 to
// v3.28".
func windowText() string {
	from, before := TyphaWindow()
	return fmt.Sprintf("a Typha tag from v%d.%d to %s", from.Major, from.Minor, lastBefore(before))
}

// CheckTypha returns what is wrong with running the Typha release typha
// for Felix felix on Kubernetes kube in a Terway cluster, in a fixed
// order; none when the combination works. A Typha tag that is not a
// release (see [ParseRelease]) cannot be checked.
func CheckTypha(typha Release, kube versioning.Version, felix Release) []Incompatibility {
	var out []Incompatibility
	for _, p := range typhaProblems {
		if typha.Less(p.from) || (p.before != Release{} && !typha.Less(p.before)) {
			continue
		}
		if !p.kubeFrom.IsZero() && kube.LessThan(p.kubeFrom) {
			continue
		}
		if (p.felixBefore != Release{}) && !felix.Less(p.felixBefore) {
			continue
		}
		out = append(out, Incompatibility{Problem: p.problem, Claim: p.claim, Message: p.message(typha, kube, felix), Instead: windowText()})
	}
	return out
}

// Claims returns every claim, in the order of the problems they lift.
func Claims() []Claim {
	out := make([]Claim, 0, len(typhaProblems))
	for _, p := range typhaProblems {
		out = append(out, p.claim)
	}
	return out
}

// Says returns what c claims, to follow "vouch that": "this Typha image
// lists EndpointSlices through discovery.k8s.io/v1"; "" for a claim this
// table does not know.
func (c Claim) Says() string {
	for _, p := range typhaProblems {
		if p.claim == c {
			return p.says
		}
	}
	return ""
}

// Name returns c's name in Go identifiers and values keys: the field
// render.Vouch.<Name> and the values key vouch.<name> (first letter in
// lower case) vouch for it; "" for a claim this table does not know.
func (c Claim) Name() string {
	for _, p := range typhaProblems {
		if p.claim == c {
			return p.name
		}
	}
	return ""
}

// ValuesKey returns the values key that vouches for c, as render -f and
// --set take it: vouch.endpointSliceV1; "" for a claim this table does
// not know.
func (c Claim) ValuesKey() string {
	n := c.Name()
	if n == "" {
		return ""
	}
	return "vouch." + strings.ToLower(n[:1]) + n[1:]
}

// VouchAnnotation is the Deployment annotation that records the claims a
// person vouched for (comma-separated, in the order of [Claims]) to lift
// render's refusal of a Typha release: lint reads it, so that it does not
// report a problem the rendering was vouched past.
const VouchAnnotation = "typharender.github.io/vouch"

// Proof returns where the typha plan proves c in the cluster: "the typha
// plan's in-sync gate proves it before eni-config changes"; "" for a claim
// this table does not know.
func (c Claim) Proof() string {
	for _, p := range typhaProblems {
		if p.claim == c {
			return p.proof
		}
	}
	return ""
}

// lastBefore names the minor line before r: v3.28 for v3.29.0.
func lastBefore(r Release) string { return fmt.Sprintf("v%d.%d", r.Major, r.Minor-1) }

// TyphaImage is a Typha image reference in the parts render takes.
type TyphaImage struct {
	// Registry is the image's host[:port][/path]; "" means the cluster's
	// own Alibaba Cloud registry in its region (the family render's
	// RegistryStyle chooses, the guide's by default).
	Registry   string
	Repository string
	Tag        string
}

// Ref returns the reference with registry as the registry when the image
// names none: registry/repository:tag.
func (i TyphaImage) Ref(registry string) string {
	if i.Registry != "" {
		registry = i.Registry
	}
	return registry + "/" + i.Repository + ":" + i.Tag
}

// DefaultTypha is one row of the default-image table: the Typha image
// typharender renders from a Kubernetes version on, and why.
type DefaultTypha struct {
	Since  versioning.Version // the row holds from this version up to the next row's
	Image  TyphaImage
	Why    string // why this image, in a sentence
	Source string // where its facts come from
}

// defaultTyphas is the default-image table, oldest first.
var defaultTyphas = [...]DefaultTypha{
	{Since: versioning.New(1, 16), Image: TyphaImage{Repository: "acs/typha", Tag: "v3.20.2"},
		Why:    "the guide's image: Typha v3.20.2 from the cluster's own Alibaba Cloud registry, which syncs where discovery.k8s.io/v1beta1 is served (before 1.25)",
		Source: "the guide, calico-typha.yaml (registry-vpc.{REGION-ID}.aliyuncs.com/acs/typha:v3.20.2)"},
	{Since: kubeWithoutEndpointSliceV1beta1, Image: TyphaImage{Registry: calicoRegistry, Repository: calicoTyphaRepository, Tag: "v3.24.5"},
		Why:    "Typha v3.24.5, the Calico release of the Felix Terway ships (v1.5.1 to v1.17.5): it lists EndpointSlices through discovery.k8s.io/v1, speaks Felix 3.24.5's protocol and needs only what Terway's ClusterRole and CRDs give; ACK documents no acs/typha tag after v3.20.2, so the image is Calico's own, from quay.io",
		Source: "terway deploy/images/policy/Dockerfile (calico-felix at Calico v3.24.5, commit f1a1611a); calico hack/release/pkg/builder/builder.go at v3.24.5 (release images pushed to quay.io/calico); measured: Ready in 2 s and a Felix 3.24.5 client in sync, as Terway's ServiceAccount with Terway's CRDs, on kube-apiserver 1.37 (e2e TestTyphaVersions/v3.24.5)"},
}

// DefaultTyphaFor returns the default-image row for Kubernetes kube.
func DefaultTyphaFor(kube versioning.Version) DefaultTypha {
	row := defaultTyphas[0]
	for _, r := range defaultTyphas[1:] {
		if kube.LessThan(r.Since) {
			break
		}
		row = r
	}
	return row
}

// DefaultTyphas returns the default-image table, oldest first, as a fresh
// slice.
func DefaultTyphas() []DefaultTypha { return slices.Clone(defaultTyphas[:]) }

// CalicoTyphaRepository is Calico's own Typha repository, on quay.io,
// docker.io and gcr.io/projectcalico-org [calico
// hack/release/pkg/builder/builder.go at v3.24.5]: what a mirror copies
// a calico/typha tag from.
const CalicoTyphaRepository = calicoRegistry + "/" + calicoTyphaRepository

// Calico's registry and Typha repository [calico
// hack/release/pkg/builder/builder.go at v3.24.5].
const (
	calicoRegistry        = "quay.io"
	calicoTyphaRepository = "calico/typha"
)

// DefaultTyphaLines names the default image of each row, for people, with
// the guide's region placeholder where the image is in the cluster's own
// registry: "Kubernetes 1.16 to 1.24: registry-vpc.{REGION-ID}.aliyuncs.com/acs/typha:v3.20.2".
func DefaultTyphaLines() []string {
	var out []string
	for i, row := range defaultTyphas {
		span := row.Since.String() + " and later"
		if i+1 < len(defaultTyphas) {
			next := defaultTyphas[i+1].Since
			span = fmt.Sprintf("%s to %d.%d", row.Since, next.Major(), next.Minor()-1)
		}
		out = append(out, fmt.Sprintf("Kubernetes %s: %s", span, row.Image.Ref(DefaultRegistry(RegionPlaceholder))))
	}
	return out
}
