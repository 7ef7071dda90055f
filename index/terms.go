package index

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/techmatch/techmatch/configs"
)

// Limits of query analysis.
const (
	maxPhraseRunes = 12 // a title chunk or keyword up to this long is one term, matched whole
	maxBodyTerms   = 24 // the body words kept as terms, of the most √tf·idf; the lexical signal reads every word
	bodyWeight     = 0.5
)

// queryTerm is one unit of a query: a keyword, a short title chunk or a jieba word of the text.
type queryTerm struct {
	text   string      // as the user wrote it, lower-cased
	tokens []termToken // its bigram-field tokens; it is held whole where all are (see holds)
	weight float64     // its idf (the rarest token's), times the source weight
	body   bool        // from the query's body (a description), not its keywords or title
	// wholeDF is the number of documents holding every token of the term, -1 when not counted
	// (phraseWeight counts it for keywords and title terms).
	wholeDF int64
	parts   []queryTerm // its jieba words when it has several: partial credit
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
	col  int
	idf  float64 // BM25's idf of the token in the text field
	seen bool    // some document holds it
}

// dfCache caches document frequencies of text-field terms; Apply resets it.
type dfCache struct {
	mu     sync.Mutex
	epoch  uint64            // resets so far: a count read before one must not be cached after it
	df     map[string]uint64 // bigram → documents
	phrase map[string]uint64 // whole term → documents
	chars  map[string]uint64 // character (chars field) → documents
}

func newDFCache() *dfCache {
	return &dfCache{df: map[string]uint64{}, phrase: map[string]uint64{}, chars: map[string]uint64{}}
}

func (c *dfCache) reset() {
	c.mu.Lock()
	c.df, c.phrase, c.chars = map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	c.epoch++
	c.mu.Unlock()
}

// dfReader reads the document frequencies of one query's terms from one index snapshot,
// through the cache: every idf of a query comes from the same document count, and a count
// read from a snapshot that a batch has since replaced is used by this query but not cached.
// Every count of a query, bigrams and phrases alike, goes through one dfReader: counts from two
// snapshots would mix document totals (a phrase idf could turn negative).
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
func chars(c *dfCache) map[string]uint64   { return c.chars }

// idf is BM25's idf of a term held by df of n documents.
func idf(n, df uint64) float64 { return idfOf(n, float64(df)) }

func idfOf(n uint64, df float64) float64 {
	return math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
}

// idfs returns the BM25 idf of each term in the text field, reading the index only for terms
// not seen since the last Apply.
func (r *dfReader) idfs(ctx context.Context, terms []string) (map[string]float64, error) {
	dfs, err := r.dfsIn(ctx, fText, bigrams, terms)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(dfs))
	for t, df := range dfs {
		out[t] = idf(r.total, df)
	}
	return out, nil
}

// dfsIn returns the documents holding each term in field, whose counts cache m keeps.
func (r *dfReader) dfsIn(ctx context.Context, field string, m func(*dfCache) map[string]uint64, terms []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(terms))
	for _, t := range terms {
		if _, done := out[t]; done {
			continue
		}
		df, ok := r.cached(m, t)
		if !ok {
			tfr, err := r.reader.TermFieldReader(ctx, []byte(t), field, false, false, false)
			if err != nil {
				return nil, fmt.Errorf("index: idf of %q: %w", t, err)
			}
			df = tfr.Count()
			_ = tfr.Close()
			r.store(m, t, df)
		}
		out[t] = df
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
	qt.wholeDF = int64(df)
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
//
// The text is folded first as the text field's analyzer folds it (full-width forms to ASCII,
// lower case), so ＬＩＤＡＲ asks what lidar asks. The steps: gather the query's words
// (gatherWords), analyse each into the tokens it searches with its parts and other forms
// (analyseTerms), weigh them by idf (weighTerms), and keep the telling body words (bodyTerms).
func (ix *Index) queryTerms(ctx context.Context, title string, keywords []string, body string) (queryText, error) {
	title, body = fold(title), fold(body)
	if len(keywords) > 0 {
		folded := make([]string, len(keywords))
		for i, k := range keywords {
			folded[i] = fold(k)
		}
		keywords = folded
	}
	words, nHead := ix.gatherWords(title, keywords, body)
	dr, err := ix.dfReader()
	if err != nil {
		return queryText{}, err
	}
	defer dr.close()
	an := &termAnalyser{analyzer: ix.mapping.AnalyzerNamed(analyzerBigram)}
	terms, err := ix.analyseTerms(ctx, dr, an, words, nHead)
	if err != nil {
		return queryText{}, err
	}
	idf, err := dr.idfs(ctx, an.tokens)
	if err != nil {
		return queryText{}, err
	}
	if err := ix.weighTerms(ctx, dr, terms, idf); err != nil {
		return queryText{}, err
	}
	terms = bodyTerms(terms)
	qx := queryText{terms: terms, tokens: searchedTokens(terms)}
	if err := qx.addLexical(ctx, ix, dr, an.analyzer, slices.Concat(keywords, []string{title}), body); err != nil {
		return queryText{}, err
	}
	if err := qx.addChars(ctx, dr, slices.Concat(keywords, []string{title}), body); err != nil {
		return queryText{}, err
	}
	return qx, nil
}

// queryWord is a word of a query as gathered, before analysis: its text, its weight before
// idf, and how often the body says it.
type queryWord struct {
	text   string
	weight float64
	count  int
}

// gatherWords collects a query's words, each once: the keywords' and the title's first (the
// head, nHead of them), whole when short, then the body's telling words at bodyWeight.
func (ix *Index) gatherWords(title string, keywords []string, body string) (words []queryWord, nHead int) {
	seen := map[string]int{} // word → its place in words
	addWord := func(w string, weight float64) {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || !isWord(w) {
			return
		}
		if at, ok := seen[w]; ok {
			words[at].count++
			return
		}
		seen[w] = len(words)
		words = append(words, queryWord{w, weight, 1})
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
	nHead = len(words)
	addText(body, bodyWeight, false)
	return words, nHead
}

// termAnalyser turns text into a query term's tokens with the text field's analyzer, keeping
// every token it makes for the idf lookups.
type termAnalyser struct {
	analyzer analysis.Analyzer
	tokens   []string
}

func (a *termAnalyser) analyse(text string, weight float64) (queryTerm, bool) {
	toks := a.analyzer.Analyze([]byte(text))
	if len(toks) == 0 {
		return queryTerm{}, false
	}
	qt := queryTerm{text: text, weight: weight, wholeDF: -1}
	for _, t := range toks {
		qt.tokens = append(qt.tokens, termToken{term: string(t.Term)})
		a.tokens = append(a.tokens, string(t.Term))
	}
	return qt, true
}

// analyseTerms makes a query term of each word: its tokens, its parts (the jieba words of a
// compound, or a head term's bigrams when it has none) and each one's other forms (addAlts). A
// body word's weight grows with √(times the body says it).
func (ix *Index) analyseTerms(ctx context.Context, dr *dfReader, an *termAnalyser, words []queryWord, nHead int) ([]queryTerm, error) {
	terms := make([]queryTerm, 0, len(words))
	for i, w := range words {
		weight := w.weight
		if i >= nHead {
			// A word the description repeats is more of what it is about.
			weight *= math.Sqrt(float64(w.count))
		}
		qt, ok := an.analyse(w.text, weight)
		if !ok {
			continue
		}
		qt.body = i >= nHead
		parts := ix.seg.Cut(w.text)
		if len(parts) == 1 && ix.tuning().subParts {
			parts = ix.seg.SubWords(w.text)
		}
		if len(parts) > 1 {
			for _, part := range parts {
				if ix.seg.IsStopWord(part) {
					continue
				}
				if p, ok := an.analyse(part, 1); ok {
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
		if err := ix.addAlts(ctx, dr, an, &qt); err != nil {
			return nil, err
		}
		for j := range qt.parts {
			if err := ix.addAlts(ctx, dr, an, &qt.parts[j]); err != nil {
				return nil, err
			}
		}
		terms = append(terms, qt)
	}
	return terms, nil
}

// addAlts gives q its other forms: the configured variants, and the forms the records define
// for it (合成孔径雷达 for SAR, abbrev.go).
func (ix *Index) addAlts(ctx context.Context, dr *dfReader, an *termAnalyser, q *queryTerm) error {
	forms := ix.variants[q.text]
	mined, err := minedForms(ctx, dr.reader, q.text)
	if err != nil {
		return fmt.Errorf("index: abbreviations: %w", err)
	}
	for _, m := range mined {
		if !slices.Contains(forms, m) {
			forms = append(slices.Clone(forms), m)
		}
	}
	for _, v := range forms {
		if v == q.text || slices.ContainsFunc(q.alts, func(a queryTerm) bool { return a.text == v }) {
			continue
		}
		if a, ok := an.analyse(v, 1); ok {
			q.alts = append(q.alts, a)
		}
	}
	return nil
}

// weighTerms weighs every term and part by idf: which tokens are a term's keys (setKey), a
// head term's weight by its phrase's idf (phraseWeight) or else by its rarest token's, and
// each token's idf and whether any record holds it.
func (ix *Index) weighTerms(ctx context.Context, dr *dfReader, terms []queryTerm, idf map[string]float64) error {
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
		if !terms[i].body && ix.tuning().phraseIDF {
			if err := dr.phraseWeight(ctx, &terms[i], idf); err != nil {
				return err
			}
			for j := range terms[i].parts {
				if err := dr.phraseWeight(ctx, &terms[i].parts[j], idf); err != nil {
					return err
				}
			}
			continue
		}
		rarest(&terms[i])
		for j := range terms[i].parts {
			rarest(&terms[i].parts[j])
		}
	}
	maxIDF := idfOf(dr.total, 0)
	mark := func(qt *queryTerm) {
		for k := range qt.tokens {
			v := idf[qt.tokens[k].term]
			qt.tokens[k].idf, qt.tokens[k].seen = v, v < maxIDF
		}
	}
	for i := range terms {
		mark(&terms[i])
		for j := range terms[i].alts {
			mark(&terms[i].alts[j])
		}
		for j := range terms[i].parts {
			mark(&terms[i].parts[j])
			for k := range terms[i].parts[j].alts {
				mark(&terms[i].parts[j].alts[k])
			}
		}
	}
	return nil
}

// bodyTerms keeps the head terms and, of the body words, the maxBodyTerms of most √tf·idf
// that some record holds: a word no record holds can match nothing. The lexical signal
// (addLexical) reads the others.
func bodyTerms(terms []queryTerm) []queryTerm {
	heads := slices.DeleteFunc(slices.Clone(terms), func(qt queryTerm) bool { return qt.body })
	words := slices.DeleteFunc(terms, func(qt queryTerm) bool { return !qt.body })
	if len(words) > maxBodyTerms {
		sort.SliceStable(words, func(i, j int) bool {
			if si, sj := allSeen(words[i]), allSeen(words[j]); si != sj {
				return si
			}
			return words[i].weight > words[j].weight
		})
		words = words[:maxBodyTerms]
	}
	return append(heads, words...)
}

// queryText is a query analysed: its terms, the text-field tokens it searches (numbered in
// the terms' tokens, see searchedTokens), which top reads for each hit, and those of them the
// lexical signal weighs.
type queryText struct {
	terms  []queryTerm
	tokens []string
	lex    []lexToken
	chars  []charToken
}

// charToken is one character (or Latin word) of the characters signal, read in the chars
// field.
type charToken struct {
	term   string
	weight float64 // lexHead where the head says it, plus √tf of the body's occurrences
	idf    float64
}

// maxCharTokens is the characters kept of a query, of the most weight·idf: a description of a
// thousand characters has three or four hundred different ones; keeping 400 ranked BDCI worse
// than 128 or 192 (docs/relevance.md, "Characters").
const maxCharTokens = 128

// addChars adds the characters signal's tokens: each character of the head texts, weighing
// lexHead as a head bigram does in the lexical signal, and of the body, weighing √tf, the two
// added; of those some record holds, the maxCharTokens of most weight·idf.
func (qx *queryText) addChars(ctx context.Context, dr *dfReader, heads []string, body string) error {
	weight := map[string]float64{}
	var order []string
	for _, h := range heads {
		toks, _ := charTokens(h)
		for _, t := range toks {
			if _, ok := weight[t]; !ok {
				order = append(order, t)
			}
			weight[t] = lexHead
		}
	}
	toks, tf := charTokens(body)
	for _, t := range toks {
		if _, ok := weight[t]; !ok {
			order = append(order, t)
		}
		weight[t] += math.Sqrt(tf[t])
	}
	dfs, err := dr.dfsIn(ctx, fChars, chars, order)
	if err != nil {
		return err
	}
	for _, t := range order {
		if dfs[t] == 0 {
			continue // no record holds it
		}
		qx.chars = append(qx.chars, charToken{term: t, weight: weight[t], idf: idf(dr.total, dfs[t])})
	}
	if len(qx.chars) > maxCharTokens {
		sort.SliceStable(qx.chars, func(i, j int) bool {
			return qx.chars[i].weight*qx.chars[i].idf > qx.chars[j].weight*qx.chars[j].idf
		})
		qx.chars = qx.chars[:maxCharTokens]
	}
	return nil
}

// lexToken is one token of the lexical signals: every bigram of the query's text, not only
// those of its terms, as plain BM25 reads it.
type lexToken struct {
	col  int     // its number among the searched tokens
	head float64 // how much the head says it: lexHead an occurrence in a keyword or the title
	body float64 // how much the body says it: √tf
	idf  float64
}

// Limits of the lexical signal.
const (
	lexHead      = 2.0 // weight of a head token (a keyword's or the title's) against a body token said once
	maxLexTokens = 256 // the body tokens kept, of the most √tf·idf: the rest add cost, not ranking
)

// addLexical adds the lexical signal's tokens: every token of the head texts, and of the
// body's the maxLexTokens of most √tf·idf, numbering the ones no term searches after the
// terms' tokens. Bare numbers are left out: 1200 of "1200 W/(m·K)" says nothing by itself;
// so are the body's tokens that telling would not search as words.
func (qx *queryText) addLexical(ctx context.Context, ix *Index, dr *dfReader, analyzer analysis.Analyzer, heads []string, body string) error {
	weights := map[string]float64{}
	inHead := map[string]bool{}
	var order []string
	count := func(text string, head bool) {
		for _, t := range analyzer.Analyze([]byte(text)) {
			tok := string(t.Term)
			if strings.Trim(tok, "0123456789.") == "" {
				continue
			}
			// Of a body, what telling leaves out of its words is left out of its tokens:
			// stop words (用于, 以下), lone characters, units (mm) and numbers.
			if !head && !ix.telling(tok) {
				continue
			}
			if _, ok := weights[tok]; !ok {
				order = append(order, tok)
			}
			if head {
				inHead[tok] = true
				weights[tok] += lexHead
			} else {
				weights[tok]++ // counts, made √tf below
			}
		}
	}
	for _, h := range heads {
		count(h, true)
	}
	bodyTF := map[string]float64{}
	if body != "" {
		before := maps.Clone(weights)
		count(body, false)
		for tok, w := range weights {
			if tf := w - before[tok]; tf > 0 {
				bodyTF[tok] = tf
			}
		}
	}
	idf, err := dr.idfs(ctx, order)
	if err != nil {
		return err
	}
	var bodyOnly []string
	for _, tok := range order {
		if !inHead[tok] {
			bodyOnly = append(bodyOnly, tok)
		}
	}
	if maxLex := maxLexTokens; len(bodyOnly) > maxLex {
		sort.SliceStable(bodyOnly, func(i, j int) bool {
			return math.Sqrt(bodyTF[bodyOnly[i]])*idf[bodyOnly[i]] > math.Sqrt(bodyTF[bodyOnly[j]])*idf[bodyOnly[j]]
		})
		for _, tok := range bodyOnly[maxLex:] {
			delete(weights, tok)
		}
	}
	col := make(map[string]int, len(qx.tokens))
	for c, tok := range qx.tokens {
		col[tok] = c
	}
	for _, tok := range order {
		if _, kept := weights[tok]; !kept {
			continue
		}
		c, ok := col[tok]
		if !ok {
			c = len(qx.tokens)
			col[tok] = c
			qx.tokens = append(qx.tokens, tok)
		}
		lt := lexToken{col: c, body: math.Sqrt(bodyTF[tok]), idf: idf[tok]}
		if inHead[tok] {
			lt.head = weights[tok] - bodyTF[tok]
		}
		qx.lex = append(qx.lex, lt)
	}
	return nil
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

// units are units of measure, lower-cased (configs/dict/units.txt).
var units = func() map[string]bool {
	set := map[string]bool{}
	for _, u := range configs.MustWordList("units.txt") {
		set[strings.ToLower(u)] = true
	}
	return set
}()

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
	return hanRune(r)
}

// heldTerms returns the query terms the hit holds whole, each in the form it holds (heldForm),
// and the words of the query's terms it holds (partWords).
func heldTerms(terms []queryTerm, held heldSet) (matched, parts []string) {
	for _, qt := range terms {
		if form, ok := heldForm(qt, held.holds); ok && !slices.Contains(matched, form.text) {
			matched = append(matched, form.text)
		}
	}
	return matched, partWords(terms, held.holds)
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

// coverage is Σ_t w_t·m_t / Σ_t w_t over the query's terms t, m_t their credit (termCredit),
// with holds saying whether a term or part is held whole. requiredQuery bounds with it what the
// records it leaves out could score: a record's Coverage is this over what its length allows
// (textScorer), so at the query's full length the two agree.
func coverage(terms []queryTerm, holds func(queryTerm) bool, partial, gramPartial float64) float64 {
	var num, den float64
	for _, qt := range terms {
		den += qt.weight
		num += qt.weight * termCredit(qt, holds, partial, gramPartial)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// termCredit is 1 when holds says qt is held whole, in any of its forms (heldForm), else partial
// × the weighted share of its parts held (gramPartial for a term whose parts are its bigrams:
// one jieba cannot split), else 0.
func termCredit(qt queryTerm, holds func(queryTerm) bool, partial, gramPartial float64) float64 {
	if _, ok := heldForm(qt, holds); ok {
		return 1
	}
	var have, all float64
	for _, p := range qt.parts {
		all += p.weight
		if _, ok := heldForm(p, holds); ok {
			have += p.weight
		}
	}
	if all == 0 {
		return 0
	}
	credit := partial
	if qt.grams {
		credit = gramPartial
	}
	return credit * have / all
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
