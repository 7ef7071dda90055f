package domain

import (
	"slices"
	"strings"
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

// TestResolveRegion: codes pass as they are; names resolve through the server's list, an
// ambiguous one listing its candidates; without a list, only codes are taken.
func TestResolveRegion(t *testing.T) {
	if _, err := ResolveRegion("region", "南京"); err == nil {
		t.Fatal("a name was taken before any region list was set")
	}
	UseRegionNames(func(name string) []RegionName {
		switch name {
		case "南京":
			return []RegionName{{"320100", "南京市"}}
		case "吉林":
			return []RegionName{{"220000", "吉林省"}, {"220200", "吉林市"}}
		}
		return nil
	})
	t.Cleanup(func() { regionNames.Store(nil) })
	for _, c := range []struct{ in, want, errHas string }{
		{"320100", "320100", ""}, {" 南京 ", "320100", ""}, {"", "", ""},
		{"吉林", "", "吉林省（220000）、吉林市（220200）"}, {"火星", "", "火星"},
	} {
		got, err := ResolveRegion("region", c.in)
		switch {
		case c.errHas == "" && (err != nil || got != c.want):
			t.Errorf("ResolveRegion(%q) = %q, %v; want %q", c.in, got, err, c.want)
		case c.errHas != "" && (err == nil || err.Field != "region" || !strings.Contains(err.Message, c.errHas)):
			t.Errorf("ResolveRegion(%q) error = %v; want one on region containing %q", c.in, err, c.errHas)
		}
	}
}
