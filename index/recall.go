package index

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/techmatch/techmatch/internal/domain"
)

// Hit is one record found by Search or Recall.
type Hit struct {
	Kind       domain.Kind
	ID         string
	Score      float64             // raw BM25 score
	Text       float64             // text relevance in [0,1]: the text model's mean of Signals (TextModel.Combine)
	Coverage   float64             // the idf-weighted credit of the query's terms the hit holds, over what a record of its length could earn, in [0,1]
	Held       float64             // the same credit over all of the query's terms, whatever the hit's length: what candidate selection bounds (requiredQuery)
	Signals    Signals             // what Text is made of
	Matched    []string            // the query terms the hit holds whole (heldSet.holds), e.g. 锂离子电池
	Parts      []string            // the words of the query's terms it holds, e.g. 电池 of 锂离子电池 in a 钠离子电池 record
	Highlights map[string][]string // e.g. {"summary": ["…<mark>锂电池</mark>…"]}; HTML-escaped except <mark>; set by SearchResult.Highlight
}

// RecallRequest asks for the candidates of one demand (or of one supply item, for reverse matching).
type RecallRequest struct {
	Title    string
	Keywords []string
	Body     string // description or summary
	Kinds    []domain.Kind
	Size     int // default 200
	Exclude  []DocKey
	// Only, when set, restricts the hits to these records: how a pair is scored from the
	// demand's side when the supply item is what is being matched (reverse matching).
	Only     []DocKey
	OnlyOpen bool // only records whose status is open (demands)
}

// DefaultRecallSize is the number of candidates Recall returns when Size is 0.
const DefaultRecallSize = 200

// tuning holds the knobs of text relevance, measured in docs/relevance.md.
type tuning struct {
	partial     float64 // credit for a term of which only some jieba words occur
	phraseIDF   bool    // weigh keywords and title terms by their own idf, not their rarest bigram's
	titleBoost  float64 // weight of a term found in the title, in the BM25 score (orders ties of Text)
	flatBoost   bool    // leave term clauses unboosted: BM25's own idf weighs the bigrams
	subParts    bool    // a term jieba keeps whole gets its dictionary sub-words as parts
	bm25Share   float64 // share of a hit's Text that follows its saturated BM25 score (see blendBM25)
	bm25Sat     float64 // BM25 score, per unit of the query's total term weight, giving half of bm25Share
	gramPartial float64 // credit for a term without jieba parts of which only some bigrams occur
	keyShare    float64 // share of the documents above which a key is common (requiredQuery)
	maxMissed   float64 // the Coverage requiredQuery may leave unselected; 0: every key selects
	minFill     float64 // share of the list a pruned search must fill not to be run in full
}

var defaultTuning = tuning{partial: 0.7, phraseIDF: true, titleBoost: 0.3, subParts: true, bm25Share: 0.3, bm25Sat: 0.1, gramPartial: 0.5, keyShare: 0.05, maxMissed: 0.5, minFill: 0.25}

// Recall returns the records that match the request's text, best first (by Text, then Score).
func (ix *Index) Recall(ctx context.Context, r RecallRequest) ([]Hit, error) {
	rq, err := ix.recallQuery(ctx, r)
	if err != nil || rq.terms == nil {
		return []Hit{}, err
	}
	return ix.recallHits(ctx, rq)
}

// recallHits runs rq's pruned query, and its full query when there is no pruned one or the
// pruned one fills less than tuning.minFill of the list: fewer would leave a matcher's hard
// filters too little to choose from, while asking for a full list reran in full every query
// whose rare terms only a few dozen records hold, at the cost of both searches, to add records
// holding only its common words.
func (ix *Index) recallHits(ctx context.Context, rq recall) ([]Hit, error) {
	if rq.pruned != nil {
		hits, err := ix.run(ctx, rq.pruned, rq)
		if err != nil || len(hits) >= ix.minFill(rq.size) {
			return hits, err
		}
	}
	return ix.run(ctx, rq.full, rq)
}

// minFill is the fewest of size hits a pruned search must find not to be run again in full.
func (ix *Index) minFill(size int) int { return max(1, int(float64(size)*ix.tuning().minFill)) }

// recall is a request analysed into terms, with its queries.
type recall struct {
	terms  []queryTerm
	tokens []string // the text-field tokens the queries search (searchedTokens)
	scorer *textScorer
	size   int
	full   *query.BooleanQuery // every record holding a query bigram, scored
	// pruned scores the same, but only the records requiredQuery selects, leaving out those
	// that share only common bigrams with the query; nil when it would leave out nothing.
	pruned *query.BooleanQuery
}

// recallQuery analyses r's text into terms and builds its queries; terms is nil when the text
// has none.
func (ix *Index) recallQuery(ctx context.Context, r RecallRequest) (rq recall, err error) {
	rq.size = r.Size
	if rq.size <= 0 {
		rq.size = DefaultRecallSize
	}
	qx, err := ix.queryTerms(ctx, r.Title, r.Keywords, r.Body)
	if err != nil || len(qx.terms) == 0 {
		return recall{}, err
	}
	terms := qx.terms
	rq.terms, rq.tokens = terms, qx.tokens
	rq.scorer = newTextScorer(qx, ix.textModel(), ix.tuning())
	var mustNot []query.Query
	if len(r.Exclude) > 0 {
		ids := make([]string, len(r.Exclude))
		for i, d := range r.Exclude {
			ids[i] = docID(d.Kind, d.ID)
		}
		mustNot = append(mustNot, query.NewDocIDQuery(ids))
	}
	text := ix.textQuery(qx)
	var only query.Query
	if len(r.Only) > 0 {
		ids := make([]string, len(r.Only))
		for i, d := range r.Only {
			ids[i] = docID(d.Kind, d.ID)
		}
		q := query.NewDocIDQuery(ids)
		q.SetBoost(0) // a filter: it must not add to the score
		only = q
	}
	rq.full = query.NewBooleanQuery(nil, nil, mustNot)
	restrict(rq.full, text, r.Kinds, r.OnlyOpen, only)
	if required := requiredQuery(terms, ix.tuning()); required != nil {
		rq.pruned = query.NewBooleanQuery(nil, nil, mustNot)
		// Should is set whole, like Must in restrict: NewBooleanQuery would wrap it in another
		// disjunction.
		rq.pruned.Should = text
		restrict(rq.pruned, required, r.Kinds, r.OnlyOpen, only)
	}
	return rq, nil
}

// restrict makes text, restricted to kinds (the supply kinds when none) and with onlyOpen to
// open records, q's must clause: the text query itself, or the unscored requiredQuery that
// selects what the should clause scores. No restriction scores: a scored kind clause gave each hit a
// bonus by the rarity of its kind (experts over achievements) and shrank every score through
// BM25's query norm. Asked for all supply kinds, the usual case, q excludes demands, the one
// other kind: a must-not is checked only where a demand could be, while a positive filter over
// most of the index is checked against every hit. Otherwise the restrictions are conjuncts with
// boost 0, which lets bleve skip to the few records of a rare kind or of the open demands.
func restrict(q *query.BooleanQuery, text query.Query, kinds []domain.Kind, onlyOpen bool, only query.Query) {
	if len(kinds) == 0 {
		kinds = domain.SupplyKinds
	}
	all := len(kinds) == len(domain.SupplyKinds)
	for _, k := range domain.SupplyKinds {
		all = all && slices.Contains(kinds, k)
	}
	if all && !onlyOpen && only == nil {
		// Must is set whole: AddMust would wrap text in a one-clause conjunction, whose
		// bookkeeping per hit cost as much as the filter it replaced.
		q.Must = text
		q.AddMustNot(termQuery(fKind, string(domain.Demands)))
		return
	}
	filters := []query.Query{text, kindQuery(kinds)}
	if onlyOpen {
		filters = append(filters, termQuery(fStatus, "open"))
	}
	for _, f := range filters[1:] {
		unscored(f)
	}
	if only != nil {
		filters = append(filters, only)
	}
	q.Must = query.NewConjunctionQuery(filters)
}

// unscored sets the boost of f's term clauses to 0, which takes them out of the score and of
// the query norm; bleve ignores the boost of a disjunction itself.
func unscored(f query.Query) {
	switch v := f.(type) {
	case *query.TermQuery:
		v.SetBoost(0)
	case *query.DisjunctionQuery:
		for _, d := range v.Disjuncts {
			unscored(d)
		}
	}
}

// requiredQuery selects the records worth scoring: those holding one of a set of keys, the
// rarest bigram of each query term and part and of their other forms (queryTerm.alts). A record
// holding a term or part whole, in any form, holds that form's key,
// so a record holding none of the keys can reach a Coverage (textScore) of at most what the
// terms and parts without a key in the set give. Keys held by at most t.keyShare of the documents
// are always in the set: their postings are short. Common keys (研究, 应用, 技术) join it, rarest
// first, only while a record holding none of the set could still reach a Coverage above
// t.maxMissed. It does not score: textQuery, the should clause, scores each record it selects by
// advancing to it. Most of the documents a disjunction of the query's bigrams visits share only
// a common word with it; before, each was scored, and then ranked at a Coverage near 0.
func requiredQuery(terms []queryTerm, t tuning) query.Query {
	if t.keyShare <= 0 {
		return nil
	}
	type key struct {
		term   string
		idf    float64
		common bool
	}
	var keys []key
	seen := map[string]bool{}
	add := func(qt queryTerm) {
		if qt.key != "" && !seen[qt.key] {
			seen[qt.key] = true
			keys = append(keys, key{qt.key, qt.keyIDF, qt.keyCommon})
		}
	}
	for _, qt := range terms {
		add(qt)
		for _, a := range qt.alts {
			add(a)
		}
		for _, p := range qt.parts {
			add(p)
			for _, a := range p.alts {
				add(a)
			}
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].idf > keys[j].idf })
	in := map[string]bool{}
	var out []string
	for _, k := range keys {
		if k.common && t.maxMissed > 0 && missedCoverage(terms, in, t) <= t.maxMissed {
			break
		}
		in[k.term] = true
		out = append(out, k.term)
	}
	if len(out) == len(keys) {
		return nil // every key selects: the full search, without the pruned one's bookkeeping
	}
	q := anyTerm(fText, out)
	unscored(q)
	return q
}

// missedCoverage bounds the Coverage of a record holding none of the tokens in: it could hold
// whole every term and part none of whose tokens is in.
func missedCoverage(terms []queryTerm, in map[string]bool, t tuning) float64 {
	free := func(qt queryTerm) bool {
		for _, tok := range qt.tokens {
			if in[tok.term] {
				return false
			}
		}
		return true
	}
	return coverage(terms, free, t.partial, t.gramPartial)
}

// textQuery builds the scoring query: each term's bigrams in the text field, weighted by the
// term's idf so that a rare term counts more than a common one, and a clause for the term
// held whole (every bigram) in the title, which orders hits of equal Text; the same for each
// other form of the term (WithVariants), and each other form of a part at the part's credit.
func (ix *Index) textQuery(qx queryText) query.Query {
	terms := qx.terms
	t := ix.tuning()
	var clauses []query.Query
	match := func(text string, weight float64) {
		m := query.NewMatchQuery(text)
		m.SetField(fText)
		m.Analyzer = analyzerBigram
		if !t.flatBoost {
			m.SetBoost(weight)
		}
		clauses = append(clauses, m)
	}
	term := func(form queryTerm, weight float64) {
		match(form.text, weight)
		if t.titleBoost > 0 {
			clauses = append(clauses, allTokens(fTitleText, form.tokens, weight*t.titleBoost))
		}
	}
	for _, qt := range terms {
		if qt.body {
			continue // searched by its tokens, below
		}
		term(qt, qt.weight)
		for _, a := range qt.alts {
			term(a, qt.weight)
		}
		// A part's other forms are searched as a part of the term counts (its words' credit).
		for _, p := range qt.parts {
			for _, a := range p.alts {
				match(a.text, p.weight*t.partial)
			}
		}
	}
	// The body is searched by its tokens, each as often as it says it (lexToken), so that a
	// record sharing the description's words, common or rare, is recalled.
	for _, lt := range qx.lex {
		if lt.head == 0 {
			q := termQuery(fText, qx.tokens[lt.col])
			q.SetBoost(lt.body * bodyWeight)
			clauses = append(clauses, q)
		}
	}
	return query.NewDisjunctionQuery(clauses)
}

// clauses is the number of clauses textQuery builds for qx.
func (qx queryText) clauses() int {
	n := 0
	for _, qt := range qx.terms {
		if qt.body {
			continue
		}
		n += 2 * (1 + len(qt.alts)) // a match and a title clause a form
		for _, p := range qt.parts {
			n += len(p.alts)
		}
	}
	for _, lt := range qx.lex {
		if lt.head == 0 {
			n++
		}
	}
	return n
}

func (ix *Index) tuning() tuning {
	if ix.tune != nil {
		return *ix.tune
	}
	return defaultTuning
}

// run searches q, one of rq's queries, for the top rq.size hits by BM25 and returns them ranked
// by Text, then Score.
func (ix *Index) run(ctx context.Context, q query.Query, rq recall) ([]Hit, error) {
	top, err := ix.top(ctx, topRequest{q: q, tokens: rq.tokens, chars: rq.scorer.charTerms, size: rq.size})
	if err != nil {
		return nil, err
	}
	hits := ix.hits(top, rq.terms, rq.scorer)
	rankByText(hits)
	return hits, nil
}

// rankByText orders hits by Text, then BM25.
func rankByText(hits []Hit) {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		return cmp.Or(
			cmp.Compare(Stable(b.Text), Stable(a.Text)),
			cmp.Compare(Stable(b.Score), Stable(a.Score)),
			strings.Compare(string(a.Kind), string(b.Kind)),
			strings.Compare(a.ID, b.ID),
		)
	})
}

// Stable is x rounded to 9 significant digits, for comparing scores: bleve sums a query's
// clause scores in an order that depends on how the index's segments happen to be laid out,
// so two equal hits (records of the same text) can differ in their last bits from one build
// of the index to another, and a ranking that compared them exactly would not be repeatable.
func Stable(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	scale := math.Pow(10, 8-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*scale) / scale
}

// hits converts the top matches, computing Signals, Coverage, Text, Matched and Parts from the
// tokens each holds.
func (ix *Index) hits(top topResult, terms []queryTerm, sc *textScorer) []Hit {
	out := make([]Hit, 0, len(top.dms))
	for i, dm := range top.dms {
		dk, ok := splitDocID(dm.ID)
		if !ok {
			continue
		}
		h := Hit{Kind: dk.Kind, ID: dk.ID, Score: dm.Score}
		if len(terms) > 0 {
			h.Matched, h.Parts = heldTerms(terms, top.held[i])
			h.Signals, h.Coverage, h.Text = sc.score(top.held[i], top.stats, top.chars, i, dm.Score)
			h.Held = coverage(terms, top.held[i].holds, sc.partial, sc.gramPartial)
		}
		out = append(out, h)
	}
	return out
}

func termQuery(field, term string) *query.TermQuery {
	q := query.NewTermQuery(term)
	q.SetField(field)
	return q
}

// allTokens matches documents holding every one of toks in field, each clause boosted by boost.
func allTokens(field string, toks []termToken, boost float64) query.Query {
	qs := make([]query.Query, len(toks))
	for i, t := range toks {
		q := termQuery(field, t.term)
		q.SetBoost(boost)
		qs[i] = q
	}
	return query.NewConjunctionQuery(qs)
}

// anyTerm matches documents with any of terms in field.
func anyTerm(field string, terms []string) query.Query {
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		qs[i] = termQuery(field, t)
	}
	return query.NewDisjunctionQuery(qs)
}

// kindQuery restricts to kinds; none means the supply kinds, never demands unless asked.
func kindQuery(kinds []domain.Kind) query.Query {
	if len(kinds) == 0 {
		kinds = domain.SupplyKinds
	}
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	return anyTerm(fKind, ks)
}
