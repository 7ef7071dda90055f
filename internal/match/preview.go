package match

import (
	"context"
	"math"

	"github.com/techmatch/techmatch/internal/domain"
)

// previewSize is the list length staff compare: what an agent sees first.
const previewSize = 10

// Preview compares a candidate profile with the current one on a set of demands.
type Preview struct {
	Demands []DemandPreview `json:"demands"`
	// OverlapAt10 is the mean share of top-10 items both profiles list.
	OverlapAt10 float64 `json:"overlap_at_10"`
	// MeanRankShift is the mean |rank change| of every item in either top 10; an item that
	// leaves a top 10 counts at rank 11.
	MeanRankShift float64 `json:"mean_rank_shift"`
}

// DemandPreview is one demand's two top-10 lists side by side.
type DemandPreview struct {
	DemandID    string        `json:"demand_id"`
	Title       string        `json:"title"`
	Current     []PreviewItem `json:"current"`
	Candidate   []PreviewItem `json:"candidate"`
	OverlapAt10 float64       `json:"overlap_at_10"`
}

// PreviewItem is one listed item with its rank under both profiles. OtherRank is the rank in
// the other profile's full ranking, nil when that profile filters the item out; Change says
// new (only in the candidate top 10), dropped (only in the current top 10), up, down or same.
type PreviewItem struct {
	Kind      domain.Kind `json:"kind"`
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Score     float64     `json:"score"`
	Rank      int         `json:"rank"`
	OtherRank *int        `json:"other_rank"`
	Change    string      `json:"change"`
}

// Preview ranks each demand under both profiles from one recall and compares the top 10s.
func (s *Service) Preview(ctx context.Context, demands []*domain.Demand, kinds []domain.Kind, current, candidate *domain.Profile) (*Preview, error) {
	current, candidate = effective(current), effective(candidate)
	out := &Preview{Demands: []DemandPreview{}}
	var shiftSum float64
	var shiftN int
	for _, d := range demands {
		pd := s.prepare(d)
		cands, err := s.recallSupply(ctx, pd, kinds, max(current.Params.Recall, candidate.Params.Recall))
		if err != nil {
			return nil, err
		}
		// Ranks only, no reasons: the preview shows none.
		now := s.now()
		cur := s.rank(s.forwardRun(pd, current, now), cands[:min(len(cands), current.Params.Recall)], false).Matches
		cnd := s.rank(s.forwardRun(pd, candidate, now), cands[:min(len(cands), candidate.Params.Recall)], false).Matches
		dp := DemandPreview{DemandID: d.ID, Title: d.Title}
		dp.Current, dp.Candidate = compare(cur, cnd, "dropped"), compare(cnd, cur, "new")
		common := 0
		for _, it := range dp.Current {
			if it.Change != "dropped" {
				common++
			}
		}
		dp.OverlapAt10 = 1
		if n := max(len(dp.Current), len(dp.Candidate)); n > 0 {
			dp.OverlapAt10 = round4(float64(common) / float64(n))
		}
		for _, it := range dp.Current {
			shiftSum += math.Abs(float64(it.Rank - cappedRank(it.OtherRank)))
			shiftN++
		}
		for _, it := range dp.Candidate {
			if it.Change == "new" {
				shiftSum += math.Abs(float64(it.Rank - cappedRank(it.OtherRank)))
				shiftN++
			}
		}
		out.OverlapAt10 += dp.OverlapAt10
		out.Demands = append(out.Demands, dp)
	}
	if n := len(out.Demands); n > 0 {
		out.OverlapAt10 = round4(out.OverlapAt10 / float64(n))
	}
	if shiftN > 0 {
		out.MeanRankShift = round4(shiftSum / float64(shiftN))
	}
	return out, nil
}

func cappedRank(r *int) int {
	if r == nil || *r > previewSize {
		return previewSize + 1
	}
	return *r
}

// compare lists the top 10 of mine with each item's rank in other; outside is the change of an
// item that is not in other's top 10.
func compare(mine, other []domain.Match, outside string) []PreviewItem {
	rank := map[string]int{}
	for i, m := range other {
		rank[string(m.Kind)+"/"+m.ID] = i + 1
	}
	items := []PreviewItem{}
	for i, m := range mine[:min(len(mine), previewSize)] {
		it := PreviewItem{Kind: m.Kind, ID: m.ID, Title: m.Title, Score: m.Score, Rank: i + 1}
		if r, ok := rank[string(m.Kind)+"/"+m.ID]; ok {
			it.OtherRank = &r
		}
		// Rank change as seen from the current list to the candidate list.
		before, after := it.Rank, cappedRank(it.OtherRank)
		if outside == "new" {
			before, after = after, it.Rank
		}
		switch {
		case it.OtherRank == nil || *it.OtherRank > previewSize:
			it.Change = outside
		case after < before:
			it.Change = "up"
		case after > before:
			it.Change = "down"
		default:
			it.Change = "same"
		}
		items = append(items, it)
	}
	return items
}
