// Package terway is what typharender knows about ACK clusters running
// Terway: regions, registries, eni-config keys and how Terway reads them.
// It is data with a source per row, and pure functions of their
// arguments: no cluster I/O, no state.
//
// render checks its Options with it, lint compares the manifests it reads
// with it, and the rollout plan edits eni-config with its keys. Later
// rows of the same model (which policy engine an eni-config selects, the
// Felix version each Terway release ships, the Typha version window, the
// registry families of a region) belong here too, each in its own file:
//
//	regions.go    region IDs, their syntax, near-miss suggestions
//	registry.go   registry hosts of a region
//	eniconfig.go  the eni-config ConfigMap, its keys, Terway's reading of them
//	engine.go     which engine an eni-config makes Terway run
//	typha.go      the Felix each Terway ships, the Typha problems and the
//	              claims that lift them, the window, the default image per
//	              Kubernetes version
//	nodes.go      the nodes that run Felix
//	manifest.go   Typha's names, ports and paths, and which workload,
//	              container and PodDisruptionBudget are Typha's
package terway
