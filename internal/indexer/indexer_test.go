package indexer_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/indexer"
	"github.com/techmatch/techmatch/internal/store"
)

func setup(t *testing.T) (*store.Store, *index.Index, string) {
	t.Helper()
	return setupWith(t, nil)
}

// setupWith is setup with the index options opts gives for the store.
func setupWith(t *testing.T, opts func(*store.Store) []index.Option) (*store.Store, *index.Index, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	var o []index.Option
	if opts != nil {
		o = opts(st)
	}
	ix, _, err := index.Open(filepath.Join(dir, "index"), seg, o...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return st, ix, dir
}

func put(t *testing.T, st *store.Store, recs ...domain.Record) {
	t.Helper()
	if err := st.PutMany(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

func ach(id, title string) *domain.Achievement {
	a := &domain.Achievement{}
	a.ID, a.Title, a.Status = id, title, "active"
	return a
}

func ids(t *testing.T, ix *index.Index, k domain.Kind) map[string]bool {
	t.Helper()
	list, err := ix.IDs(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, id := range list {
		out[id] = true
	}
	return out
}

func TestDrainAppliesPutsAndDeletesInOrder(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	x := indexer.New(st, ix, indexer.Options{BatchSize: 2})
	put(t, st, ach("a1", "氢燃料电池"), ach("a2", "固态电解质"), ach("a3", "碳纤维"))
	if err := st.Delete(ctx, domain.Achievements, "a2"); err != nil {
		t.Fatal(err)
	}
	put(t, st, ach("a1", "氢燃料电池电堆"))
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ := st.OutboxHead(ctx)
	if ix.Position() != head {
		t.Errorf("position %d, want head %d", ix.Position(), head)
	}
	got := ids(t, ix, domain.Achievements)
	if !got["a1"] || got["a2"] || !got["a3"] || len(got) != 2 {
		t.Errorf("indexed %v, want a1 and a3", got)
	}
	if g := ix.Generation(domain.Achievements); g != head {
		t.Errorf("generation %d, want %d", g, head)
	}
	if g := ix.Generation(domain.Patents); g != 0 {
		t.Errorf("untouched kind has generation %d", g)
	}
}

func TestRebuildSetsEveryGenerationAndReplaysLaterWrites(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	put(t, st, ach("a1", "海水淡化"), ach("a2", "反渗透膜"))
	x := indexer.New(st, ix, indexer.Options{BatchSize: 1})
	n, err := x.Rebuild(ctx)
	if err != nil || n != 2 {
		t.Fatalf("rebuild: %d, %v", n, err)
	}
	head, _ := st.OutboxHead(ctx)
	for _, k := range domain.AllKinds {
		if g := ix.Generation(k); g != head {
			t.Errorf("%s generation %d after rebuild, want %d", k, g, head)
		}
	}
	put(t, st, ach("a3", "膜蒸馏"))
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, ix, domain.Achievements); len(got) != 3 {
		t.Errorf("after replay: %v", got)
	}
}

func TestRunAndWaitFor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, ix, _ := setup(t)
	applied := make(chan uint64, 100)
	x := indexer.New(st, ix, indexer.Options{Interval: time.Hour, OnApply: func(p uint64) { applied <- p }})
	done := make(chan struct{})
	go func() { x.Run(ctx); close(done) }()
	put(t, st, ach("w1", "储能"))
	x.Notify()
	head, _ := st.OutboxHead(ctx)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := x.WaitFor(wctx, head); err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
	if p := <-applied; p != head {
		t.Errorf("OnApply %d, want %d", p, head)
	}
	cancel()
	<-done
	if x.Err() != nil {
		t.Errorf("Err = %v", x.Err())
	}
}

// A drain cut short by shutdown is not an index fault: Err, which /readyz reports, stays nil.
func TestDrainCancelledIsNotAnError(t *testing.T) {
	st, ix, _ := setup(t)
	x := indexer.New(st, ix, indexer.Options{})
	put(t, st, ach("c1", "储能"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := x.Drain(ctx); err == nil {
		t.Fatal("Drain with a cancelled context returned nil")
	}
	if err := x.Err(); err != nil {
		t.Errorf("Err = %v after a cancelled drain, want nil", err)
	}
	if err := x.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, ix, domain.Achievements); !got["c1"] {
		t.Errorf("after drain: %v", got)
	}
}

// hookedIndex is the real index with a hook run before each Apply (n counts the calls from 1):
// writes, and failures, while bleve applies a batch and the next one is read ahead.
type hookedIndex struct {
	*index.Index
	before func(n int) error
	calls  int
}

func (h *hookedIndex) Apply(ctx context.Context, puts []index.Doc, deletes []index.DocKey, position uint64) error {
	h.calls++
	if err := h.before(h.calls); err != nil {
		return err
	}
	return h.Index.Apply(ctx, puts, deletes, position)
}

// TestDrainReadAheadKeepsOrder writes while the first batch is applied, touching records of that
// batch and of the one read ahead meanwhile, and checks the index ends at the store's last state.
func TestDrainReadAheadKeepsOrder(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	put(t, st, ach("a1", "氢燃料电池"), ach("a2", "固态电解质"), ach("a3", "碳纤维"), ach("a4", "海水淡化"), ach("a5", "反渗透膜"))
	h := &hookedIndex{Index: ix, before: func(n int) error {
		if n == 1 {
			put(t, st, ach("a1", "钙钛矿光伏组件"), ach("a3", "膜蒸馏"), ach("a6", "风电叶片"))
			return st.Delete(ctx, domain.Achievements, "a4")
		}
		return nil
	}}
	x := indexer.New(st, h, indexer.Options{BatchSize: 2})
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ := st.OutboxHead(ctx)
	if ix.Position() != head {
		t.Errorf("position %d, want head %d", ix.Position(), head)
	}
	got := ids(t, ix, domain.Achievements)
	if len(got) != 5 || !got["a1"] || !got["a2"] || !got["a3"] || got["a4"] || !got["a5"] || !got["a6"] {
		t.Errorf("indexed %v, want a1 a2 a3 a5 a6", got)
	}
	for title, want := range map[string]string{"钙钛矿光伏": "a1", "膜蒸馏": "a3", "氢燃料电池": "", "碳纤维": ""} {
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: title, Kinds: []domain.Kind{domain.Achievements}})
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, hit := range hits {
			if hit.Coverage == 1 {
				found = append(found, hit.ID)
			}
		}
		if (want == "" && len(found) != 0) || (want != "" && (len(found) != 1 || found[0] != want)) {
			t.Errorf("%s: found %v, want %q", title, found, want)
		}
	}
}

// TestDrainFailedApplyDropsReadAhead: when a batch fails, the batch read ahead is not applied
// and the next drain starts after the last applied batch, so no row is skipped.
func TestDrainFailedApplyDropsReadAhead(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	put(t, st, ach("a1", "氢燃料电池"), ach("a2", "固态电解质"), ach("a3", "碳纤维"), ach("a4", "海水淡化"), ach("a5", "反渗透膜"))
	fail := errors.New("disk full")
	h := &hookedIndex{Index: ix, before: func(n int) error {
		if n == 2 {
			return fail
		}
		return nil
	}}
	x := indexer.New(st, h, indexer.Options{BatchSize: 2})
	if err := x.Drain(ctx); !errors.Is(err, fail) {
		t.Fatalf("Drain = %v, want %v", err, fail)
	}
	if got := ids(t, ix, domain.Achievements); len(got) != 2 || !got["a1"] || !got["a2"] {
		t.Errorf("after the failed batch: indexed %v, want a1 a2", got)
	}
	if !errors.Is(x.Err(), fail) {
		t.Errorf("Err = %v, want %v", x.Err(), fail)
	}
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	head, _ := st.OutboxHead(ctx)
	if got := ids(t, ix, domain.Achievements); len(got) != 5 || ix.Position() != head {
		t.Errorf("after the retry: indexed %v at %d, want all 5 at %d", got, ix.Position(), head)
	}
}

// Pruning what the index has applied is invisible to it; an index behind pruned rows (a
// restored older copy) stops with ErrOutboxPruned instead of silently missing those writes.
func TestDrainStopsBehindPrunedRows(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	x := indexer.New(st, ix, indexer.Options{})
	put(t, st, ach("p1", "储能"), ach("p2", "光伏"))
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PruneApplied(ctx, ix.Position(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	put(t, st, ach("p3", "氢能"))
	if err := x.Drain(ctx); err != nil {
		t.Fatalf("Drain after pruning applied rows: %v", err)
	}

	at := ix.Position()
	put(t, st, ach("p4", "风电"))
	head, _ := st.OutboxHead(ctx)
	if _, err := st.PruneApplied(ctx, head, time.Now().Add(time.Hour)); err != nil { // past the index: rows it never saw
		t.Fatal(err)
	}
	put(t, st, ach("p5", "核能"))
	err := x.Drain(ctx)
	if !errors.Is(err, indexer.ErrOutboxPruned) {
		t.Fatalf("Drain behind pruned rows: err = %v, want ErrOutboxPruned", err)
	}
	if !errors.Is(x.Err(), indexer.ErrOutboxPruned) {
		t.Errorf("Err = %v, want ErrOutboxPruned for /readyz", x.Err())
	}
	if ix.Position() != at {
		t.Errorf("position moved from %d to %d past the gap", at, ix.Position())
	}
	if got := ids(t, ix, domain.Achievements); len(got) != 3 {
		t.Errorf("indexed %v, want p1–p3 only", got)
	}
}

// TestDrainStopsBehindAnEmptiedOutbox: when pruning took every row the index has not applied
// and nothing was written since, no row is left to show the gap; the outbox head still does,
// so such an index (a restored older copy) is not reported ready.
func TestDrainStopsBehindAnEmptiedOutbox(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setup(t)
	x := indexer.New(st, ix, indexer.Options{})
	put(t, st, ach("p1", "储能"))
	if err := x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	at := ix.Position()
	put(t, st, ach("p2", "光伏"))
	head, _ := st.OutboxHead(ctx)
	if n, err := st.PruneApplied(ctx, head, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("pruned %d rows (%v), want the outbox emptied of its 2", n, err)
	}
	err := x.Drain(ctx)
	if !errors.Is(err, indexer.ErrOutboxPruned) {
		t.Fatalf("Drain behind an emptied outbox: err = %v, want ErrOutboxPruned", err)
	}
	if !errors.Is(x.Err(), indexer.ErrOutboxPruned) {
		t.Errorf("Err = %v, want ErrOutboxPruned for /readyz", x.Err())
	}
	if ix.Position() != at {
		t.Errorf("position moved from %d to %d past the gap", at, ix.Position())
	}
}
