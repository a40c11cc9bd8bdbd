// Package sizing turns a cluster's node count into a Typha replica count
// and the advice behind it.
//
// The rule comes from the vendor guide: at least three replicas, one per 200
// nodes. Typha is recommended above 100 nodes. Typha runs on the host
// network (its port is terway.TyphaPort), so each node holds at most one Typha, and Calico's
// documentation warns that replicas must stay below the node count or a
// rolling update stalls.
//
// [Advice.Load] models the saving: without Typha every node's Felix watches
// the API server; with it only the replicas do.
package sizing
