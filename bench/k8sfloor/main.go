// Command k8sfloor links the k8s.io/api types typharender renders and does
// nothing else: its run time is the start-up cost every Go program that
// uses those types pays, the floor under `typharender render`.
//
// With the argument "json" it also encodes one empty value of each of the
// four types with encoding/json, as any program that writes them as JSON
// or YAML through sigs.k8s.io/yaml does: the floor for such a program,
// most of it encoding/json building its encoders for the whole PodSpec
// type graph on first use.
package main

import (
	"encoding/json"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	_ "k8s.io/api/policy/v1beta1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "json" {
		for _, obj := range []any{&corev1.Service{}, &appsv1.Deployment{}, &policyv1.PodDisruptionBudget{}, &apiextensionsv1.CustomResourceDefinition{}} {
			if _, err := json.Marshal(obj); err != nil {
				os.Stderr.WriteString(err.Error() + "\n")
				os.Exit(1)
			}
		}
	}
	os.Stdout.WriteString("k8sfloor\n")
}
