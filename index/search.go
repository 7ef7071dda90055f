package index

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/techmatch/techmatch/internal/domain"
)

// SearchRequest is a full-text search of supply (GET /v1/search).
type SearchRequest struct {
	Query        string        // user text; empty matches everything, newest first
	Kinds        []domain.Kind // empty = the supply kinds, never demands unless asked
	Field        string        // taxonomy path prefix: 新材料 matches 新材料/电池材料
	RegionPrefix string        // 32 (province), 3201 or 320100
	TRLMin       int
	Modes        []string // any of these transfer modes
	// IncludeInactive keeps closed records and patents no longer in force, which are left out
	// by default (domain.InactiveReason).
	IncludeInactive bool
	From, Size      int
}

// SearchResult is one page of hits with facet counts over all matches. Its hits have no
// highlights until Highlight is given their records.
type SearchResult struct {
	Total  uint64
	Hits   []Hit
	Facets map[string][]FacetCount // keys "kind", "field", "region", "trl"
	// words are the words of the query's terms, which Highlight marks beside a hit's Matched.
	words []string
}

// FacetCount is how many matches have one value.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet names and the fields they count.
var facetFields = map[string]string{"kind": fKind, "field": fFields, "region": fRegion, "trl": fTRL}

const facetSize = 20

// searchBlock is how many BM25 hits Search reranks together. Each block of BM25 ranks
// [k·searchBlock, (k+1)·searchBlock) is ordered like Recall on its own, so a page depends only
// on the blocks it overlaps and paging stays stable: no hit moves between pages.
const searchBlock = DefaultRecallSize

// Search finds supply matching the text and filters. With text, hits are ranked like Recall
// (Text, then BM25) within fixed blocks of BM25 ranks (see searchBlock); without, newest first.
// Each carries Text and Matched; Highlight marks them in the page's records.
func (ix *Index) Search(ctx context.Context, r SearchRequest) (*SearchResult, error) {
	size := r.Size
	if size <= 0 {
		size = 10
	}
	filters := []query.Query{kindQuery(r.Kinds)}
	if f := strings.Trim(strings.TrimSpace(r.Field), "/"); f != "" {
		filters = append(filters, termQuery(fFieldPath, f))
	}
	if p := strings.TrimSpace(r.RegionPrefix); p != "" {
		filters = append(filters, termQuery(fRegionPath, normRegionPrefix(p)))
	}
	if r.TRLMin > 1 {
		var levels []string
		for l := max(r.TRLMin, 1); l <= 9; l++ {
			levels = append(levels, strconv.Itoa(l))
		}
		filters = append(filters, anyTerm(fTRL, levels))
	}
	if len(r.Modes) > 0 {
		filters = append(filters, anyTerm(fModes, r.Modes))
	}
	if !r.IncludeInactive {
		// A boolean query of must-nots alone matches every other document.
		filters = append(filters, query.NewBooleanQuery(nil, nil, []query.Query{anyTerm(fInactive, []string{domain.InactiveClosed, domain.InactivePatentInvalid})}))
	}

	var qx queryText
	if strings.TrimSpace(r.Query) != "" {
		var err error
		title, body := splitQuery(r.Query)
		if qx, err = ix.queryTerms(ctx, title, nil, body); err != nil {
			return nil, err
		}
		if len(qx.terms) == 0 { // only punctuation or stop words: nothing can match
			return &SearchResult{Hits: []Hit{}, Facets: map[string][]FacetCount{}}, nil
		}
	}
	terms, tokens := qx.terms, qx.tokens
	from := max(r.From, 0)
	if len(terms) == 0 {
		return ix.newest(ctx, filters, from, size)
	}
	q := query.NewBooleanQuery([]query.Query{ix.textQuery(qx)}, nil, nil)
	q.AddMust(filters...)
	start := from / searchBlock * searchBlock
	end := (from + size + searchBlock - 1) / searchBlock * searchBlock
	sc := newTextScorer(qx, ix.textModel(), ix.tuning())
	top, err := ix.top(ctx, topRequest{q: q, tokens: tokens, chars: sc.charTerms, size: end - start, skip: start, facets: facetFields})
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	hits := ix.hits(top, terms, sc)
	for b := 0; b < len(hits); b += searchBlock {
		rankByText(hits[b:min(b+searchBlock, len(hits))])
	}
	hits = hits[min(from-start, len(hits)):min(from-start+size, len(hits))]
	return page(hits, terms, top.total, top.facets), nil
}

// newest is Search without text: every record the filters keep, newest first.
func (ix *Index) newest(ctx context.Context, filters []query.Query, from, size int) (*SearchResult, error) {
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(filters), size, from, false)
	req.SortBy([]string{"-" + fUpdated, "_id"})
	for name, field := range facetFields {
		req.AddFacet(name, bleve.NewFacetRequest(field, facetSize))
	}
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, dm := range res.Hits {
		if dk, ok := splitDocID(dm.ID); ok {
			hits = append(hits, Hit{Kind: dk.Kind, ID: dk.ID, Score: dm.Score})
		}
	}
	return page(hits, nil, res.Total, res.Facets), nil
}

// page puts a page of hits with the total and facet counts of the search, and the words of
// its terms to highlight.
func page(hits []Hit, terms []queryTerm, total uint64, facets search.FacetResults) *SearchResult {
	// Every word, held or not: one is marked only where it stands verbatim in the title or
	// summary, which the text field holds, so a marked word is always held.
	out := &SearchResult{Total: total, Hits: hits, Facets: map[string][]FacetCount{}, words: partWords(terms, nil)}
	for name := range facetFields {
		counts := []FacetCount{}
		if f := facets[name]; f != nil && f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				counts = append(counts, FacetCount{Value: t.Term, Count: t.Count})
			}
		}
		out.Facets[name] = counts
	}
	return out
}

// maxSearchTitle is the longest search query read as a title alone, in runes.
const maxSearchTitle = 32

// splitQuery reads a search query as a demand reads: a query of up to maxSearchTitle runes is
// a title; a longer one, a paragraph pasted into the box, is a title of its first runes (cut
// where a word ends, at a space or punctuation) and a description of the rest, so that it is
// ranked as a demand with a description is (TextModel) rather than as hundreds of keywords.
func splitQuery(q string) (title, body string) {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) <= maxSearchTitle {
		return q, ""
	}
	cut, n := 0, 0
	for i, r := range q {
		if n == maxSearchTitle {
			if cut == 0 {
				cut = i
			}
			break
		}
		if n > 0 && (unicode.IsSpace(r) || unicode.IsPunct(r)) {
			cut = i
		}
		n++
	}
	return strings.TrimSpace(q[:cut]), strings.TrimSpace(q[cut:])
}
