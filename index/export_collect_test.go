package index

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// RecallPerDocument is Recall with the tokens each hit holds read by one search per hit and
// token (the hit's id and the token), not by top's walk of each token's postings through the
// hits in index order: what that walk must reproduce.
func RecallPerDocument(ctx context.Context, ix *Index, r RecallRequest) ([]Hit, error) {
	rq, err := ix.recallQuery(ctx, r)
	if err != nil || rq.terms == nil {
		return []Hit{}, err
	}
	run := func(q query.Query) ([]Hit, error) {
		res, err := ix.bleve.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, rq.size, 0, false))
		if err != nil {
			return nil, err
		}
		top := topResult{dms: res.Hits, held: newHeldSets(len(res.Hits), len(rq.tokens))}
		for i, dm := range res.Hits {
			for col, tok := range rq.tokens {
				q := query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery([]string{dm.ID}), termQuery(fText, tok)})
				res, err := ix.bleve.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, 1, 0, false))
				if err != nil {
					return nil, err
				}
				if res.Total == 1 {
					top.held[i].add(col)
				}
			}
		}
		// Frequencies and lengths as top reads them: what is checked here is which tokens.
		reader, err := ix.snapshot()
		if err != nil {
			return nil, err
		}
		defer reader.Close()
		if _, top.stats, err = heldTokens(ctx, reader, fText, rq.tokens, res.Hits); err != nil {
			return nil, err
		}
		if _, top.chars, err = heldTokens(ctx, reader, fChars, rq.scorer.charTerms, res.Hits); err != nil {
			return nil, err
		}
		hits := ix.hits(top, rq.terms, rq.scorer)
		rankByText(hits)
		return hits, nil
	}
	if rq.pruned != nil {
		if hits, err := run(rq.pruned); err != nil || len(hits) >= ix.minFill(rq.size) {
			return hits, err
		}
	}
	return run(rq.full)
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
		qt.tokens = append(qt.tokens, termToken{term: string(t.Term)})
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
