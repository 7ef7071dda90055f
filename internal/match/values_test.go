package match

import (
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// TestFeatureNames checks that the fixed feature set is the one profiles weigh, in its order.
func TestFeatureNames(t *testing.T) {
	if !slices.Equal(featureNames[:], domain.Features) {
		t.Errorf("featureNames %v, domain.Features %v", featureNames, domain.Features)
	}
}

// TestValuesWithoutReasons checks the scoring math on its own: a pair's values, computed
// without telling anything, are the ones the explained score reports, and explaining changes
// no value.
func TestValuesWithoutReasons(t *testing.T) {
	tx, err := os.ReadFile("../../configs/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rg, err := os.ReadFile("../../configs/regions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tax, err := taxonomy.Load(tx, rg)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, budget := 40.0, 60.0, 50.0
	d := &domain.Demand{Title: "固态电解质", Region: "320100", MinTRL: 7, Budget: &domain.Range{Max: &budget}, AcceptModes: []string{"license"}, Fields: []string{"新材料/电池材料"}}
	a := &domain.Achievement{Supply: domain.Supply{Title: "硫化物固态电解质", Region: "320500", TRL: 6, TransferModes: []string{"license", "transfer"},
		Price: &domain.Range{Min: &lo, Max: &hi}, Fields: []string{"新材料/电池材料"}}}
	a.UpdatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &domain.Profile{Name: "test", Weights: map[string]float64{}, Params: domain.DefaultParams()}
	for _, f := range domain.Features {
		p.Weights[f] = 1
	}
	h := index.Hit{Text: 0.8}
	for _, explain := range []bool{false, true} {
		pr := newPairing(tax, p.Params, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), d, d)
		pr.explain = explain
		v := pr.values(a, judged{supply: a}, h)
		// 151 days old at a half-life of 365 days; no patent, title or market: quality neutral.
		want := values{0.8, 1, p.Params.RegionScores.Province, 1 - p.Params.MaturityStep, 0.8, 1, math.Exp2(-151.0 / 365), Neutral}
		if v != want {
			t.Errorf("explain %v: values %v, want %v", explain, v, want)
		}
		m := pr.score(p, a, a, judged{supply: a}, h)
		for f, name := range featureNames {
			if m.Components[name] != round4(v[f]) {
				t.Errorf("explain %v: component %s %v, value %v", explain, name, m.Components[name], v[f])
			}
		}
		if explain == (len(m.Reasons) == 0) {
			t.Errorf("explain %v: reasons %q", explain, m.Reasons)
		}
	}
}
