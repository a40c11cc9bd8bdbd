package versioning_test

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/typharender/typharender/versioning"
)

// lifecycle is what k8s.io/api generates for every pre-GA type.
type lifecycle interface {
	APILifecycleIntroduced() (major, minor int)
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
	APILifecycleReplacement() schema.GroupVersionKind
}

// TestTableMatchesUpstream holds the API table against k8s.io/api: the old
// version is served from Introduced until Removed, deprecated from
// Deprecated, and its replacement is served from the old one's
// deprecation (Kubernetes deprecates an API once its successor ships).
func TestTableMatchesUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		old        lifecycle
		apiVersion string
	}{
		{name: "PodDisruptionBudget", old: &policyv1beta1.PodDisruptionBudget{}, apiVersion: versioning.PDBAPIVersionV1beta1},
		{name: "CustomResourceDefinition", old: &apiextv1beta1.CustomResourceDefinition{}, apiVersion: versioning.CRDAPIVersionV1beta1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind := tc.name
			_, intro := tc.old.APILifecycleIntroduced()
			_, depr := tc.old.APILifecycleDeprecated()
			_, removed := tc.old.APILifecycleRemoved()
			repl := tc.old.APILifecycleReplacement()
			require.Equal(t, kind, repl.Kind)
			at := func(minor int) versioning.Version { return versioning.New(1, uint64(minor)) }

			assert.Equal(t, versioning.NotServed, versioning.Served(tc.apiVersion, kind, at(intro-1)))
			assert.Equal(t, versioning.Current, versioning.Served(tc.apiVersion, kind, at(intro)))
			assert.Equal(t, versioning.Current, versioning.Served(tc.apiVersion, kind, at(depr-1)))
			assert.Equal(t, versioning.Deprecated, versioning.Served(tc.apiVersion, kind, at(depr)))
			assert.Equal(t, versioning.Deprecated, versioning.Served(tc.apiVersion, kind, at(removed-1)))
			assert.Equal(t, versioning.NotServed, versioning.Served(tc.apiVersion, kind, at(removed)))

			newer := repl.GroupVersion().String()
			assert.Equal(t, versioning.NotServed, versioning.Served(newer, kind, at(depr-1)))
			assert.Equal(t, versioning.Current, versioning.Served(newer, kind, at(depr)))
			assert.Equal(t, versioning.Current, versioning.Served(newer, kind, versioning.MaxKnown()))

			// What render picks: the old version until the replacement
			// ships, the replacement from then on.
			assert.Equal(t, tc.apiVersion, versioning.APIVersionFor(kind, at(depr-1)))
			assert.Equal(t, newer, versioning.APIVersionFor(kind, at(depr)))
		})
	}
}

func TestGuideFacts(t *testing.T) {
	t.Parallel()
	// The guide: policy/v1 from 1.21, policy/v1beta1 before.
	assert.Equal(t, "policy/v1beta1", versioning.APIVersionFor(versioning.KindPodDisruptionBudget, versioning.MustParse("v1.20.11-aliyun.1")))
	assert.Equal(t, "policy/v1", versioning.APIVersionFor(versioning.KindPodDisruptionBudget, versioning.MustParse("v1.21.3-aliyun.1")))
	// The CRD's apiextensions.k8s.io/v1 sets the oldest supported version.
	assert.Equal(t, versioning.CRDAPIVersion, versioning.APIVersionFor(versioning.KindCustomResourceDefinition, versioning.MinSupported()))
	assert.Equal(t, versioning.Current, versioning.Served(versioning.CRDAPIVersion, versioning.KindCustomResourceDefinition, versioning.MinSupported()))
	assert.Equal(t, versioning.NotServed, versioning.Served(versioning.CRDAPIVersion, versioning.KindCustomResourceDefinition, versioning.New(1, 15)))
	assert.Equal(t, versioning.Unknown, versioning.Served("apps/v1", "Deployment", versioning.New(1, 30)))
	assert.Equal(t, "", versioning.APIVersionFor("Deployment", versioning.New(1, 30)))
	assert.Equal(t, "1.21 and later", versioning.ServedRange("policy/v1", "PodDisruptionBudget"))
	assert.Equal(t, "1.5 to 1.24", versioning.ServedRange("policy/v1beta1", "PodDisruptionBudget"))
	assert.Equal(t, "", versioning.ServedRange("apps/v1", "Deployment"))
}

func TestStatusString(t *testing.T) {
	t.Parallel()
	for s, want := range map[versioning.Status]string{
		versioning.NotServed:  "not served",
		versioning.Deprecated: "deprecated",
		versioning.Current:    "served",
		versioning.Unknown:    "unknown",
		versioning.Status(99): "unknown",
	} {
		assert.Equal(t, want, s.String(), "Status(%d).String()", int(s))
	}
}

// TestMaxKnownMatchesGoMod keeps MaxKnown in step with the k8s.io/api
// version pinned in go.mod: k8s.io/api v0.N.x describes Kubernetes 1.N.
func TestMaxKnownMatchesGoMod(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../go.mod")
	require.NoError(t, err)
	defer f.Close()
	re := regexp.MustCompile(`^\s*k8s\.io/api v0\.(\d+)\.\d+`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			minor, err := strconv.ParseUint(m[1], 10, 64)
			require.NoError(t, err)
			assert.Equal(t, versioning.New(1, minor).String(), versioning.MaxKnown().String(),
				"bump knownMinor in versioning/api.go with k8s.io/api")
			return
		}
	}
	t.Fatal("k8s.io/api not found in go.mod")
}
