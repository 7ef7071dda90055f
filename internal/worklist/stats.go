package worklist

import (
	"context"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Stats describe the entries created in a window: how far they got, where, by whom.
type Stats struct {
	From         time.Time         `json:"from"`
	To           time.Time         `json:"to"`
	Total        int               `json:"total"`
	Funnel       Funnel            `json:"funnel"`
	ByField      map[string]*Group `json:"by_field"`
	ByRegion     map[string]*Group `json:"by_region"`
	ByAgent      map[string]*Group `json:"by_agent"`
	SignedAmount float64           `json:"signed_amount"`
	// AmountsLeftOut counts signed entries whose deal_amount is not an amount domain.ValidAmount
	// accepts (beyond 10⁸ 万元, negative, not finite): they are left out of every signed_amount,
	// which therefore stays finite and exact.
	AmountsLeftOut   int       `json:"amounts_left_out"`
	MatchesPerDemand PerDemand `json:"matches_per_demand"`
	PerDay           []Day     `json:"per_day"`
}

// Funnel counts entries by current status, and by the furthest stage they ever reached, with
// the conversion from each stage to the next (reached next / reached this; 0 when none reached this).
type Funnel struct {
	Counts     map[string]int     `json:"counts"`
	Reached    map[string]int     `json:"reached"`
	Conversion map[string]float64 `json:"conversion"`
}

// Group is one slice of the entries: how many, how many signed, for how much (万元).
type Group struct {
	Entries      int     `json:"entries"`
	Signed       int     `json:"signed"`
	Rejected     int     `json:"rejected"`
	SignedAmount float64 `json:"signed_amount"`
}

// PerDemand says how many entries demands get.
type PerDemand struct {
	Demands      int            `json:"demands"`
	Mean         float64        `json:"mean"`
	Distribution map[string]int `json:"distribution"` // buckets 1, 2-3, 4-5, 6-10, 11+
}

// Day counts the entries created on one UTC day.
type Day struct {
	Date    string `json:"date"`
	Matches int    `json:"matches"`
}

// funnelStages are the stages an entry passes through on its way to a contract.
var funnelStages = []string{domain.StatusNew, domain.StatusContacted, domain.StatusNegotiating, domain.StatusSigned}

// UnassignedAgent is the by_agent key of entries no agent holds.
const UnassignedAgent = "(unassigned)"

// Stats computes the stats of the entries created in [from, to).
func (s *Service) Stats(ctx context.Context, from, to time.Time) (*Stats, error) {
	rows, err := s.StatRows(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return Compute(rows, from, to), nil
}

// Compute turns entry rows into stats; it is the pure half of Stats.
func Compute(rows []domain.StatRow, from, to time.Time) *Stats {
	st := &Stats{
		From: from, To: to, Total: len(rows),
		Funnel:  Funnel{Counts: map[string]int{}, Reached: map[string]int{}, Conversion: map[string]float64{}},
		ByField: map[string]*Group{}, ByRegion: map[string]*Group{}, ByAgent: map[string]*Group{},
		MatchesPerDemand: PerDemand{Distribution: map[string]int{"1": 0, "2-3": 0, "4-5": 0, "6-10": 0, "11+": 0}},
		PerDay:           []Day{},
	}
	for _, s := range domain.EntryStatuses {
		st.Funnel.Counts[s] = 0
	}
	for _, s := range funnelStages {
		st.Funnel.Reached[s] = 0
	}
	perDemand := map[string]int{}
	perDay := map[string]int{}
	for _, r := range rows {
		e := r.Entry
		st.Funnel.Counts[e.Status]++
		for _, s := range funnelStages[:reached(e)+1] {
			st.Funnel.Reached[s]++
		}
		var amount float64
		if e.Status == domain.StatusSigned && e.DealAmount != nil {
			if domain.ValidAmount(*e.DealAmount) {
				amount = *e.DealAmount
				st.SignedAmount += amount
			} else {
				st.AmountsLeftOut++
			}
		}
		count := func(m map[string]*Group, key string) {
			g := m[key]
			if g == nil {
				g = &Group{}
				m[key] = g
			}
			g.Entries++
			switch e.Status {
			case domain.StatusSigned:
				g.Signed++
				g.SignedAmount += amount
			case domain.StatusRejected:
				g.Rejected++
			}
		}
		for _, f := range r.DemandFields {
			count(st.ByField, f)
		}
		if len(r.DemandFields) == 0 {
			count(st.ByField, "(none)")
		}
		region := r.DemandRegion
		if region == "" {
			region = "(none)"
		}
		count(st.ByRegion, region)
		agent := e.AgentID
		if agent == "" {
			agent = UnassignedAgent
		}
		count(st.ByAgent, agent)
		perDemand[e.DemandID]++
		perDay[e.CreatedAt.UTC().Format(time.DateOnly)]++
	}
	for i := 0; i+1 < len(funnelStages); i++ {
		a, b := funnelStages[i], funnelStages[i+1]
		st.Funnel.Conversion[a+"_to_"+b] = ratio(st.Funnel.Reached[b], st.Funnel.Reached[a])
	}
	st.Funnel.Conversion["overall"] = ratio(st.Funnel.Reached[domain.StatusSigned], st.Funnel.Reached[domain.StatusNew])
	st.SignedAmount = round4(st.SignedAmount)
	for _, n := range perDemand {
		st.MatchesPerDemand.Distribution[bucket(n)]++
	}
	st.MatchesPerDemand.Demands = len(perDemand)
	if len(perDemand) > 0 {
		st.MatchesPerDemand.Mean = round4(float64(len(rows)) / float64(len(perDemand)))
	}
	for _, d := range slices.Sorted(maps.Keys(perDay)) {
		st.PerDay = append(st.PerDay, Day{Date: d, Matches: perDay[d]})
	}
	return st
}

// reached is the index in funnelStages of the furthest stage an entry's history shows.
func reached(e *domain.MatchEntry) int {
	best := 0
	for _, h := range e.History {
		best = max(best, slices.Index(funnelStages, h.To))
	}
	return max(best, slices.Index(funnelStages, e.Status))
}

func bucket(n int) string {
	switch {
	case n <= 1:
		return "1"
	case n <= 3:
		return "2-3"
	case n <= 5:
		return "4-5"
	case n <= 10:
		return "6-10"
	}
	return "11+"
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round4(float64(a) / float64(b) * 1.0)
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
