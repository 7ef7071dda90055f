package match_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// highlightingSearcher recalls as asked and, on the side, with Highlight set, keeping what the
// index would have highlighted for each hit.
type highlightingSearcher struct {
	ix   *index.Index
	want map[index.DocKey]map[string][]string
}

func (s *highlightingSearcher) Recall(ctx context.Context, r index.RecallRequest) ([]index.Hit, error) {
	hr := r
	hr.Highlight = true
	hits, err := s.ix.Recall(ctx, hr)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		s.want[index.DocKey{Kind: h.Kind, ID: h.ID}] = h.Highlights
	}
	return s.ix.Recall(ctx, r)
}

// TestListedHighlightsAreTheIndexs checks that highlights made for the listed matches only, from
// the records, are the ones the index makes from the records it reads back.
func TestListedHighlightsAreTheIndexs(t *testing.T) {
	env := loadDemo(t)
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.OpenMem(seg, index.WithRecords(env.recs))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var all []domain.Record
	for _, byID := range env.recs {
		for _, r := range byID {
			all = append(all, r)
		}
	}
	if err := ix.Apply(context.Background(), all, nil, 1); err != nil {
		t.Fatal(err)
	}
	s := &highlightingSearcher{ix: ix, want: map[index.DocKey]map[string][]string{}}
	svc := match.New(s, env.recs, loadTaxonomy(t), nil)
	marked := 0
	for _, id := range []string{"dem-001", "dem-002", "dem-004", "dem-010", "dem-020"} {
		d := env.recs[domain.Demands][id].(*domain.Demand)
		l, err := svc.MatchDemand(context.Background(), d, nil, 10, match.DefaultProfile())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range l.Matches {
			want := s.want[index.DocKey{Kind: m.Kind, ID: m.ID}]
			if !reflect.DeepEqual(m.Highlights, want) {
				t.Errorf("%s → %s %s: highlights %q, the index's %q", id, m.Kind, m.ID, m.Highlights, want)
			}
			if strings.Contains(strings.Join(m.Highlights["summary"], "")+strings.Join(m.Highlights["title"], ""), "<mark>") {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Error("no listed match has a highlighted term")
	}
}
