package domain

import (
	"slices"
	"testing"
)

// TestAgentRegionsMeanWhatGBT2260Says checks that a province's, a city's or a district's code
// covers what the division holds, as its prefix does, when the agent is saved and for agents
// stored with a full code.
func TestAgentRegionsMeanWhatGBT2260Says(t *testing.T) {
	a := &Agent{ID: "js", Name: "江苏经纪人", Regions: []string{"320000", "350200", "640104", "33"}}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"32", "3502", "640104", "33"}; !slices.Equal(a.Regions, want) {
		t.Errorf("regions saved as %v, want %v", a.Regions, want)
	}
	stored := &Agent{ID: "old", Name: "旧数据", Regions: []string{"320000"}} // as written before validation normalised
	for _, tt := range []struct {
		region string
		want   bool
	}{
		{"320100", true}, {"320583", true}, {"350203", true}, {"350100", false}, {"640104", true}, {"640105", false}, {"330100", true}, {"110000", false},
	} {
		if got := a.Covers(&Demand{Region: tt.region}); got != tt.want {
			t.Errorf("agent %v covers %s: %v, want %v", a.Regions, tt.region, got, tt.want)
		}
	}
	if !stored.Covers(&Demand{Region: "320100"}) {
		t.Errorf("an agent stored with 320000 does not cover 320100")
	}
}
