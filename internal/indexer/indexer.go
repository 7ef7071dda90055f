// Package indexer applies the store's outbox to the bleve index, in batches, after every write and on start.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// Source is what the indexer reads: the outbox and the records it names.
type Source interface {
	OutboxAfter(ctx context.Context, after uint64, limit int) ([]domain.OutboxEntry, error)
	OutboxHead(ctx context.Context) (uint64, error)
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
	Scan(ctx context.Context, k domain.Kind, fn func(domain.Record) error) error
	ExpertsLinking(ctx context.Context, k domain.Kind, ids []string) ([]string, error)
}

// Target is the index the outbox is applied to.
type Target interface {
	Apply(ctx context.Context, puts []index.Doc, deletes []index.DocKey, position uint64) error
	Position() uint64
}

var (
	_ Target = (*index.Index)(nil)
)

// ErrOutboxPruned: outbox rows the index has not applied were pruned; only a rebuild of the
// index from the store brings it up to date.
var ErrOutboxPruned = errors.New("outbox rows this index has not applied were pruned")

// Indexer drains the outbox into the index. Applying is idempotent: a row is applied by
// reading the record's current state, so replaying rows after a crash is harmless.
type Indexer struct {
	src      Source
	dst      Target
	batch    int
	interval time.Duration
	log      *slog.Logger
	onApply  func(position uint64)

	mu     sync.Mutex // serialises drains
	wake   chan struct{}
	cond   *sync.Cond
	condMu sync.Mutex
	errMu  sync.Mutex
	err    error
}

// Options tune an Indexer.
type Options struct {
	BatchSize int
	Interval  time.Duration
	Log       *slog.Logger
	// OnApply is called after each applied batch with the new position.
	OnApply func(position uint64)
}

// New returns an Indexer; call Run to start it.
func New(src Source, dst Target, o Options) *Indexer {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	x := &Indexer{src: src, dst: dst, batch: o.BatchSize, interval: o.Interval, log: o.Log, onApply: o.OnApply, wake: make(chan struct{}, 1)}
	x.cond = sync.NewCond(&x.condMu)
	return x
}

// Notify tells the indexer that the outbox has new rows. It never blocks.
func (x *Indexer) Notify() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox whenever notified, and at least every interval, until ctx ends.
func (x *Indexer) Run(ctx context.Context) {
	t := time.NewTicker(x.interval)
	defer t.Stop()
	for {
		if err := x.Drain(ctx); err != nil && ctx.Err() == nil {
			x.log.Error("indexer: drain failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			x.cond.Broadcast()
			return
		case <-x.wake:
		case <-t.C:
		}
	}
}

// Drain applies every outbox row written so far.
func (x *Indexer) Drain(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	err := x.drain(ctx)
	if err != nil && ctx.Err() != nil {
		// Shutting down is not a fault of the index; /readyz keeps the last real state.
		return err
	}
	x.errMu.Lock()
	x.err = err
	x.errMu.Unlock()
	return err
}

// Err is the last drain error, nil once a drain succeeds; /readyz reports it.
func (x *Indexer) Err() error {
	x.errMu.Lock()
	defer x.errMu.Unlock()
	return x.err
}

// drain applies the outbox batch by batch, reading each full batch's successor from the store
// while bleve applies it: reading the rows and decoding the records need not wait for bleve.
// Reading ahead is safe because a batch reads the records' state after its rows were written,
// and batches are applied in order, each read after the one before; a record changed again
// meanwhile has a later row, applied later. No read ahead outlives the drain.
func (x *Indexer) drain(ctx context.Context) error {
	b, err := x.load(ctx, x.dst.Position())
	for err == nil && b.rows > 0 {
		if b.rows < x.batch { // the last rows written so far
			return x.apply(ctx, b)
		}
		aheadCtx, cancel := context.WithCancel(ctx)
		ahead := make(chan error, 1)
		var next batch
		go func() {
			var err error
			next, err = x.load(aheadCtx, b.last)
			ahead <- err
		}()
		err = x.apply(ctx, b)
		if err != nil {
			cancel()
		}
		aheadErr := <-ahead
		cancel()
		if err != nil {
			return err
		}
		b, err = next, aheadErr
	}
	return err
}

// batch is the work of one step: outbox rows up to last, resolved to the records' current state.
type batch struct {
	rows    int
	last    uint64
	puts    []index.Doc
	deletes []index.DocKey
}

// load reads up to x.batch outbox rows after seq after and the records they name.
func (x *Indexer) load(ctx context.Context, after uint64) (batch, error) {
	rows, err := x.src.OutboxAfter(ctx, after, x.batch)
	if err != nil {
		return batch{}, err
	}
	if len(rows) == 0 {
		// Nothing after the index, unless the rows after it were pruned and nothing has been
		// written since: the head (which pruning does not lower) is then past the index. A row
		// written between the two reads passes the head too, so the rows are read once more;
		// rows past this index's position are never pruned while it runs, so none there means
		// they were pruned before it started (a restored older copy of the index).
		head, err := x.src.OutboxHead(ctx)
		if err != nil || head <= after {
			return batch{}, err
		}
		rows, err = x.src.OutboxAfter(ctx, after, 1)
		if err != nil || len(rows) > 0 {
			return batch{}, err // written meanwhile: the next step reads it
		}
		return batch{}, fmt.Errorf("indexer: %w: the index is at outbox position %d, the outbox is empty up to %d; run `techmatch reindex`",
			ErrOutboxPruned, after, head)
	}
	if rows[0].Seq != after+1 {
		// Sequence numbers are handed out without gaps and rows are deleted only by pruning,
		// which never passes this index's position: the index is older than the outbox (a
		// restored copy, say) and the writes in between are gone. Applying the rest would
		// hide that the index misses them.
		return batch{}, fmt.Errorf("indexer: %w: the index is at outbox position %d, the oldest row left is %d; run `techmatch reindex`",
			ErrOutboxPruned, after, rows[0].Seq)
	}
	// The last row for an id wins; its current state in the store decides put or delete.
	ids := map[domain.Kind][]string{}
	seen := map[index.DocKey]bool{}
	for _, r := range rows {
		k := index.DocKey{Kind: r.Kind, ID: r.ID}
		if !seen[k] {
			seen[k] = true
			ids[r.Kind] = append(ids[r.Kind], r.ID)
		}
	}
	// An expert's document holds the titles of the records it links (doc): when one of those
	// changes or goes, the expert is indexed again too.
	for _, kind := range []domain.Kind{domain.Achievements, domain.Patents} {
		experts, err := x.src.ExpertsLinking(ctx, kind, ids[kind])
		if err != nil {
			return batch{}, fmt.Errorf("indexer: load: %w", err)
		}
		for _, id := range experts {
			if k := (index.DocKey{Kind: domain.Experts, ID: id}); !seen[k] {
				seen[k] = true
				ids[domain.Experts] = append(ids[domain.Experts], id)
			}
		}
	}
	b := batch{rows: len(rows), last: rows[len(rows)-1].Seq}
	for kind, list := range ids {
		recs, err := x.src.GetMany(ctx, kind, list)
		if err != nil {
			return batch{}, fmt.Errorf("indexer: load %s: %w", kind, err)
		}
		for _, id := range list {
			if r, ok := recs[id]; ok {
				b.puts = append(b.puts, x.doc(ctx, r))
			} else {
				b.deletes = append(b.deletes, index.DocKey{Kind: kind, ID: id})
			}
		}
	}
	return b, nil
}

// doc is r as the index takes it: an expert with the titles of what it links. If those cannot
// be read, the expert is indexed with its own text, and a later write of the expert or of a
// linked record indexes it whole again.
func (x *Indexer) doc(ctx context.Context, r domain.Record) index.Doc {
	e, ok := r.(*domain.Expert)
	if !ok {
		return index.Doc{Record: r}
	}
	extra, err := index.ExpertLinkedText(ctx, x.src, e)
	if err != nil {
		x.log.Warn("indexer: expert links not indexed", "expert", e.ID, "err", err)
	}
	return index.Doc{Record: r, Extra: extra}
}

// apply applies b to the index and wakes whoever waits for its position.
func (x *Indexer) apply(ctx context.Context, b batch) error {
	if err := x.dst.Apply(ctx, b.puts, b.deletes, b.last); err != nil {
		return fmt.Errorf("indexer: apply up to %d: %w", b.last, err)
	}
	if x.onApply != nil {
		x.onApply(b.last)
	}
	x.cond.Broadcast()
	return nil
}

// WaitFor blocks until the index has applied outbox position seq, or ctx ends.
func (x *Indexer) WaitFor(ctx context.Context, seq uint64) error {
	stop := context.AfterFunc(ctx, func() {
		x.condMu.Lock()
		x.cond.Broadcast()
		x.condMu.Unlock()
	})
	defer stop()
	x.condMu.Lock()
	defer x.condMu.Unlock()
	for x.dst.Position() < seq {
		if err := ctx.Err(); err != nil {
			return err
		}
		x.Notify()
		x.cond.Wait()
	}
	return nil
}

// Rebuild repopulates an empty index from the store: every record of every kind, then the
// outbox position it was taken at, so that rows written meanwhile are replayed by Drain.
func (x *Indexer) Rebuild(ctx context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	head, err := x.src.OutboxHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("indexer: rebuild: %w", err)
	}
	total := 0
	var batch []index.Doc
	flush := func(pos uint64) error {
		if err := x.dst.Apply(ctx, batch, nil, pos); err != nil {
			return err
		}
		total += len(batch)
		batch = batch[:0]
		return nil
	}
	for _, k := range domain.AllKinds {
		err := x.src.Scan(ctx, k, func(r domain.Record) error {
			batch = append(batch, x.doc(ctx, r))
			if len(batch) >= x.batch {
				return flush(x.dst.Position())
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("indexer: rebuild %s: %w", k, err)
		}
	}
	if err := flush(x.dst.Position()); err != nil {
		return total, fmt.Errorf("indexer: rebuild: %w", err)
	}
	// The last batch records the position and sets every kind's generation to it: a rebuilt
	// index must not reuse the generations of an earlier life, or a cache could serve lists
	// computed then. Deleting an id that cannot exist touches a kind without changing it.
	var touch []index.DocKey
	for _, k := range domain.AllKinds {
		touch = append(touch, index.DocKey{Kind: k, ID: "\x00rebuild"})
	}
	if err := x.dst.Apply(ctx, nil, touch, head); err != nil {
		return total, fmt.Errorf("indexer: rebuild: %w", err)
	}
	if x.onApply != nil {
		x.onApply(head)
	}
	return total, nil
}
