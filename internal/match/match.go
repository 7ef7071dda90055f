// Package match ranks supply for a demand, and open demands for a supply item, and says why in Chinese.
package match

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// Searcher recalls candidates by text.
type Searcher interface {
	Recall(ctx context.Context, r index.RecallRequest) ([]index.Hit, error)
}

// Records loads the recalled records.
type Records interface {
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
}

// List sizes: a match list has DefaultLimit entries unless asked, never more than MaxLimit.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// Service runs the matching pipeline: recall, hard filters, features, weighted score, reasons.
type Service struct {
	search  Searcher
	records Records
	tax     *taxonomy.Taxonomy
	noise   []string
	now     func() time.Time
	// feedback, when set, adjusts stored demands by agents' feedback (see WithFeedback).
	feedback Feedback
}

// New builds the service. noise are demand-talk words (configs/dict/demand_noise.txt) cut from
// a demand's recall text, beside those it always cuts (coreNoise).
func New(s Searcher, r Records, tax *taxonomy.Taxonomy, noise []string) *Service {
	return &Service{search: s, records: r, tax: tax, noise: slices.Clone(noise), now: time.Now}
}

// WithClock sets the clock freshness is measured against, so golden tests stay stable; it
// returns the service.
func (s *Service) WithClock(now func() time.Time) *Service {
	s.now = now
	return s
}

// DefaultProfile is used when a caller passes no profile; its weights are configs/weights.yaml's.
func DefaultProfile() *domain.Profile {
	return &domain.Profile{
		Name: "default", Version: 0,
		Weights: map[string]float64{"text": 0.45, "field": 0.15, "region": 0.10, "maturity": 0.10,
			"budget": 0.08, "mode": 0.05, "freshness": 0.02, "quality": 0.05},
		Params: domain.DefaultParams(),
	}
}

// effective fills what a profile leaves unset with the defaults, without changing the caller's.
func effective(p *domain.Profile) *domain.Profile {
	if p == nil {
		return DefaultProfile()
	}
	q := *p
	q.Weights = maps.Clone(p.Weights)
	if q.Weights == nil {
		q.Weights = DefaultProfile().Weights
	}
	def := domain.DefaultParams()
	if q.Params.Recall <= 0 {
		q.Params.Recall = def.Recall
	}
	if q.Params.FreshnessHalfLifeDays <= 0 {
		q.Params.FreshnessHalfLifeDays = def.FreshnessHalfLifeDays
	}
	if q.Params.RegionScores == (domain.RegionScores{}) {
		q.Params.RegionScores = def.RegionScores
	}
	return &q
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// MatchDemand ranks supply of the given kinds (all supply kinds when empty) for a demand,
// stored or ad hoc, under profile p (DefaultProfile when nil).
func (s *Service) MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error) {
	p = effective(p)
	eff, fb, err := s.feedbackFor(ctx, d)
	if err != nil {
		return nil, err
	}
	pd := s.prepare(eff)
	cands, err := s.recallSupply(ctx, pd, kinds, p.Params.Recall)
	if err != nil {
		return nil, err
	}
	r := s.forwardRun(pd, p, s.now())
	list := s.rank(r, cands, false)
	hideRejected(list, fb)
	list.Matches = list.Matches[:min(len(list.Matches), clampLimit(limit))]
	s.explainListed(ctx, r, list.Matches, cands)
	noteFeedback(list, fb, d)
	return list, nil
}

// Candidates recalls supply of the given kinds for a demand, as MatchDemand does before its
// filters and features: the hits, best first by text, with their text signals. It is what
// `techmatch fit` learns the text model from.
func (s *Service) Candidates(ctx context.Context, d *domain.Demand, kinds []domain.Kind, size int) ([]Candidate, error) {
	return s.recallSupply(ctx, s.prepare(d), kinds, size)
}

// recallSupply recalls supply for a prepared demand and loads the records.
func (s *Service) recallSupply(ctx context.Context, pd *preparedDemand, kinds []domain.Kind, size int) ([]Candidate, error) {
	if len(kinds) == 0 {
		kinds = domain.SupplyKinds
	}
	for _, k := range kinds {
		if !k.IsSupply() {
			return nil, domain.Invalid("kind", "类型 %q 不是供给类型", k)
		}
	}
	return s.recall(ctx, pd.recallRequest(kinds, size), "demand "+pd.given.ID)
}

// MatchSupply ranks open demands for one supply item: reverse matching, the same answer shape
// with demands in Matches. Its candidates are DemandCandidates: each pair scored as forward
// matching scores it.
func (s *Service) MatchSupply(ctx context.Context, rec domain.SupplyRecord, limit int, p *domain.Profile) (*domain.MatchList, error) {
	r := s.reverseRun(rec, effective(p), s.now())
	limit = clampLimit(limit)
	cands, excluded, err := s.demandCandidates(ctx, r, limit)
	if err != nil {
		return nil, err
	}
	list := s.rankDemands(r, cands, false)
	list.Excluded.Count += excluded.Count
	for r, n := range excluded.ByReason {
		list.Excluded.ByReason[r] += n
	}
	list.Matches = list.Matches[:min(len(list.Matches), limit)]
	s.explainListed(ctx, r, list.Matches, cands)
	return list, nil
}

// DemandCandidates are the open demands MatchSupply ranks for rec, for a list of limit: those
// the supply item's own text recalls, ranked by it, and of the best max(3·limit, minRescored)
// the pair as forward matching scores it (forwardHits), with what that first ranking excluded.
func (s *Service) DemandCandidates(ctx context.Context, rec domain.SupplyRecord, limit int, p *domain.Profile) ([]Candidate, domain.Excluded, error) {
	return s.demandCandidates(ctx, s.reverseRun(rec, effective(p), s.now()), clampLimit(limit))
}

func (s *Service) demandCandidates(ctx context.Context, r *run, limit int) ([]Candidate, domain.Excluded, error) {
	rec := r.supply
	sup := rec.Common()
	keywords := slices.Clone(sup.Keywords)
	if e, ok := rec.(*domain.Expert); ok {
		keywords = append(keywords, e.ResearchAreas...)
	}
	req := index.RecallRequest{
		Title: sup.Title, Keywords: keywords, Body: sup.Summary,
		Kinds: []domain.Kind{domain.Demands}, Size: r.p.Params.Recall, OnlyOpen: true,
	}
	if _, ok := rec.(*domain.Expert); ok {
		// An expert's title is a person's name: it says nothing about what a demand needs.
		req.Title = ""
	}
	cands, err := s.recall(ctx, req, string(rec.RecordKind())+" "+sup.ID)
	if err != nil {
		return nil, domain.Excluded{}, err
	}
	first := s.rankDemands(r, cands, false)
	cands, err = s.forwardHits(ctx, r, cands, first.Matches, max(3*limit, minRescored))
	return cands, first.Excluded, err
}

// minRescored is the fewest demands reverse matching scores as forward matching would.
const minRescored = 30

// forwardHits replaces the hits of the best n of the demands ranked (the reverse ranking's
// matches) by the hits forward matching gives the same pair: the demand's text searched,
// restricted to rec. A pair's text relevance is so one number whichever side is matched: the
// reverse query (the supply item's text) only chooses which demands are scored. Candidates
// below the best n, and those the reverse ranking excluded, are left out.
func (s *Service) forwardHits(ctx context.Context, r *run, cands []Candidate, ranked []domain.Match, n int) ([]Candidate, error) {
	rec := r.supply
	byID := make(map[string]Candidate, len(cands))
	for _, c := range cands {
		if c.Record != nil {
			byID[c.Hit.ID] = c
		}
	}
	key := index.DocKey{Kind: rec.RecordKind(), ID: rec.GetMeta().ID}
	out := make([]Candidate, 0, min(n, len(ranked)))
	for _, m := range ranked[:min(n, len(ranked))] {
		c, ok := byID[m.ID]
		if !ok {
			continue
		}
		d := c.Record.(*domain.Demand)
		req := s.candidate(r, d).recallRequest([]domain.Kind{key.Kind}, 1)
		req.Only = []index.DocKey{key}
		hits, err := s.search.Recall(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("match: score demand %s for %s %s: %w", d.ID, key.Kind, key.ID, err)
		}
		if len(hits) == 0 {
			continue // the demand's own text shares nothing with rec
		}
		h := hits[0]
		h.Kind, h.ID = domain.Demands, d.ID // the hit names what is listed
		out = append(out, Candidate{Record: d, Hit: h})
	}
	return out, nil
}

// recall runs one recall and loads the hits' records, kind by kind, keeping the hit order.
// A hit whose record is gone yields a Candidate with a nil Record, counted as missing.
func (s *Service) recall(ctx context.Context, req index.RecallRequest, what string) ([]Candidate, error) {
	if strings.TrimSpace(req.Title+req.Body) == "" && len(req.Keywords) == 0 {
		return nil, nil
	}
	hits, err := s.search.Recall(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("match: recall for %s: %w", what, err)
	}
	recs, err := index.LoadHits(ctx, s.records, hits)
	if err != nil {
		return nil, fmt.Errorf("match: recall for %s: %w", what, err)
	}
	cands := make([]Candidate, len(hits))
	for i, h := range hits {
		cands[i] = Candidate{Record: recs[index.DocKey{Kind: h.Kind, ID: h.ID}], Hit: h}
	}
	return cands, nil
}
