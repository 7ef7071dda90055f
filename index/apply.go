package index

import (
	"context"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// Doc is a record as the index takes it, with the text other records lend it: an expert's
// holds the titles of the achievements and patents it links (ExpertLinkedText), so that it is
// found by what it made. Whoever loads the records builds the documents whole.
type Doc struct {
	Record domain.Record
	Extra  string
}

// Docs are records that lend each other no text, as documents.
func Docs(recs []domain.Record) []Doc {
	docs := make([]Doc, len(recs))
	for i, r := range recs {
		docs[i] = Doc{Record: r}
	}
	return docs
}

// Apply indexes puts, removes deletes and records position (the outbox sequence of the last
// applied row) and, for each kind touched, its generation (= position), all in one bleve batch,
// so that content and position are persisted together.
// The position must stay in the documents' batch, so a batch is never split (docs/benchmarks.md,
// "Indexing and index size", has what splitting would gain and cost).
func (ix *Index) Apply(ctx context.Context, puts []Doc, deletes []DocKey, position uint64) error {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("index: apply: %w", err)
	}
	batch := ix.bleve.NewBatch()
	touched := map[domain.Kind]bool{}
	for _, doc := range puts {
		r, m := doc.Record, doc.Record.GetMeta()
		if err := batch.Index(docID(r.RecordKind(), m.ID), ix.document(r, doc.Extra)); err != nil {
			return fmt.Errorf("index: apply %s %s: %w", r.RecordKind(), m.ID, err)
		}
		touched[r.RecordKind()] = true
	}
	for _, d := range deletes {
		batch.Delete(docID(d.Kind, d.ID))
		touched[d.Kind] = true
	}
	batch.SetInternal(keyPosition, uintBytes(position))
	for k := range touched {
		batch.SetInternal(keyGeneration(k), uintBytes(position))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("index: apply: %w", err)
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return fmt.Errorf("index: apply batch up to %d: %w", position, err)
	}
	ix.dfs.reset()
	ix.mu.Lock()
	ix.position = position
	for k := range touched {
		ix.gens[k] = position
	}
	ix.mu.Unlock()
	return nil
}
