package index

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Limits of query analysis.
const (
	maxPhraseRunes = 12 // a title chunk or keyword up to this long is one term, matched whole
	maxBodyTerms   = 24 // the rarest body words kept; long descriptions would dilute the query
	bodyWeight     = 0.5
)

// queryTerm is one unit of a query: a keyword, a short title chunk or a jieba word of the text.
type queryTerm struct {
	text   string      // as the user wrote it, lower-cased
	tokens []termToken // its bigram-field tokens; it is held whole where all are (see holds)
	weight float64     // its idf (the rarest token's), times the source weight
	parts  []queryTerm // its jieba words when it has several: partial credit
	// grams: parts are the term's bigrams, for a term jieba keeps whole and cannot tile with
	// sub-words (管幕法, 增韧性); they earn less credit (tuning.gramPartial) than words do.
	grams bool
	// alts are the other forms of the term (WithVariants: 锂离子电池 for 锂电池): a record holding
	// one whole holds the term (heldForm). Only tokens and key are set; the term's weight counts.
	alts []queryTerm
	// key is its rarest token: a record holding the term whole holds it (see requiredQuery).
	key       string
	keyIDF    float64
	keyCommon bool // key is held by more than tuning.keyShare of the documents
}

type termToken struct {
	term string
	// col is its number among the tokens the query searches (searchedTokens), whose presence top
	// reads for each hit; -1 for a part's token the query does not search, which no hit holds.
	col int
}

// dfCache caches document frequencies of text-field terms; Apply resets it.
type dfCache struct {
	mu     sync.Mutex
	epoch  uint64            // resets so far: a count read before one must not be cached after it
	df     map[string]uint64 // bigram → documents
	phrase map[string]uint64 // whole term → documents
}

func newDFCache() *dfCache { return &dfCache{df: map[string]uint64{}, phrase: map[string]uint64{}} }

func (c *dfCache) reset() {
	c.mu.Lock()
	c.df, c.phrase = map[string]uint64{}, map[string]uint64{}
	c.epoch++
	c.mu.Unlock()
}

// dfReader reads the document frequencies of one query's terms from one index snapshot,
// through the cache: every idf of a query comes from the same document count, and a count
// read from a snapshot that a batch has since replaced is used by this query but not cached.
// Before, the phrase counts ran as searches of their own: a batch applied between a query's
// bigram counts and its phrase counts left it with a document count of 0 (the reset cache's),
// which turned its phrase idfs negative, and cached a phrase count of the older snapshot.
type dfReader struct {
	ix     *Index
	reader bindex.IndexReader
	epoch  uint64 // the cache's epoch when reader was opened
	total  uint64
}

func (ix *Index) dfReader() (*dfReader, error) {
	c := ix.dfs
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	reader, err := ix.snapshot()
	if err != nil {
		return nil, fmt.Errorf("index: idf: %w", err)
	}
	total, err := reader.DocCount()
	if err != nil {
		reader.Close()
		return nil, fmt.Errorf("index: idf: %w", err)
	}
	return &dfReader{ix: ix, reader: reader, epoch: epoch, total: total}, nil
}

func (r *dfReader) close() { _ = r.reader.Close() }

// cached returns a count from m under the cache's lock.
func (r *dfReader) cached(m func(*dfCache) map[string]uint64, key string) (uint64, bool) {
	c := r.ix.dfs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != r.epoch {
		return 0, false // the cache now holds counts of a later snapshot than r's
	}
	v, ok := m(c)[key]
	return v, ok
}

// store caches a count read from r's snapshot, unless a batch has reset the cache since.
func (r *dfReader) store(m func(*dfCache) map[string]uint64, key string, v uint64) {
	c := r.ix.dfs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch == r.epoch {
		m(c)[key] = v
	}
}

func bigrams(c *dfCache) map[string]uint64 { return c.df }
func phrases(c *dfCache) map[string]uint64 { return c.phrase }

// idf is BM25's idf of a term held by df of n documents.
func idf(n, df uint64) float64 { return idfOf(n, float64(df)) }

func idfOf(n uint64, df float64) float64 {
	return math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
}

// idfs returns the BM25 idf of each term in the text field, reading the index only for terms
// not seen since the last Apply.
func (r *dfReader) idfs(ctx context.Context, terms []string) (map[string]float64, error) {
	out := make(map[string]float64, len(terms))
	for _, t := range terms {
		if _, done := out[t]; done {
			continue
		}
		df, ok := r.cached(bigrams, t)
		if !ok {
			tfr, err := r.reader.TermFieldReader(ctx, []byte(t), fText, false, false, false)
			if err != nil {
				return nil, fmt.Errorf("index: idf of %q: %w", t, err)
			}
			df = tfr.Count()
			_ = tfr.Close()
			r.store(bigrams, t, df)
		}
		out[t] = idf(r.total, df)
	}
	return out, nil
}

// phraseWeight multiplies qt's weight by the idf of the whole term, counted as the documents
// holding all its bigrams (see holds): a phrase is rarer than its rarest bigram, and how much
// rarer is what tells 全过程管理 from 过程管理. Counts are cached.
func (r *dfReader) phraseWeight(ctx context.Context, qt *queryTerm, idfs map[string]float64) error {
	if len(qt.tokens) == 1 {
		qt.weight *= idfs[qt.tokens[0].term]
		return nil
	}
	df, ok := r.cached(phrases, qt.text)
	if !ok {
		var err error
		if df, err = r.count(ctx, allTokens(fText, qt.tokens, 1)); err != nil {
			return fmt.Errorf("index: whole-term frequency of %q: %w", qt.text, err)
		}
		r.store(phrases, qt.text, df)
	}
	qt.weight *= idf(r.total, df)
	return nil
}

// count is the number of documents q matches in r's snapshot, unscored.
func (r *dfReader) count(ctx context.Context, q query.Query) (uint64, error) {
	s, err := q.Searcher(ctx, r.reader, r.ix.bleve.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	coll := collector.NewTopNCollector(0, 0, search.SortOrder{&search.SortScore{Desc: true}})
	if err := coll.Collect(ctx, s, r.reader); err != nil {
		return 0, err
	}
	return coll.Total(), nil
}

// queryTerms analyses a query into weighted terms. Keywords and short title chunks stay whole,
// because a term such as 锂离子电池 is what the user means; longer text is cut into jieba words.
// It also returns the text-field tokens the query searches, numbered in the terms' tokens
// (searchedTokens), which top reads for each hit.
func (ix *Index) queryTerms(ctx context.Context, title string, keywords []string, body string) ([]queryTerm, []string, error) {
	type src struct {
		text   string
		weight float64
	}
	var srcs []src
	seen := map[string]bool{}
	addWord := func(w string, weight float64) {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || seen[w] || !isWord(w) {
			return
		}
		seen[w] = true
		srcs = append(srcs, src{w, weight})
	}
	addText := func(text string, weight float64, whole bool) {
		for _, chunk := range chunks(text) {
			if whole && utf8.RuneCountInString(chunk) <= maxPhraseRunes {
				if !ix.seg.IsStopWord(strings.ToLower(chunk)) {
					addWord(chunk, weight)
				}
				continue
			}
			for _, w := range ix.seg.Cut(chunk) {
				if ix.seg.IsStopWord(w) || (!whole && !ix.telling(w)) {
					continue
				}
				if utf8.RuneCountInString(w) > 1 || !isHan(w) {
					addWord(w, weight)
				}
			}
		}
	}
	for _, k := range keywords {
		addText(k, 1, true)
	}
	addText(title, 1, true)
	nHead := len(srcs)
	addText(body, bodyWeight, false)

	analyzer := ix.mapping.AnalyzerNamed(analyzerBigram)
	var all []string
	analyse := func(text string, weight float64) (queryTerm, bool) {
		toks := analyzer.Analyze([]byte(text))
		if len(toks) == 0 {
			return queryTerm{}, false
		}
		qt := queryTerm{text: text, weight: weight}
		for _, t := range toks {
			qt.tokens = append(qt.tokens, termToken{term: string(t.Term)})
			all = append(all, string(t.Term))
		}
		return qt, true
	}
	addAlts := func(q *queryTerm) {
		for _, v := range ix.variants[q.text] {
			if a, ok := analyse(v, 1); ok {
				q.alts = append(q.alts, a)
			}
		}
	}
	terms := make([]queryTerm, 0, len(srcs))
	for i, s := range srcs {
		qt, ok := analyse(s.text, s.weight)
		if !ok {
			continue
		}
		words := ix.seg.Cut(s.text)
		if len(words) == 1 && ix.tuning().subParts {
			words = ix.seg.SubWords(s.text)
		}
		if len(words) > 1 {
			for _, w := range words {
				if ix.seg.IsStopWord(w) {
					continue
				}
				if p, ok := analyse(w, 1); ok {
					qt.parts = append(qt.parts, p)
				}
			}
		}
		if i < nHead && len(qt.parts) == 0 && len(qt.tokens) > 1 && ix.tuning().gramPartial > 0 {
			for _, tok := range qt.tokens {
				qt.parts = append(qt.parts, queryTerm{text: tok.term, tokens: []termToken{{term: tok.term}}, weight: 1})
			}
			qt.grams = true
		}
		addAlts(&qt)
		for j := range qt.parts {
			addAlts(&qt.parts[j])
		}
		terms = append(terms, qt)
	}
	dr, err := ix.dfReader()
	if err != nil {
		return nil, nil, err
	}
	defer dr.close()
	idf, err := dr.idfs(ctx, all)
	if err != nil {
		return nil, nil, err
	}
	rarest := func(qt *queryTerm) {
		best := 0.0
		for _, t := range qt.tokens {
			best = math.Max(best, idf[t.term])
		}
		qt.weight *= best
	}
	minIDF := 0.0
	if share := ix.tuning().keyShare; share > 0 {
		minIDF = idfOf(dr.total, share*float64(dr.total))
	}
	keys := func(qt *queryTerm) {
		setKey(qt, idf, minIDF)
		for k := range qt.alts {
			setKey(&qt.alts[k], idf, minIDF)
		}
	}
	for i := range terms {
		keys(&terms[i])
		for j := range terms[i].parts {
			keys(&terms[i].parts[j])
		}
		if i < nHead && ix.tuning().phraseIDF {
			if err := dr.phraseWeight(ctx, &terms[i], idf); err != nil {
				return nil, nil, err
			}
			for j := range terms[i].parts {
				if err := dr.phraseWeight(ctx, &terms[i].parts[j], idf); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		rarest(&terms[i])
		for j := range terms[i].parts {
			rarest(&terms[i].parts[j])
		}
	}
	// Keep the rarest body words only: they carry the description's meaning.
	if body := terms[min(nHead, len(terms)):]; len(body) > maxBodyTerms {
		sort.SliceStable(body, func(i, j int) bool { return body[i].weight > body[j].weight })
		terms = terms[:min(nHead, len(terms))+maxBodyTerms]
	}
	return terms, searchedTokens(terms), nil
}

// telling reports whether a word of a description says something about the technology, to be
// searched for: not one of the body stop words (WithBodyStopWords), not a lone character (the
// W, m and K of "W/(m·K)"), not a bare number (1200, 8.2) and not a unit (IsUnit). Matched by
// themselves such words list a cancer screening test for a graphene film demand that says
// "1200 W/(m·K)以上…用于智能手机".
func (ix *Index) telling(w string) bool {
	w = strings.ToLower(w)
	return !ix.bodyStop[w] && utf8.RuneCountInString(w) > 1 && strings.Trim(w, "0123456789.%") != "" && !units[w]
}

// units are units of measure, lower-cased. Not Pa alone, which is also polyamide (PA).
var units = map[string]bool{}

func init() {
	for _, u := range strings.Fields("nm μm um mm cm km mg kg ml kpa mpa gpa kw mw gw kwh wh mah kv mv ma hz khz mhz ghz db ppm ppb rpm") {
		units[u] = true
	}
}

// IsUnit reports whether w is a unit of measure (μm, MPa, kWh, …), in any case.
func IsUnit(w string) bool { return units[strings.ToLower(w)] }

// setKey sets qt's key to its token of the highest idf, the first of equals.
func setKey(qt *queryTerm, idf map[string]float64, minIDF float64) {
	qt.keyIDF = -1
	for _, t := range qt.tokens {
		if v := idf[t.term]; v > qt.keyIDF {
			qt.keyIDF, qt.key = v, t.term
		}
	}
	qt.keyCommon = qt.keyIDF < minIDF
}

// chunks splits text at anything that is not a letter, digit or joiner inside a term.
func chunks(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '-' || r == '.' || r == '+')
	})
}

func isHan(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.Is(unicode.Han, r)
}

// textScore is the text feature of a hit:
//
//	Text = Σ_t w_t·m_t / Σ_t w_t
//
// over the query's terms t (keywords, short title chunks, jieba words of longer text), where w_t
// is the term's idf (of the whole term, see phraseWeight; body words count half) and m_t is 1
// when the hit holds the term whole (see heldSet.holds), else partial × the w-weighted share of
// the term's jieba words it holds whole (gramPartial × the share of its bigrams, for a term
// jieba cannot split). The denominator is the query's own best possible score, never the best
// candidate's, so a threshold means the same for every query: a hit holding every term is 1,
// one sharing only a common word stays near 0. Hits with equal Text are ordered by BM25. It
// also returns the terms the hit holds whole and the words of the terms it holds (partWords).
func textScore(terms []queryTerm, held heldSet, partial, gramPartial float64) (float64, []string, []string) {
	var matched []string
	c := coverage(terms, held.holds, partial, gramPartial, func(form queryTerm) {
		if !slices.Contains(matched, form.text) {
			matched = append(matched, form.text)
		}
	})
	return c, matched, partWords(terms, held.holds)
}

// heldForm returns the form of qt that holds says is held, qt itself first, then its alts in
// order; ok is false when none is.
func heldForm(qt queryTerm, holds func(queryTerm) bool) (form queryTerm, ok bool) {
	if holds(qt) {
		return qt, true
	}
	for _, a := range qt.alts {
		if holds(a) {
			return a, true
		}
	}
	return queryTerm{}, false
}

// partWords is the words of the query's terms (their parts) of two runes or more, each once,
// and only those held when held is not nil: what a record holding a term only in part, or its
// bigrams only apart, holds of it. The bigram parts of a term jieba cannot split
// (queryTerm.grams: 管幕 of 管幕法) count only as held by a record: they tell what it shares of
// the term, while every hit marked with every bigram of the query would be noise.
func partWords(terms []queryTerm, held func(queryTerm) bool) []string {
	var out []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= 2 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	for _, qt := range terms {
		if qt.grams && held == nil {
			continue
		}
		for _, p := range qt.parts {
			if held == nil {
				add(p.text)
				for _, a := range p.alts {
					add(a.text)
				}
			} else if form, ok := heldForm(p, held); ok {
				add(form.text)
			}
		}
	}
	return out
}

// coverage is Σ_t w_t·m_t / Σ_t w_t (textScore) with holds saying whether a term or part is held
// whole, in any of its forms (heldForm); whole is called with the held form of each term held
// whole, when not nil. requiredQuery bounds what the records it leaves out could score with the
// same function, so the bound follows the score.
func coverage(terms []queryTerm, holds func(queryTerm) bool, partial, gramPartial float64, whole func(queryTerm)) float64 {
	var num, den float64
	for _, qt := range terms {
		den += qt.weight
		if form, ok := heldForm(qt, holds); ok {
			if whole != nil {
				whole(form)
			}
			num += qt.weight
			continue
		}
		var have, all float64
		for _, p := range qt.parts {
			all += p.weight
			if _, ok := heldForm(p, holds); ok {
				have += p.weight
			}
		}
		if all == 0 {
			continue
		}
		credit := partial
		if qt.grams {
			credit = gramPartial
		}
		num += qt.weight * credit * have / all
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// searchedTokens numbers the text-field tokens textQuery searches, each term's own bigrams (its
// clauses are built from qt.tokens), in qt.tokens[i].col for the terms and their parts, and
// returns them in that order: top reads which of them each hit holds. queryTerms calls it last,
// so that no term leaves it unnumbered. A part's token the query
// does not search (锌 of 氧化锌, whose clauses search 氧化 and 化锌) gets -1: no hit holds it.
func searchedTokens(terms []queryTerm) []string {
	col := map[string]int{}
	var out []string
	searched := func(qt *queryTerm) {
		for j := range qt.tokens {
			t := &qt.tokens[j]
			c, ok := col[t.term]
			if !ok {
				c = len(out)
				col[t.term] = c
				out = append(out, t.term)
			}
			t.col = c
		}
	}
	for i := range terms {
		searched(&terms[i])
		for j := range terms[i].alts {
			searched(&terms[i].alts[j])
		}
		for j := range terms[i].parts {
			for k := range terms[i].parts[j].alts {
				searched(&terms[i].parts[j].alts[k]) // textQuery searches a part's other forms
			}
		}
	}
	for i := range terms {
		for j := range terms[i].parts {
			for k := range terms[i].parts[j].tokens {
				t := &terms[i].parts[j].tokens[k]
				if c, ok := col[t.term]; ok {
					t.col = c
				} else {
					t.col = -1
				}
			}
		}
	}
	return out
}

// heldSet says which of the query's searched tokens (searchedTokens) a hit holds, one bit per
// token.
type heldSet []uint64

func newHeldSets(n, tokens int) []heldSet {
	words := (tokens + 63) / 64
	backing := make([]uint64, n*words)
	out := make([]heldSet, n)
	for i := range out {
		out[i] = backing[i*words : (i+1)*words : (i+1)*words]
	}
	return out
}

func (s heldSet) add(col int) { s[col/64] |= 1 << (col % 64) }

// holds reports whether the hit holds qt whole: every bigram of it. The index keeps no term
// positions, which cost a fifth of indexing (docs/benchmarks.md), so whole means all of the
// term's bigrams somewhere in the record, not necessarily in a row: 锂离子电池 is held by a
// record with 锂离, 离子, 子电 and 电池. Inner bigrams such as 子电 seldom occur outside the
// term; on the CSL dev sets the relevance figures did not move (docs/relevance.md). What is
// shown as matched to people is checked in the record's text (WholeTerms).
func (s heldSet) holds(qt queryTerm) bool {
	for _, t := range qt.tokens {
		if t.col < 0 || s[t.col/64]&(1<<(t.col%64)) == 0 {
			return false
		}
	}
	return true
}
