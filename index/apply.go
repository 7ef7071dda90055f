package index

import (
	"context"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// Apply indexes puts, removes deletes and records position (the outbox sequence of the last
// applied row) and, for each kind touched, its generation (= position), all in one bleve batch,
// so that content and position are persisted together.
// The position must stay in the documents' batch, so a batch is never split (docs/benchmarks.md,
// "Indexing and index size", has what splitting would gain and cost).
func (ix *Index) Apply(ctx context.Context, puts []domain.Record, deletes []DocKey, position uint64) error {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("index: apply: %w", err)
	}
	batch := ix.bleve.NewBatch()
	touched := map[domain.Kind]bool{}
	for _, r := range puts {
		m := r.GetMeta()
		extra := ""
		if ix.enrich != nil {
			extra = ix.enrich(ctx, r)
		}
		if err := batch.Index(docID(r.RecordKind(), m.ID), ix.document(r, extra)); err != nil {
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
