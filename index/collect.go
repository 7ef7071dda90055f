package index

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"
)

// top returns q's best size matches by BM25 score, each with the locations of terms' tokens in
// the text field, all from one snapshot of the index.
//
// It does what bleve's SearchInContext does with IncludeLocations, in two steps: the first
// scores every matching document without reading term locations, the second reads the
// locations of the top size only. Reading them for every document the text matched, often
// thousands, was about 40% of recall. One snapshot for both, so that a batch applied in
// between cannot give a hit the score of one version and the coverage of another.
func (ix *Index) top(ctx context.Context, q query.Query, terms []queryTerm, size int) (search.DocumentMatchCollection, error) {
	reader, err := ix.snapshot()
	if err != nil {
		return nil, fmt.Errorf("index: recall: %w", err)
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
	s, err := q.Searcher(ctx, reader, m, search.SearcherOptions{})
	if err != nil {
		return nil, fmt.Errorf("index: recall: %w", err)
	}
	defer s.Close()
	coll := collector.NewTopNCollector(size, 0, search.SortOrder{&search.SortScore{Desc: true}})
	if err := coll.Collect(ctx, s, reader); err != nil {
		return nil, fmt.Errorf("index: recall: %w", err)
	}
	dms := coll.Results()
	if err := locate(ctx, reader, textTokens(terms), dms); err != nil {
		return nil, err
	}
	return dms, nil
}

// snapshot opens a reader of the index as it is now; the caller closes it.
func (ix *Index) snapshot() (bindex.IndexReader, error) {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// textTokens are the text-field tokens textQuery searches: each term's own bigrams (its
// MatchQuery and phrase clauses analyse the term's text, which is what gave qt.tokens). These
// are the locations a one-step search would have collected in the text field.
func textTokens(terms []queryTerm) []string {
	var out []string
	seen := map[string]bool{}
	for _, qt := range terms {
		for _, t := range qt.tokens {
			if !seen[t.term] {
				seen[t.term] = true
				out = append(out, t.term)
			}
		}
	}
	return out
}

// locate sets the text-field locations of tokens in each of dms, walking each token's postings
// once, forward, through the hits in index order.
func locate(ctx context.Context, r bindex.IndexReader, tokens []string, dms search.DocumentMatchCollection) error {
	if len(dms) == 0 {
		return nil
	}
	inOrder := slices.Clone(dms)
	slices.SortFunc(inOrder, func(a, b *search.DocumentMatch) int { return bytes.Compare(a.IndexInternalID, b.IndexInternalID) })
	locs := make([]search.TermLocationMap, len(inOrder))
	for _, tok := range tokens {
		if err := locateToken(ctx, r, tok, inOrder, locs); err != nil {
			return err
		}
	}
	for i, dm := range inOrder {
		dm.Locations = nil
		if locs[i] != nil {
			dm.Locations = search.FieldTermLocationMap{fText: locs[i]}
		}
	}
	return nil
}

func locateToken(ctx context.Context, r bindex.IndexReader, tok string, inOrder search.DocumentMatchCollection, locs []search.TermLocationMap) error {
	tfr, err := r.TermFieldReader(ctx, []byte(tok), fText, false, false, true)
	if err != nil {
		return fmt.Errorf("index: recall: locations of %q: %w", tok, err)
	}
	defer tfr.Close()
	var buf bindex.TermFieldDoc
	var at *bindex.TermFieldDoc
	for i, dm := range inOrder {
		if at == nil || at.ID.Compare(dm.IndexInternalID) < 0 {
			if at, err = tfr.Advance(dm.IndexInternalID, &buf); err != nil {
				return fmt.Errorf("index: recall: locations of %q: %w", tok, err)
			}
			if at == nil {
				return nil // no later document holds tok
			}
		}
		if !at.ID.Equals(dm.IndexInternalID) {
			continue
		}
		ls := make(search.Locations, len(at.Vectors))
		for j, v := range at.Vectors {
			ls[j] = &search.Location{Pos: v.Pos, Start: v.Start, End: v.End, ArrayPositions: slices.Clone(v.ArrayPositions)}
		}
		if locs[i] == nil {
			locs[i] = search.TermLocationMap{}
		}
		locs[i][tok] = ls
	}
	return nil
}
