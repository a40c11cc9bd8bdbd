// Package render turns a cluster's region, node count and Kubernetes
// version into the typed objects that deploy Typha for Terway's
// NetworkPolicy agent, and edits Terway's eni-config ConfigMap.
//
// It does no cluster I/O: [Render] validates its [Options] once and
// returns k8s.io/api objects in a fixed order (Service, Deployment,
// PodDisruptionBudget, CustomResourceDefinition) with the findings a person
// should read first ([Result.Findings]): its own warnings, then what lint's
// rules (package rules) find in those very objects, run on them as they are
// (no encoding and parsing in between), for the cluster the options
// describe and against its eni-config ([Options.ENIConfig]). [EditENIConfig] returns an
// edited copy of the ConfigMap a caller fetched, and [EncodeYAML] and
// [EncodeJSON] write objects deterministically; [Layout] lays them out
// as a kustomize directory, one file per object. Callers apply the result;
// package rollout lists the guide's rollout as steps with exact kubectl
// commands.
//
// What it knows about the clusters it renders for (region IDs, registry
// hosts, eni-config's keys and how Terway reads them, Typha's names, ports
// and default images) is in package terway; render checks its Options
// with it. [ReadENIConfig] reads the eni-config as kubectl prints it.
//
// With default [Options], Kubernetes 1.21 or later and at most 600 nodes,
// the objects are those of the vendor guide's calico-typha.yaml with the
// region filled in.
package render
