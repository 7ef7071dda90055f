package match

import (
	"context"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// DemandFeedback is what agents reported back about one demand's matches, in the form
// ranking can use.
type DemandFeedback struct {
	// Hidden are supply items rejected as not relevant: never listed for this demand again.
	Hidden map[domain.Kind]map[string]bool
	// MinTRL, when above the demand's own, is the effective min TRL: the demand side found a
	// supply item of MinTRL-1 too early.
	MinTRL int
	// BudgetMax, when set, caps the budget: the demand side found a price too high.
	BudgetMax *float64
}

// Feedback gives the feedback recorded for a stored demand.
type Feedback interface {
	For(ctx context.Context, demandID string) (DemandFeedback, error)
}

// ReasonFeedbackNotRelevant counts, in excluded.by_reason, pairs an agent rejected as not relevant.
const ReasonFeedbackNotRelevant = "feedback_not_relevant"

// WithFeedback makes MatchDemand apply agents' feedback on stored demands; it returns the service.
func (s *Service) WithFeedback(f Feedback) *Service {
	s.feedback = f
	return s
}

// feedbackFor loads a stored demand's feedback and returns the demand as ranking should see
// it: min TRL raised, budget narrowed. Ad-hoc demands (no id) have no feedback.
func (s *Service) feedbackFor(ctx context.Context, d *domain.Demand) (*domain.Demand, DemandFeedback, error) {
	if s.feedback == nil || d.ID == "" {
		return d, DemandFeedback{}, nil
	}
	fb, err := s.feedback.For(ctx, d.ID)
	if err != nil {
		return nil, fb, fmt.Errorf("match: feedback for demand %s: %w", d.ID, err)
	}
	if fb.MinTRL <= d.MinTRL && fb.BudgetMax == nil {
		return d, fb, nil
	}
	eff := *d
	if fb.MinTRL > d.MinTRL {
		eff.MinTRL = min(fb.MinTRL, 9)
	}
	if fb.BudgetMax != nil && (d.Budget == nil || d.Budget.Max == nil || *fb.BudgetMax < *d.Budget.Max) {
		b := domain.Range{Max: fb.BudgetMax}
		if d.Budget != nil && d.Budget.Min != nil && *d.Budget.Min <= *fb.BudgetMax {
			b.Min = d.Budget.Min
		}
		eff.Budget = &b
	} else {
		fb.BudgetMax = nil // the demand's own budget is already narrower: the feedback does not act
	}
	return &eff, fb, nil
}

// hideRejected drops the pairs agents rejected, counting them as excluded.
func hideRejected(list *domain.MatchList, fb DemandFeedback) {
	kept := list.Matches[:0]
	for _, m := range list.Matches {
		if fb.Hidden[m.Kind][m.ID] {
			list.Excluded.Count++
			list.Excluded.ByReason[ReasonFeedbackNotRelevant]++
			continue
		}
		kept = append(kept, m)
	}
	list.Matches = kept
}

// noteFeedback tells, on each listed match it acts on, what feedback changed; the notes close
// the reasons.
func noteFeedback(list *domain.MatchList, fb DemandFeedback, orig *domain.Demand) {
	for i := range list.Matches {
		m := &list.Matches[i]
		if fb.MinTRL > orig.MinTRL && m.Kind != domain.Experts {
			m.Reasons = append(m.Reasons, fmt.Sprintf("经纪人反馈：需求方认为技术尚早，最低 TRL 按 %d 计", min(fb.MinTRL, 9)))
		}
		if fb.BudgetMax != nil && m.Kind != domain.Experts {
			m.Reasons = append(m.Reasons, fmt.Sprintf("经纪人反馈：报价偏高，预算上限按 %s 万元计", amount(*fb.BudgetMax)))
		}
	}
}
