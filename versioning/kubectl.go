package versioning

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// MaxKubectlBytes bounds the input [FromKubectl] reads, which a caller
// checks before reading it whole: kubectl version -o json prints under
// 1 KiB.
const MaxKubectlBytes = 64 << 10

// FromKubectl reads the server's version from the output of
// `kubectl version -o json` (or -o yaml): serverVersion.gitVersion, such
// as "v1.30.7-aliyun.1". It reads no cluster; the caller runs kubectl.
// The error says what is missing, for output without a server version
// (kubectl could not reach the cluster) or of another command.
func FromKubectl(data []byte) (Version, error) {
	var out struct {
		ClientVersion *struct{} `json:"clientVersion"`
		ServerVersion *struct {
			GitVersion string `json:"gitVersion"`
		} `json:"serverVersion"`
	}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return Version{}, fmt.Errorf("is not the JSON or YAML of kubectl version -o json: %v", err)
	}
	switch {
	case out.ServerVersion == nil && out.ClientVersion != nil:
		return Version{}, fmt.Errorf("has a clientVersion but no serverVersion: kubectl could not reach the cluster; run kubectl version -o json against it")
	case out.ServerVersion == nil:
		return Version{}, fmt.Errorf("has no serverVersion: want the output of kubectl version -o json")
	case out.ServerVersion.GitVersion == "":
		return Version{}, fmt.Errorf("has no serverVersion.gitVersion: want the output of kubectl version -o json")
	}
	return Parse(out.ServerVersion.GitVersion)
}
