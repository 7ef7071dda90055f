package index

import (
	"cmp"
	"math"
	"slices"

	"github.com/blevesearch/bleve/v2/search"
)

// Signals are a hit's text signals, each in [0,1], each judged against what a record could
// score for the query, never against the best candidate: a threshold on them means the same
// for a two-word query and for a title with a long description.
type Signals struct {
	// Head is the idf-weighted credit of the query's head terms (keywords, title) the hit holds
	// (termCredit), over what a record of the index's mean length could earn.
	Head float64 `json:"head"`
	// Body is the same for the words of the query's body (a demand's description).
	Body float64 `json:"body"`
	// Lexical is the hit's BM25 over every bigram of the query's text, a head bigram counting
	// lexHead times a body bigram said once (which counts √tf), over what a record of the
	// index's mean length could reach.
	Lexical float64 `json:"lexical"`
	// Record is the share of the hit's own text (its tokens, each occurrence, smoothed by half
	// the mean length) that the query holds: near 1 for a short record whose every word the
	// query uses.
	Record float64 `json:"record"`
	// Chars is the hit's BM25 over the single characters of the query's text (a head
	// character weighing lexHead, a body character √tf) in the record's headline in
	// characters (the chars field), saturated as Lexical is: what two wordings of one thing
	// share where they share no bigram.
	Chars float64 `json:"chars"`
	// BM25 is the hit's score in the query bleve runs (textQuery: terms weighted by their idf,
	// a term held whole in the title counting more), saturated against the weight of the terms
	// a record of the index's mean length could hold.
	BM25 float64 `json:"bm25"`
	// Present says which signals the query can give.
	Present Present `json:"-"`
}

// Present says which signals a query can give: one without a body has no Body.
type Present struct{ Head, Body bool }

// bm25Sat is the BM25 signal's saturation: a hit scoring this many times the weight of the
// terms a record of mean length could hold scores 0.5. Measured at 0.1, 0.3, 1 and 3 with the
// fit refitted each time (docs/relevance.md): 0.1 ranked the BDCI demands best.
const bm25Sat = 0.1

// BM25 parameters of the lexical signal, bleve's own (search.BM25_k1, search.BM25_b).
var (
	lexK1 = search.BM25_k1
	lexB  = search.BM25_b
)

// textScorer scores the hits of one analysed query: built once a query, used for every hit.
type textScorer struct {
	terms                []queryTerm
	model                TextModel
	partial, gramPartial float64
	present              Present
	// head, body and all bound the term credit a record of a given length could earn, over
	// the head terms, the body terms and both.
	head, body, all capacity
	// lex is each searched token's weight in the lexical signal times its idf (0 for a token
	// only a part's other form searches); lexCap bounds their sum.
	lex    []float64
	lexCap capacity
	// charTerms are the characters of the characters signal (top reads their frequency in each
	// hit), char their weight times their idf, charCap bounds their sum.
	charTerms []string
	char      []float64
	charCap   capacity
	// clauses is the number of clauses of the query's disjunction (textQuery).
	clauses int
}

// newTextScorer prepares the scoring of the hits of qx.
func newTextScorer(qx queryText, m TextModel, t tuning) *textScorer {
	sc := &textScorer{terms: qx.terms, model: m, partial: t.partial, gramPartial: t.gramPartial}
	var head, body, all []item
	for _, qt := range qx.terms {
		it := item{weight: qt.weight * attainable(qt, t), size: float64(len(qt.tokens))}
		if it.weight <= 0 {
			continue
		}
		all = append(all, it)
		if qt.body {
			body = append(body, it)
			sc.present.Body = true
		} else {
			head = append(head, it)
			sc.present.Head = true
		}
	}
	sc.head, sc.body, sc.all = newCapacity(head), newCapacity(body), newCapacity(all)

	sc.lex = make([]float64, len(qx.tokens))
	items := make([]item, 0, len(qx.lex))
	for _, lt := range qx.lex {
		if lt.body > 0 {
			sc.present.Body = true
		}
		if w := (lt.head + lt.body) * lt.idf; w > 0 {
			sc.lex[lt.col] = w
			items = append(items, item{weight: w, size: 1})
		}
	}
	sc.lexCap = newCapacity(items)

	items = make([]item, 0, len(qx.chars))
	for _, ct := range qx.chars {
		w := ct.weight * ct.idf
		sc.charTerms = append(sc.charTerms, ct.term)
		sc.char = append(sc.char, w)
		items = append(items, item{weight: w, size: 1})
	}
	sc.charCap = newCapacity(items)
	sc.clauses = qx.clauses()
	return sc
}

// attainable is the share of qt's weight a record could earn: all of it when some record
// could hold qt whole, partial credit when only its parts occur (a title chunk no record holds
// whole, 防爆锂离子电池的研发, whose words some do), none when nothing does: a long demand is
// judged against what the records could hold of it, not against words none of them uses.
func attainable(qt queryTerm, t tuning) float64 {
	if qt.wholeDF != 0 && allSeen(qt) {
		return 1
	}
	for _, a := range qt.alts {
		if allSeen(a) {
			return 1
		}
	}
	for _, p := range qt.parts {
		if allSeen(p) {
			if qt.grams {
				return t.gramPartial
			}
			return t.partial
		}
	}
	return 0
}

// allSeen reports whether every token of qt occurs in some document.
func allSeen(qt queryTerm) bool {
	for _, tok := range qt.tokens {
		if !tok.seen {
			return false
		}
	}
	return len(qt.tokens) > 0
}

// score computes hit i's signals, its Coverage (the credit of every term, head and body, over
// what a record of its own length could earn: the text floor's measure) and its Text.
//
// The signals that rank are judged against a record of the index's mean length, the same for
// every hit of a query, so that a hit's rank among them follows BM25's own length
// normalisation rather than a second one; the floor is judged against the hit's own length, so
// that a record of a title only is not held to what an abstract could hold.
func (sc *textScorer) score(held heldSet, st, chars tokenStats, i int, bm25 float64) (sig Signals, coverage, text float64) {
	length := math.Inf(1)
	if st.length != nil && st.length[i] > 0 {
		length = st.length[i]
	}
	ref := math.Inf(1)
	if st.avg > 0 {
		ref = st.avg
	}
	var head, body float64
	for _, qt := range sc.terms {
		c := qt.weight * termCredit(qt, held.holds, sc.partial, sc.gramPartial)
		if qt.body {
			body += c
		} else {
			head += c
		}
	}
	sig.Head = ratio(head, sc.head.bound(ref))
	sig.Body = ratio(body, sc.body.bound(ref))
	coverage = ratio(head+body, sc.all.bound(length))

	var own float64
	sig.Lexical, own = saturatedBM25(sc.lex, sc.lexCap, st, i)
	if !math.IsInf(length, 1) {
		sig.Record = ratio(own, length+st.avg/2)
	}
	sig.Chars, _ = saturatedBM25(sc.char, sc.charCap, chars, i)
	if w := sc.all.bound(ref); w > 0 {
		// bleve scales a disjunction's score by the share of its clauses a hit matches: of a
		// long description's hundreds, a record of mean length can match at most its length.
		coord := 1.0
		if n := float64(sc.clauses); n > ref {
			coord = ref / n
		}
		sig.BM25 = bm25 / (bm25 + bm25Sat*w*coord)
	}
	sig.Present = sc.present
	return sig, coverage, sc.model.Combine(sig)
}

// saturatedBM25 is hit i's BM25 over the tokens read in st, w giving each one's weight times
// its idf, saturated against what a record of the field's mean length could reach (cp): one
// holding the heaviest tokens once each scores 1 − e^{-1.5} ≈ 0.78; more, or more often,
// approaches 1. held is how many occurrences of the weighed tokens the hit holds. The lexical
// and characters signals are both this, over bigrams and over characters.
func saturatedBM25(w []float64, cp capacity, st tokenStats, i int) (sat, held float64) {
	norm := 1.0
	if st.avg > 0 && st.length != nil && st.length[i] > 0 {
		norm = 1 - lexB + lexB*st.length[i]/st.avg
	}
	var sum float64
	for c, wc := range w {
		tf := st.freq(i, c)
		if tf == 0 || wc == 0 {
			continue
		}
		sum += wc * tf * (lexK1 + 1) / (tf + lexK1*norm)
		held += tf
	}
	ref := math.Inf(1)
	if st.avg > 0 {
		ref = st.avg
	}
	if b := cp.bound(ref); b > 0 {
		sat = 1 - math.Exp(-1.5*sum/b)
	}
	return sat, held
}

func ratio(num, den float64) float64 {
	if den <= 0 {
		return 0
	}
	return min(1, num/den)
}

// item is one term or token in a capacity: the weight it gives and the tokens it takes.
type item struct{ weight, size float64 }

// capacity bounds the weight a record of a given length, in tokens, could earn from a set of
// items: the items of the most weight per token first, the last one in part (a fractional
// knapsack, whose greedy answer is the exact bound). A record longer than all the items
// together could earn all of them.
type capacity struct {
	size, weight []float64 // prefix sums, in order of weight per token
}

func newCapacity(items []item) capacity {
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(b.weight/b.size, a.weight/a.size) })
	c := capacity{size: make([]float64, len(items)+1), weight: make([]float64, len(items)+1)}
	for i, it := range items {
		c.size[i+1] = c.size[i] + it.size
		c.weight[i+1] = c.weight[i] + it.weight
	}
	return c
}

func (c capacity) bound(length float64) float64 {
	n := len(c.size) - 1
	if n <= 0 {
		return 0
	}
	if length >= c.size[n] {
		return c.weight[n]
	}
	k, _ := slices.BinarySearch(c.size, length) // c.size[k-1] < length ≤ c.size[k]
	if k == 0 {
		return 0
	}
	part := (length - c.size[k-1]) / (c.size[k] - c.size[k-1])
	return c.weight[k-1] + part*(c.weight[k]-c.weight[k-1])
}
