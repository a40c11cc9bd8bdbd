// Package values maps Helm-style values onto [render.Options]: values files
// (-f), --set expressions and dedicated flags, applied in order with later
// settings winning, and fleet files that describe many clusters.
//
// The keys, with the Options field each sets:
//
//	region                     Region
//	nodes                      Nodes
//	kubeVersion                KubeVersion
//	image.registry             Registry
//	image.repository           Repository
//	image.tag                  Tag
//	image.digest               Digest
//	replicas                   Replicas
//	labels.<key>               Labels[<key>]
//	annotations.<key>          Annotations[<key>]
//	resources.requests.<name>  Resources.Requests[<name>]
//	resources.limits.<name>    Resources.Limits[<name>]
//	logSeverity                LogSeverity
//
// A null value (null or ~ in a file, --set key=null) resets a key, or a
// whole group such as labels, to its default; an empty mapping sets
// nothing. Scalars keep their text (tag: 3.20 is "3.20"). An unknown key is an error
// that names it and, for a file, the file and line. The mapping is
// explicit: there is no reflection over the values.
package values
