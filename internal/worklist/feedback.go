package worklist

import (
	"context"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

var _ match.Feedback = (*Service)(nil)

// priceCut is how far below a price rejected as too high the effective budget is set.
const priceCut = 0.9

// For turns the rejections recorded on a demand's entries into ranking feedback:
// not_relevant hides the pair, too_early raises the min TRL above the rejected item's TRL,
// price caps the budget below the rejected item's lowest price.
func (s *Service) For(ctx context.Context, demandID string) (match.DemandFeedback, error) {
	var fb match.DemandFeedback
	rejected, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: demandID, Status: domain.StatusRejected}, 0, 0)
	if err != nil || len(rejected) == 0 {
		return fb, err
	}
	ids := map[domain.Kind][]string{}
	for _, e := range rejected {
		switch e.Reason {
		case domain.RejectNotRelevant:
			if fb.Hidden == nil {
				fb.Hidden = map[domain.Kind]map[string]bool{}
			}
			if fb.Hidden[e.SupplyKind] == nil {
				fb.Hidden[e.SupplyKind] = map[string]bool{}
			}
			fb.Hidden[e.SupplyKind][e.SupplyID] = true
		case domain.RejectTooEarly, domain.RejectPrice:
			ids[e.SupplyKind] = append(ids[e.SupplyKind], e.SupplyID)
		}
	}
	recs := map[domain.Kind]map[string]domain.Record{}
	for k, list := range ids {
		if recs[k], err = s.GetMany(ctx, k, list); err != nil {
			return fb, fmt.Errorf("worklist: feedback for %s: %w", demandID, err)
		}
	}
	for _, e := range rejected {
		rec, ok := recs[e.SupplyKind][e.SupplyID].(domain.SupplyRecord)
		if !ok {
			continue
		}
		sup := rec.Common()
		switch e.Reason {
		case domain.RejectTooEarly:
			if sup.TRL > 0 {
				fb.MinTRL = max(fb.MinTRL, sup.TRL+1)
			}
		case domain.RejectPrice:
			lo := lowestPrice(rec)
			if lo > 0 && (fb.BudgetMax == nil || lo*priceCut < *fb.BudgetMax) {
				v := lo * priceCut
				fb.BudgetMax = &v
			}
		}
	}
	return fb, nil
}

// lowestPrice is the lowest price a supply item asks, 0 when it states none.
func lowestPrice(rec domain.SupplyRecord) float64 {
	p := rec.Common().Price
	if pt, ok := rec.(*domain.Patent); ok && p == nil && pt.LicenseFee != nil {
		return *pt.LicenseFee
	}
	switch {
	case p == nil:
		return 0
	case p.Min != nil:
		return *p.Min
	case p.Max != nil:
		return *p.Max
	}
	return 0
}
