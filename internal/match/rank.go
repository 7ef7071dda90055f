package match

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// Exclusion reasons besides the profile's hard filters (domain.HardFilters).
const (
	ReasonLowText = "low_text_relevance"
	// ReasonMissing counts hits whose record left the store between recall and scoring.
	ReasonMissing = "missing_record"
	// ReasonDeadline counts demands still open in the index whose deadline has passed: the
	// server closes them at its next sweep, and no list offers them before.
	ReasonDeadline = "deadline"
)

// Candidate is one recalled record and its hit.
type Candidate struct {
	Record domain.Record
	Hit    index.Hit
}

// Rank filters, scores and orders supply candidates for a demand, without a limit, every
// match with its reasons. It is the pure half of MatchDemand: no I/O. The candidates' Matched
// are told as given; MatchDemand first keeps, of the listed ones', the terms held whole
// (wholeTerms).
func (s *Service) Rank(d *domain.Demand, cands []Candidate, p *domain.Profile) *domain.MatchList {
	return s.rank(s.forwardRun(s.prepare(d), effective(p), s.now()), cands, true)
}

// rank is Rank for a forward run; without explain the matches have no reasons (see
// explainListed).
func (s *Service) rank(r *run, cands []Candidate, explain bool) *domain.MatchList {
	p, filled := r.p, r.demand.filled
	pr := s.pairing(r, explain)
	pr.telling = textTells(slices.Concat([]string{filled.Title, filled.Description}, filled.Keywords)...) || anyTells(cands)
	list := newList(p)
	list.DemandID, list.Inferred = r.demand.given.ID, r.demand.inferred
	var bm25 []float64
	for _, c := range cands {
		rec, ok := c.Record.(domain.SupplyRecord)
		if !ok {
			list.exclude(ReasonMissing)
			continue
		}
		if why := pr.exclusion(rec, rec, c.Hit); why != "" {
			list.exclude(why)
			continue
		}
		list.Matches = append(list.Matches, pr.score(p, rec, rec, judged{supply: rec}, c.Hit))
		bm25 = append(bm25, c.Hit.Score)
	}
	sortMatches(list.Matches, bm25)
	return list.MatchList
}

// RankDemands filters, scores and orders demand candidates for one supply item: the same
// filters and features with the roles swapped, freshness and quality judged on the demand.
// Every match has its reasons; the candidates' Matched are told as given (see Rank).
func (s *Service) RankDemands(rec domain.SupplyRecord, cands []Candidate, p *domain.Profile) *domain.MatchList {
	return s.rankDemands(s.reverseRun(rec, effective(p), s.now()), cands, true)
}

func (s *Service) rankDemands(r *run, cands []Candidate, explain bool) *domain.MatchList {
	p, rec := r.p, r.supply
	list := newList(p)
	list.SupplyID = rec.GetMeta().ID
	sup := rec.Common()
	telling := textTells(slices.Concat([]string{sup.Title, sup.Summary}, sup.Keywords)...) || anyTells(cands)
	var bm25 []float64
	for _, c := range cands {
		d, ok := c.Record.(*domain.Demand)
		if !ok {
			list.exclude(ReasonMissing)
			continue
		}
		pr := s.reversePairing(r, d, explain)
		pr.telling = telling
		if why := pr.exclusion(rec, d, c.Hit); why != "" {
			list.exclude(why)
			continue
		}
		list.Matches = append(list.Matches, pr.score(p, rec, d, judged{demand: pr.d}, c.Hit))
		bm25 = append(bm25, c.Hit.Score)
	}
	sortMatches(list.Matches, bm25)
	return list.MatchList
}

// explainListed replaces each listed match, scored without reasons, by the same pair scored
// with them. Ranking scores all recalled candidates, about 200, to list 10; telling the reasons
// of all of them (three quarters of ranking's allocations: 5,219 against 1,301 for 200) was
// wasted on the 190 not listed. Feature values never depend on explain, so the scores and
// the order are the ones ranking gave, at the run's time (freshness). A forward run's matches
// are supply for its demand; a reverse run's, demands for its supply item.
// The terms a reason names as matched are those the record holds whole (verbatim), and the
// highlights mark those terms (namedTerms): a list that names 导热膜 should not also mark 用于
// and 技术. Recall runs without highlighting: loading the stored text of all its candidates
// cost about a sixth of a match, and only the listed few are shown.
func (s *Service) explainListed(ctx context.Context, r *run, ms []domain.Match, cands []Candidate) {
	p, sup := r.p, r.supply
	var fwd *pairing
	if r.demand != nil {
		fwd = s.pairing(r, true)
	}
	var supHeld func([]string) []string
	if sup != nil {
		supHeld = s.verbatim(ctx, sup)
	}
	eachListed(ms, cands, func(domain.Match) bool { return true }, func(i int, c Candidate) {
		// The hit is the demand's terms searched in the supply item's text (forward, or
		// forwardHits in reverse), so what it names is checked there.
		held := supHeld
		if held == nil {
			held = s.verbatim(ctx, c.Record)
		}
		c.Hit.Matched = held(c.Hit.Matched)
		named := namedTerms(c.Hit.Matched)
		if len(named) == 0 {
			// No term to name: the words of them the record holds are named instead, as
			// 部分匹配 (pairing.text reads Parts on the same condition).
			c.Hit.Parts = held(c.Hit.Parts)
			named = namedTerms(c.Hit.Parts)
		}
		switch rec := c.Record.(type) {
		case domain.SupplyRecord:
			if fwd != nil {
				ms[i] = fwd.score(p, rec, rec, judged{supply: rec}, c.Hit)
			}
			ms[i].Highlights = index.Highlights(rec.Common().Title, rec.Common().Summary, named)
		case *domain.Demand:
			if sup != nil {
				pr := s.reversePairing(r, rec, true)
				ms[i] = pr.score(p, sup, rec, judged{demand: pr.d}, c.Hit)
			}
			ms[i].Highlights = index.Highlights(rec.Title, rec.Description, named)
		}
	})
}

// verbatim returns a function keeping those of the terms it is given that r holds whole,
// verbatim (index.WholeTerms), in the text the index has for it: an expert's includes the
// titles of the achievements and patents linked to it (index.ExpertLinkedText), read once for a
// record's matched terms and words alike. Recall names every term whose bigrams a record
// holds, possibly apart, which is right for ranking but not to tell an agent "匹配关键词：锂电池"
// of a record about 锂电 materials and fuel 电池. If the links cannot be read, the expert's own
// text decides: a reason may then leave out a term, never name a wrong one.
func (s *Service) verbatim(ctx context.Context, r domain.Record) func(terms []string) []string {
	var text string
	read := false
	return func(terms []string) []string {
		if len(terms) == 0 {
			return terms
		}
		if !read {
			var extra string
			if e, ok := r.(*domain.Expert); ok {
				extra, _ = index.ExpertLinkedText(ctx, s.records, e)
			}
			text, read = index.SearchText(r, extra), true
		}
		return index.WholeTerms(text, terms)
	}
}

// eachListed calls fn with the position in ms and the candidate of every match that want
// accepts.
func eachListed(ms []domain.Match, cands []Candidate, want func(domain.Match) bool, fn func(i int, c Candidate)) {
	listed := make(map[index.DocKey]int, len(ms))
	for i, m := range ms {
		if want(m) {
			listed[index.DocKey{Kind: m.Kind, ID: m.ID}] = i
		}
	}
	for _, c := range cands {
		if i, ok := listed[index.DocKey{Kind: c.Hit.Kind, ID: c.Hit.ID}]; ok {
			fn(i, c)
		}
	}
}

type listBuilder struct{ *domain.MatchList }

func newList(p *domain.Profile) listBuilder {
	return listBuilder{&domain.MatchList{Profile: p.Ref(), Matches: []domain.Match{}, Excluded: domain.Excluded{ByReason: map[string]int{}}}}
}

func (l listBuilder) exclude(reason string) {
	l.Excluded.Count++
	l.Excluded.ByReason[reason]++
}

// exclusion names the first hard filter that drops the pair, or "". The candidate is what is
// being listed: the supply item in forward matching, the demand in reverse. Only stated demand
// fields are filtered on; a value read from prose may be misread, so it only moves the score.
// Experts are never dropped for their modes: consulting or a secondment comes on top of however
// the technology itself is taken up.
func (pr *pairing) exclusion(rec domain.SupplyRecord, candidate domain.Record, h index.Hit) string {
	// Coverage, not Text, so that BM25's share in Text cannot move the floor: a stray common
	// word is no match, however well the rest fits; nor, above the floor, are generic words
	// alone where other candidates share words worth naming (anyTells).
	if clamp01(h.Coverage) < pr.params.MinText || pr.telling && !tells(h) {
		return ReasonLowText
	}
	on := func(f string) bool { return slices.Contains(pr.params.HardFilters, f) }
	sup, d := rec.Common(), pr.stated
	if cd, ok := candidate.(*domain.Demand); ok && cd.Lapsed(pr.now) {
		return ReasonDeadline // not a profile's choice: recall leaves out closed demands alike
	}
	if on("closed") && closed(candidate) {
		return "closed"
	}
	if p, ok := candidate.(*domain.Patent); ok && on("patent_invalid") && (p.LegalStatus == "invalid" || p.LegalStatus == "expired") {
		return "patent_invalid"
	}
	if on("conflict_of_interest") && conflict(d.Enterprise, rec) {
		return "conflict_of_interest"
	}
	if _, isExpert := rec.(*domain.Expert); on("mode_mismatch") && !isExpert && len(d.AcceptModes) > 0 {
		if offered := offeredModes(rec); len(offered) > 0 && len(commonModes(d.AcceptModes, offered)) == 0 {
			return "mode_mismatch"
		}
	}
	if on("trl_floor") && d.MinTRL > 0 && sup.TRL > 0 && sup.TRL < d.MinTRL-pr.params.TRLFloorGap {
		return "trl_floor"
	}
	return ""
}

// tells reports whether h shares with the query a term or a word of one that a list would
// name (namedTerms): more than a generic word (生产, 技术), a lone character, a number or a unit.
func tells(h index.Hit) bool {
	return slices.ContainsFunc(h.Matched, worthNaming) || slices.ContainsFunc(h.Parts, worthNaming)
}

// anyTells reports whether a candidate tells (see tells). Where one does, or where the query's
// text has words worth naming (textTells), a candidate sharing none of them is no text match
// however well its other features fit: a rare-earth magnet sharing only 生产 with a vaccine
// demand. Where neither (a query of generic words only: 技术 研究), the text floor alone decides.
func anyTells(cands []Candidate) bool {
	return slices.ContainsFunc(cands, func(c Candidate) bool { return tells(c.Hit) })
}

// textTells reports whether texts hold a word a list could name: a run of two letters or more
// (Han or Latin, not a unit) left when the generic words are taken out. It sees what anyTells
// cannot: a demand for 高端轴承 where no candidate holds 轴承 still has words worth naming, and a
// record sharing only 高端 with it is no match. It errs towards telling (一种 of 一种技术 is
// left and tells), which only drops candidates that share nothing worth naming.
func textTells(texts ...string) bool {
	for _, t := range texts {
		t = strings.ToLower(t)
		for _, g := range genericTerms {
			t = strings.ReplaceAll(t, g, " ")
		}
		for _, run := range strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if utf8.RuneCountInString(run) >= 2 && !index.IsUnit(run) {
				return true
			}
		}
	}
	return false
}

// closed reports whether a candidate can no longer be taken up: a closed supply item, or a
// demand that is matched or closed.
func closed(r domain.Record) bool {
	switch v := r.(type) {
	case *domain.Demand:
		return v.Status != "" && v.Status != "open"
	case domain.SupplyRecord:
		return v.Common().Status == "closed"
	}
	return false
}

// conflict reports whether the supply belongs to the demanding enterprise: its org, or for a
// patent one of its applicants. An enterprise matched to itself is no transfer.
func conflict(enterprise string, rec domain.SupplyRecord) bool {
	e := normOrg(enterprise)
	if e == "" {
		return false
	}
	if normOrg(rec.Common().Org) == e {
		return true
	}
	if p, ok := rec.(*domain.Patent); ok {
		return slices.ContainsFunc(p.Applicants, func(a string) bool { return normOrg(a) == e })
	}
	return false
}

func normOrg(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '（', '）', '(', ')':
			return -1
		}
		return r
	}, s)
}

// score computes the pair's feature values and its weighted score, and with explain its
// reasons (reasons.go). listed is the record the match names; j gives freshness and quality.
func (pr *pairing) score(p *domain.Profile, rec domain.SupplyRecord, listed domain.Record, j judged, h index.Hit) domain.Match {
	v := pr.values(rec, j, h)
	m := domain.Match{
		Kind:       listed.RecordKind(),
		ID:         listed.GetMeta().ID,
		Components: make(map[string]float64, numFeatures),
		Highlights: h.Highlights,
		Reasons:    []string{},
	}
	switch l := listed.(type) {
	case *domain.Demand:
		m.Title, m.Deadline = l.Title, l.Deadline
		if l.Challenge != nil {
			ch := *l.Challenge
			m.Challenge = &ch
		}
	case domain.SupplyRecord:
		m.Title = l.Common().Title
	}
	var sum, wsum float64
	for _, f := range reasonOrder { // summed in one fixed order: a score's last bits, so its ties, depend on it
		name := featureNames[f]
		m.Components[name] = round4(v[f])
		w := p.Weights[name]
		sum += w * v[f]
		wsum += w
	}
	if wsum > 0 {
		m.Score = round4(sum / wsum)
	}
	if pr.explain {
		m.Reasons = pr.reasons(rec, j, h, v)
	}
	return m
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// sortMatches orders by score, then text relevance, then the recall's BM25 score (bm25[i] is
// ms[i]'s), then kind and id, so equal scores keep a stable order across calls and cache fills.
// BM25 before id matters: with the text-only profile about a fifth of the CSL dev queries tie
// at the top, and ordering those by id ranks by whichever ids sort first (docs/relevance.md).
func sortMatches(ms []domain.Match, bm25 []float64) {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := ms[i], ms[j]
		return cmp.Or(
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(b.Components["text"], a.Components["text"]),
			cmp.Compare(index.Stable(bm25[j]), index.Stable(bm25[i])),
			strings.Compare(string(a.Kind), string(b.Kind)),
			strings.Compare(a.ID, b.ID),
		)
	})
	sorted := make([]domain.Match, len(ms))
	for k, i := range order {
		sorted[k] = ms[i]
	}
	copy(ms, sorted)
}
