// Package versioning parses Kubernetes versions as clusters report them and
// answers which API group/version serves each kind typharender renders.
//
// Clusters report versions with vendor decorations: ACK says
// "v1.30.7-aliyun.1", EKS "v1.24.7-eks-fb459a0", GKE "v1.25.3-gke.100",
// RKE2 "v1.28.3+rke2r1". Under semantic versioning the dash turns the rest
// into a pre-release, so a plain constraint such as ">=1.21" does not match
// "1.21.3-aliyun.1". Kubernetes serves APIs per minor release, so this
// package decides on major.minor only: every build of 1.21 is 1.21.
//
// Use [Parse] at the edge, then compare [Version] values with
// [Version.AtLeast] and [Version.LessThan], and ask [APIVersionFor] or
// [Served] for the API table. The table is checked in tests against the
// APILifecycle methods of the pinned k8s.io/api types.
package versioning
