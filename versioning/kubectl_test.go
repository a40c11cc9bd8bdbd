package versioning

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubectlVersionJSON is `kubectl version -o json` as kubectl v1.31 prints
// it against an ACK cluster (the fields kubectl's version.Info carries).
const kubectlVersionJSON = `{
  "clientVersion": {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.2",
    "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
    "gitTreeState": "clean",
    "buildDate": "2024-10-22T20:35:25Z",
    "goVersion": "go1.22.8",
    "compiler": "gc",
    "platform": "linux/amd64"
  },
  "kustomizeVersion": "v5.4.2",
  "serverVersion": {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.7-aliyun.1",
    "gitCommit": "0a0d7a3b2fb1a1a1f1c5c9d1c5f9e0a7f2b4b1c1",
    "gitTreeState": "clean",
    "buildDate": "2024-12-10T08:47:02Z",
    "goVersion": "go1.22.9",
    "compiler": "gc",
    "platform": "linux/amd64"
  }
}
`

const kubectlVersionYAML = `clientVersion:
  gitVersion: v1.31.2
  major: "1"
  minor: "31"
kustomizeVersion: v5.4.2
serverVersion:
  gitVersion: v1.28.3-aliyun.1
  major: "1"
  minor: "28"
`

func TestFromKubectl(t *testing.T) {
	t.Parallel()
	v, err := FromKubectl([]byte(kubectlVersionJSON))
	require.NoError(t, err)
	assert.Equal(t, "1.30", v.String())
	assert.Equal(t, "v1.30.7-aliyun.1", v.Original())

	v, err = FromKubectl([]byte(kubectlVersionYAML))
	require.NoError(t, err)
	assert.Equal(t, "1.28", v.String())
}

func TestFromKubectlErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		is             error
	}{
		{"client only", `{"clientVersion": {"gitVersion": "v1.31.2"}}`, "could not reach the cluster", nil},
		{"another document", `{"kind": "NodeList", "items": []}`, "has no serverVersion", nil},
		{"empty gitVersion", `{"serverVersion": {"major": "1"}}`, "no serverVersion.gitVersion", nil},
		{"not YAML", "{", "is not the JSON or YAML", nil},
		{"bad gitVersion", `{"serverVersion": {"gitVersion": "v2.0.0"}}`, "major version 2 is not 1", ErrInvalidVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := FromKubectl([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.is != nil {
				assert.True(t, errors.Is(err, tc.is))
			}
		})
	}
}
