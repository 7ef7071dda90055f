package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
)

// RecallOnePass is Recall with the term locations collected by bleve's own search, for every
// document the query matches: what Recall did before top split it in two steps, and what
// those steps must reproduce.
func RecallOnePass(ctx context.Context, ix *Index, r RecallRequest) ([]Hit, error) {
	q, terms, size, err := ix.recallQuery(ctx, r)
	if err != nil || q == nil {
		return []Hit{}, err
	}
	req := bleve.NewSearchRequestOptions(q, size, 0, false)
	req.IncludeLocations = true
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	hits, err := ix.hits(ctx, res.Hits, terms, false)
	if err != nil {
		return nil, err
	}
	rankByText(hits, terms, ix.tuning())
	return hits, nil
}
