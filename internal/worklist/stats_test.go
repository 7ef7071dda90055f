package worklist_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/worklist"
)

func TestCompute(t *testing.T) {
	day1 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	row := func(demand, agent, region string, created time.Time, path ...string) domain.StatRow {
		e := &domain.MatchEntry{DemandID: demand, AgentID: agent, CreatedAt: created, Status: path[len(path)-1]}
		for _, s := range path {
			e.History = append(e.History, domain.StatusChange{To: s})
		}
		if e.Status == domain.StatusSigned {
			e.DealAmount = amount(50)
		}
		return domain.StatRow{Entry: e, DemandRegion: region, DemandFields: []string{"新材料/电池材料"}}
	}
	rows := []domain.StatRow{
		row("d1", "a", "320100", day1, "new", "contacted", "negotiating", "signed"),
		row("d1", "a", "320100", day1, "new", "contacted", "rejected"),
		row("d1", "a", "320100", day2, "new"),
		row("d2", "", "350200", day2, "new", "rejected"),
	}
	st := worklist.Compute(rows, day1, day2)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"total", float64(st.Total), 4},
		{"signed count", float64(st.Funnel.Counts["signed"]), 1},
		{"rejected count", float64(st.Funnel.Counts["rejected"]), 2},
		{"reached contacted", float64(st.Funnel.Reached["contacted"]), 2},
		{"new→contacted", st.Funnel.Conversion["new_to_contacted"], 0.5},
		{"contacted→negotiating", st.Funnel.Conversion["contacted_to_negotiating"], 0.5},
		{"negotiating→signed", st.Funnel.Conversion["negotiating_to_signed"], 1},
		{"overall", st.Funnel.Conversion["overall"], 0.25},
		{"signed amount", st.SignedAmount, 50},
		{"agent a", float64(st.ByAgent["a"].Entries), 3},
		{"unassigned", float64(st.ByAgent[worklist.UnassignedAgent].Entries), 1},
		{"region 350200", float64(st.ByRegion["350200"].Rejected), 1},
		{"field", float64(st.ByField["新材料/电池材料"].Signed), 1},
		{"demands", float64(st.MatchesPerDemand.Demands), 2},
		{"mean per demand", st.MatchesPerDemand.Mean, 2},
		{"bucket 2-3", float64(st.MatchesPerDemand.Distribution["2-3"]), 1},
		{"bucket 1", float64(st.MatchesPerDemand.Distribution["1"]), 1},
		{"days", float64(len(st.PerDay)), 2},
		{"day 2", float64(st.PerDay[1].Matches), 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if empty := worklist.Compute(nil, day1, day2); empty.Total != 0 || empty.Funnel.Conversion["overall"] != 0 || empty.PerDay == nil {
		t.Errorf("empty stats %+v", empty)
	}
}

// A signed entry whose deal_amount is not a valid amount (beyond 10⁸ 万元, or not finite) is
// left out of the sums and counted, so signed_amount stays finite and the stats encode.
func TestComputeLeavesOutInvalidAmounts(t *testing.T) {
	day := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	signed := func(x float64) domain.StatRow {
		return domain.StatRow{Entry: &domain.MatchEntry{DemandID: "d1", AgentID: "a", CreatedAt: day, Status: domain.StatusSigned, DealAmount: amount(x)}, DemandRegion: "320100"}
	}
	st := worklist.Compute([]domain.StatRow{signed(1e308), signed(1e308), signed(math.Inf(1)), signed(-1), signed(120)}, day, day.Add(24*time.Hour))
	if st.SignedAmount != 120 || st.ByAgent["a"].SignedAmount != 120 || st.ByRegion["320100"].SignedAmount != 120 || st.AmountsLeftOut != 4 {
		t.Errorf("signed_amount %v (agent %v, region %v), left out %d; want 120, 4 left out", st.SignedAmount, st.ByAgent["a"].SignedAmount, st.ByRegion["320100"].SignedAmount, st.AmountsLeftOut)
	}
	if st.Funnel.Counts["signed"] != 5 {
		t.Errorf("signed count %d, want 5: an entry left out of the sums still counts", st.Funnel.Counts["signed"])
	}
	if _, err := json.Marshal(st); err != nil {
		t.Errorf("stats do not encode: %v", err)
	}
}
