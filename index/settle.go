package index

import (
	"context"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// settleEvery is how often WaitSettled reads an index's statistics.
const settleEvery = 250 * time.Millisecond

// WaitSettled waits until b, an on-disk scorch index, has persisted its current snapshot and
// its merger has planned over it with nothing left to merge, seen at the same epoch in two reads
// in a row; or until max has passed or ctx ends. It returns how long it waited and whether b
// settled. After a bulk import scorch merges segments for a while; queries meanwhile compete
// with the merges for CPU and read more, smaller segments.
func WaitSettled(ctx context.Context, b bleve.Index, max time.Duration) (time.Duration, bool, error) {
	start := time.Now()
	deadline := time.NewTimer(max)
	defer deadline.Stop()
	tick := time.NewTicker(settleEvery)
	defer tick.Stop()
	var last uint64
	for {
		if epoch, ok := settledAt(b); ok && epoch == last {
			return time.Since(start), true, nil
		} else if ok {
			last = epoch
		} else {
			last = 0
		}
		select {
		case <-ctx.Done():
			return time.Since(start), false, ctx.Err()
		case <-deadline.C:
			return time.Since(start), false, nil
		case <-tick.C:
		}
	}
}

// WaitSettled is WaitSettled of the index's bleve index.
func (ix *Index) WaitSettled(ctx context.Context, max time.Duration) (time.Duration, bool, error) {
	return WaitSettled(ctx, ix.bleve, max)
}

// settledAt returns the root epoch of b when nothing is left to persist or merge at it.
func settledAt(b bleve.Index) (uint64, bool) {
	st, _ := b.StatsMap()["index"].(map[string]interface{})
	n := func(k string) uint64 { v, _ := st[k].(uint64); return v }
	root := n("CurRootEpoch")
	ok := root > 0 && n("LastPersistedEpoch") == root && n("LastMergedEpoch") == root &&
		n("TotFileMergeZapBeg") == n("TotFileMergeZapEnd") && n("TotMemorySegmentsAtRoot") == 0
	return root, ok
}
