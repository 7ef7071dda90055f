package index

import (
	"context"
	"fmt"
	"strings"

	"github.com/techmatch/techmatch/internal/domain"
)

// ExpertLinkedText is the text an expert's linked achievements and patents lend the expert's
// document (Doc.Extra): their titles, in the order the expert lists them, one per line, so
// that an expert is found by what they made, not only by what they say they study. Links to
// records that do not exist (any more) are skipped.
func ExpertLinkedText(ctx context.Context, r Records, e *domain.Expert) (string, error) {
	var titles []string
	for _, link := range []struct {
		kind domain.Kind
		ids  []string
	}{{domain.Achievements, e.AchievementIDs}, {domain.Patents, e.PatentIDs}} {
		if len(link.ids) == 0 {
			continue
		}
		recs, err := r.GetMany(ctx, link.kind, link.ids)
		if err != nil {
			return "", fmt.Errorf("index: linked %s of expert %s: %w", link.kind, e.ID, err)
		}
		for _, id := range link.ids {
			if s, ok := recs[id].(domain.SupplyRecord); ok && s.Common().Title != "" {
				titles = append(titles, s.Common().Title)
			}
		}
	}
	return strings.Join(titles, "\n"), nil
}
