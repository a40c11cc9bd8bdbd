package render

import (
	"slices"
	"testing"
)

func TestKnownRegionsList(t *testing.T) {
	t.Parallel()
	regions := KnownRegions()
	if !slices.IsSorted(regions) || !slices.Contains(regions, "cn-hangzhou") {
		t.Fatalf("KnownRegions() = %q, want a sorted list with cn-hangzhou", regions)
	}
	for _, r := range regions {
		if !KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = false for a listed region", r)
		}
	}
	regions[0] = "changed"
	if KnownRegions()[0] == "changed" {
		t.Error("KnownRegions returns a shared slice")
	}
}
