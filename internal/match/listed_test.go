package match_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// recordingSearcher recalls from the index and keeps the last hits, so a test can rank the
// same candidates itself.
type recordingSearcher struct {
	ix   *index.Index
	hits []index.Hit
}

func (s *recordingSearcher) Recall(ctx context.Context, r index.RecallRequest) ([]index.Hit, error) {
	hits, err := s.ix.Recall(ctx, r)
	s.hits = hits
	return hits, err
}

// candidates are the last hits with their records, each hit's Matched cut to the terms its
// record holds whole, as matching does for the listed ones before telling them.
func (s *recordingSearcher) candidates(t *testing.T, recs records) []match.Candidate {
	out := make([]match.Candidate, len(s.hits))
	for i, h := range s.hits {
		r := recs[h.Kind][h.ID]
		var extra string
		if e, ok := r.(*domain.Expert); ok {
			var err error
			if extra, err = index.ExpertLinkedText(context.Background(), recs, e); err != nil {
				t.Fatal(err)
			}
		}
		h.Matched = index.WholeTerms(index.SearchText(r, extra), h.Matched)
		out[i] = match.Candidate{Record: r, Hit: h}
	}
	return out
}

// supExtra is the text the index adds to sup: an expert's linked titles.
func supExtra(t *testing.T, recs records, sup domain.SupplyRecord) string {
	e, ok := sup.(*domain.Expert)
	if !ok {
		return ""
	}
	extra, err := index.ExpertLinkedText(context.Background(), recs, e)
	if err != nil {
		t.Fatal(err)
	}
	return extra
}

// listJSON is a list as the API answers it, highlights left out: Rank, unlike MatchDemand,
// does not make them.
func listJSON(t *testing.T, l *domain.MatchList) string {
	t.Helper()
	c := *l
	c.Matches = slices.Clone(l.Matches)
	for i := range c.Matches {
		c.Matches[i].Highlights = nil
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestListedMatchesAreTheFullRankingsHead checks that matching, which scores every candidate
// without reasons and tells them for the listed ones only, answers byte for byte the head of
// the full ranking (Rank, RankDemands: every candidate with its reasons) of the same
// candidates: same scores, order, components, reasons and exclusions, for every demo demand
// and supply item under profiles that make every feature and hard filter act.
func TestListedMatchesAreTheFullRankingsHead(t *testing.T) {
	env := loadDemo(t)
	rec := &recordingSearcher{ix: env.ix}
	svc := match.New(rec, env.recs, env.tax, demoNoise()).WithClock(func() time.Time { return clock })
	strict := match.DefaultProfile()
	strict.Name = "strict"
	strict.Params.HardFilters = domain.HardFilters
	strict.Params.FreshnessHalfLifeDays = 30 // old records get a reason
	strict.Params.PartnerRegions = [][]string{{"640000", "320000"}}
	textOnly := &domain.Profile{Name: "text-only", Weights: map[string]float64{"text": 1}}
	profiles := []*domain.Profile{nil, strict, textOnly}
	ctx := context.Background()
	compared := 0
	for _, id := range slices.Sorted(maps.Keys(env.recs[domain.Demands])) {
		d := env.recs[domain.Demands][id].(*domain.Demand)
		for _, p := range profiles {
			for _, limit := range []int{1, 5, match.MaxLimit} {
				got, err := svc.MatchDemand(ctx, d, nil, limit, p)
				if err != nil {
					t.Fatal(err)
				}
				full := svc.Rank(d, rec.candidates(t, env.recs), p)
				full.Matches = full.Matches[:min(len(full.Matches), limit)]
				if g, w := listJSON(t, got), listJSON(t, full); g != w {
					t.Fatalf("demand %s, profile %v, limit %d:\nmatched %s\nranked  %s", id, p, limit, g, w)
				}
				compared += len(got.Matches)
			}
		}
	}
	for _, k := range domain.SupplyKinds {
		for _, id := range slices.Sorted(maps.Keys(env.recs[k])) {
			sup := env.recs[k][id].(domain.SupplyRecord)
			for _, p := range profiles {
				got, err := svc.MatchSupply(ctx, sup, 5, p)
				if err != nil {
					t.Fatal(err)
				}
				cands, excluded, err := svc.DemandCandidates(ctx, sup, 5, p)
				if err != nil {
					t.Fatal(err)
				}
				// The hits are the demands' terms searched in sup: what they name is checked there.
				for i := range cands {
					cands[i].Hit.Matched = index.WholeTerms(index.SearchText(sup, supExtra(t, env.recs, sup)), cands[i].Hit.Matched)
				}
				full := svc.RankDemands(sup, cands, p)
				full.Excluded.Count += excluded.Count
				for r, n := range excluded.ByReason {
					full.Excluded.ByReason[r] += n
				}
				full.Matches = full.Matches[:min(len(full.Matches), 5)]
				if g, w := listJSON(t, got), listJSON(t, full); g != w {
					t.Fatalf("%s %s, profile %v:\nmatched %s\nranked  %s", k, id, p, g, w)
				}
				compared += len(got.Matches)
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d matches compared; the demo data should give more", compared)
	}
}
