package values

import (
	"fmt"
)

// Input limits. Each bounds what one values or fleet file can cost before
// anything is rendered; larger input is refused, before it is parsed,
// with an error naming the file, its size and the limit.
const (
	// MaxValuesBytes is the largest values file: 1 MiB. A values file is
	// a few hundred bytes; labels and annotations, its largest keys, end
	// up on Kubernetes objects, which etcd caps at 1.5 MiB.
	MaxValuesBytes = 1 << 20
	// MaxFleetBytes is the largest fleet file: 4 MiB. The benchmark's
	// 10,000-cluster fleet is 930,810 bytes (93 bytes an entry); 10,000
	// entries that also override image, labels and resources (242 bytes
	// each) are 2.4 MB. At the limit the densest YAML ("[1,1,1,...]")
	// costs about 0.9 s and 450 MB to parse, before it is refused.
	MaxFleetBytes = 4 << 20
	// MaxFleetClusters is the most entries one fleet file may list:
	// twice the 10,000 clusters the benchmark renders (five files each).
	MaxFleetClusters = 20_000
)

// TooLarge returns the error for the file named file, of size bytes,
// which is over limit: [MaxValuesBytes] or [MaxFleetBytes]. A size below
// 0 means "more than limit" (standard input is read only up to the
// limit).
func TooLarge(file string, size, limit int64) error {
	var kind string
	switch limit {
	case MaxValuesBytes:
		kind = " for a values file (MaxValuesBytes): a values file holds the keys of one cluster"
	case MaxFleetBytes:
		kind = " for a fleet file (MaxFleetBytes): split the fleet into several files"
	}
	is := "is larger than"
	if size >= 0 {
		is = fmt.Sprintf("is %d bytes, over", size)
	}
	return &Error{Source: Source{File: file}, Reason: fmt.Sprintf("%s the %d-byte limit%s", is, limit, kind)}
}
