package terway_test

import (
	"slices"
	"testing"

	_ "github.com/typharender/typharender/internal/golden" // -update flag
	"github.com/typharender/typharender/terway"
)

func TestKnownRegionsList(t *testing.T) {
	t.Parallel()
	regions := terway.KnownRegions()
	if !slices.IsSorted(regions) || !slices.Contains(regions, "cn-hangzhou") {
		t.Fatalf("KnownRegions() = %q, want a sorted list with cn-hangzhou", regions)
	}
	for _, r := range regions {
		if !terway.KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = false for a listed region", r)
		}
	}
	regions[0] = "changed"
	if terway.KnownRegions()[0] == "changed" {
		t.Error("KnownRegions returns a shared slice")
	}
}
