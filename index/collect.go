package index

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/facet"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// topRequest asks top for a query's best matches.
type topRequest struct {
	q      query.Query
	tokens []string // the text-field tokens whose presence to read for each hit (searchedTokens)
	chars  []string // the chars-field tokens whose frequency to read for each hit (textScorer.charTerms)
	size   int
	skip   int               // best matches to pass over first (Search's pages)
	facets map[string]string // facet name → field, counted over every match; nil: none
}

// topResult is what top found: the matches, best first, with the tokens each holds.
type topResult struct {
	dms    search.DocumentMatchCollection
	held   []heldSet // held[i]: the tokens of the request dms[i] holds
	stats  tokenStats
	chars  tokenStats // the request's chars in each hit's chars field
	total  uint64     // every match of the query
	facets search.FacetResults
}

// top returns the best matches of r.q by BM25 score, each with the request's tokens it holds,
// all from one snapshot of the index, so that a batch applied in between cannot give a hit the
// score of one version and the coverage of another.
//
// It scores every matching document first, then reads the tokens the top ones hold, walking
// each token's postings once through them. Reading them for every document the text matched,
// often thousands, was about 40% of recall.
func (ix *Index) top(ctx context.Context, r topRequest) (topResult, error) {
	reader, err := ix.snapshot()
	if err != nil {
		return topResult{}, fmt.Errorf("index: query: %w", err)
	}
	defer reader.Close()
	m := ix.bleve.Mapping()
	model := bindex.DefaultScoringModel
	if im, ok := m.(*mapping.IndexMappingImpl); ok && im.ScoringModel != "" {
		model = im.ScoringModel
	}
	// Term searchers read the scoring model from the context; SearchInContext puts it there.
	ctx = context.WithValue(ctx, search.GetScoringModelCallbackKey,
		search.GetScoringModelCallbackFn(func() string { return model }))
	s, err := r.q.Searcher(ctx, reader, m, search.SearcherOptions{})
	if err != nil {
		return topResult{}, fmt.Errorf("index: query: %w", err)
	}
	defer s.Close()
	coll := collector.NewTopNCollector(r.size, r.skip, search.SortOrder{&search.SortScore{Desc: true}})
	if len(r.facets) > 0 {
		fb := search.NewFacetsBuilder(reader)
		for name, field := range r.facets {
			fb.Add(name, facet.NewTermsFacetBuilder(field, facetSize))
		}
		coll.SetFacetsBuilder(fb)
	}
	if err := coll.Collect(ctx, s, reader); err != nil {
		return topResult{}, fmt.Errorf("index: query: %w", err)
	}
	out := topResult{dms: coll.Results(), total: coll.Total()}
	if len(r.facets) > 0 {
		out.facets = coll.FacetResults()
	}
	if out.held, out.stats, err = heldTokens(ctx, reader, fText, r.tokens, out.dms); err != nil {
		return topResult{}, err
	}
	if _, out.chars, err = heldTokens(ctx, reader, fChars, r.chars, out.dms); err != nil {
		return topResult{}, err
	}
	return out, nil
}

// snapshot opens a reader of the index as it is now; the caller closes it.
func (ix *Index) snapshot() (bindex.IndexReader, error) {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// tokenStats are what the lexical and characters signals read of each hit besides the tokens
// it holds: how often it holds each, and the length of its field.
type tokenStats struct {
	tf     []uint16  // tf[i*tokens+col]: occurrences of token col in hit i
	length []float64 // tokens in hit i's field; 0 when unknown
	avg    float64   // mean tokens a document of the index, 0 when unknown
	n      int       // tokens per hit
}

func (s tokenStats) freq(hit, col int) float64 { return float64(s.tf[hit*s.n+col]) }

// heldTokens reads which of tokens each of dms holds in field, how often, and each hit's
// field length, walking each token's postings once, forward, through the hits in index order.
func heldTokens(ctx context.Context, r bindex.IndexReader, field string, tokens []string, dms search.DocumentMatchCollection) ([]heldSet, tokenStats, error) {
	held := newHeldSets(len(dms), len(tokens))
	stats := tokenStats{tf: make([]uint16, len(dms)*len(tokens)), length: make([]float64, len(dms)), n: len(tokens)}
	if len(dms) == 0 {
		return held, stats, nil
	}
	if br, ok := r.(bindex.BM25Reader); ok {
		if card, err := br.FieldCardinality(field); err == nil {
			if docs, err := r.DocCount(); err == nil && docs > 0 {
				stats.avg = float64(card) / float64(docs)
			}
		}
	}
	order := make([]int, len(dms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(dms[a].IndexInternalID, dms[b].IndexInternalID) })
	for col, tok := range tokens {
		if err := holders(ctx, r, field, tok, col, dms, order, held, stats); err != nil {
			return nil, tokenStats{}, err
		}
	}
	return held, stats, nil
}

// holders marks column col in the held set of each of dms that holds tok; order lists dms's
// positions in index order.
func holders(ctx context.Context, r bindex.IndexReader, field, tok string, col int, dms search.DocumentMatchCollection, order []int, held []heldSet, stats tokenStats) error {
	tfr, err := r.TermFieldReader(ctx, []byte(tok), field, true, true, false)
	if err != nil {
		return fmt.Errorf("index: query: postings of %q: %w", tok, err)
	}
	defer tfr.Close()
	var buf bindex.TermFieldDoc
	var at *bindex.TermFieldDoc
	for _, i := range order {
		id := dms[i].IndexInternalID
		if at == nil || at.ID.Compare(id) < 0 {
			if at, err = tfr.Advance(id, &buf); err != nil {
				return fmt.Errorf("index: query: postings of %q: %w", tok, err)
			}
			if at == nil {
				return nil // no later document holds tok
			}
		}
		if at.ID.Equals(id) {
			held[i].add(col)
			stats.tf[i*stats.n+col] = uint16(min(at.Freq, math.MaxUint16))
			if at.Norm > 0 {
				// bleve keeps a field's length as the norm 1/√length (its BM25 reads it back so).
				stats.length[i] = 1 / (at.Norm * at.Norm)
			}
		}
	}
	return nil
}
