// Package render turns a cluster's region, node count and Kubernetes
// version into the typed objects that deploy Typha for Terway's
// NetworkPolicy agent, and edits Terway's eni-config ConfigMap.
//
// It does no cluster I/O: [Render] returns k8s.io/api objects in a fixed
// order (Service, Deployment, PodDisruptionBudget, CustomResourceDefinition)
// with the warnings a person should read first, [EditENIConfig] returns an
// edited copy of the ConfigMap a caller fetched, and [EncodeYAML] and
// [EncodeJSON] write objects deterministically; [Layout] lays them out
// as a kustomize directory, one file per object. Callers apply the result;
// package rollout lists the guide's rollout as steps with exact kubectl
// commands.
//
// What it knows about the clusters it renders for (region IDs, registry
// hosts, eni-config's keys and how Terway reads them) is in package
// terway; render checks its Options with it.
//
// With default [Options], Kubernetes 1.21 or later and at most 600 nodes,
// the objects are those of the vendor guide's calico-typha.yaml with the
// region filled in.
package render
