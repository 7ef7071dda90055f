// Package indexer applies the store's outbox to the bleve index, in batches, after every write and on start.
package indexer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// Source is what the indexer reads: the outbox and the records it names.
type Source interface {
	OutboxAfter(ctx context.Context, after uint64, limit int) ([]store.OutboxEntry, error)
	OutboxHead(ctx context.Context) (uint64, error)
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
	Scan(ctx context.Context, k domain.Kind, fn func(domain.Record) error) error
}

// Target is the index the outbox is applied to.
type Target interface {
	Apply(ctx context.Context, puts []domain.Record, deletes []index.DocKey, position uint64) error
	Position() uint64
}

var (
	_ Source = (*store.Store)(nil)
	_ Target = (*index.Index)(nil)
)

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
	for {
		n, err := x.step(ctx)
		if err != nil && ctx.Err() != nil {
			// Shutting down is not a fault of the index; /readyz keeps the last real state.
			return err
		}
		x.errMu.Lock()
		x.err = err
		x.errMu.Unlock()
		if err != nil {
			return err
		}
		if n < x.batch {
			return nil
		}
	}
}

// Err is the last drain error, nil once a drain succeeds; /readyz reports it.
func (x *Indexer) Err() error {
	x.errMu.Lock()
	defer x.errMu.Unlock()
	return x.err
}

func (x *Indexer) step(ctx context.Context) (int, error) {
	pos := x.dst.Position()
	rows, err := x.src.OutboxAfter(ctx, pos, x.batch)
	if err != nil || len(rows) == 0 {
		return 0, err
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
	var puts []domain.Record
	var deletes []index.DocKey
	for kind, list := range ids {
		recs, err := x.src.GetMany(ctx, kind, list)
		if err != nil {
			return 0, fmt.Errorf("indexer: load %s: %w", kind, err)
		}
		for _, id := range list {
			if r, ok := recs[id]; ok {
				puts = append(puts, r)
			} else {
				deletes = append(deletes, index.DocKey{Kind: kind, ID: id})
			}
		}
	}
	last := rows[len(rows)-1].Seq
	if err := x.dst.Apply(ctx, puts, deletes, last); err != nil {
		return 0, fmt.Errorf("indexer: apply up to %d: %w", last, err)
	}
	if x.onApply != nil {
		x.onApply(last)
	}
	x.cond.Broadcast()
	return len(rows), nil
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
	var batch []domain.Record
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
			batch = append(batch, r)
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
