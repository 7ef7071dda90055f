package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// RecallOnePass is Recall with the term locations collected by bleve's own search, for every
// document the query matches: what Recall did before top split it in two steps, and what
// those steps must reproduce.
func RecallOnePass(ctx context.Context, ix *Index, r RecallRequest) ([]Hit, error) {
	rq, err := ix.recallQuery(ctx, r)
	if err != nil || rq.terms == nil {
		return []Hit{}, err
	}
	search := func(q query.Query) ([]Hit, error) {
		req := bleve.NewSearchRequestOptions(q, rq.size, 0, false)
		req.IncludeLocations = true
		res, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return nil, err
		}
		hits := ix.hits(res.Hits, rq.terms)
		rankByText(hits, rq.terms, ix.tuning())
		return hits, nil
	}
	if rq.pruned != nil {
		if hits, err := search(rq.pruned); err != nil || len(hits) >= ix.minFill(rq.size) {
			return hits, err
		}
	}
	return search(rq.full)
}

// PhraseIDF is the idf query analysis gives phrase as a whole term (its phrase weight), read
// through the document-frequency cache. between, when set, runs after the query has taken its
// index snapshot and before it counts: a batch applied while a query is analysed.
func PhraseIDF(ctx context.Context, ix *Index, phrase string, between func() error) (float64, error) {
	dr, err := ix.dfReader()
	if err != nil {
		return 0, err
	}
	defer dr.close()
	if between != nil {
		if err := between(); err != nil {
			return 0, err
		}
	}
	qt := queryTerm{text: phrase, weight: 1}
	var toks []string
	for _, t := range ix.mapping.AnalyzerNamed(analyzerBigram).Analyze([]byte(phrase)) {
		qt.tokens = append(qt.tokens, termToken{term: string(t.Term), rel: t.Position - 1})
		toks = append(toks, string(t.Term))
	}
	idfs, err := dr.idfs(ctx, toks)
	if err != nil {
		return 0, err
	}
	if err := dr.phraseWeight(ctx, &qt, idfs); err != nil {
		return 0, err
	}
	return qt.weight, nil
}
