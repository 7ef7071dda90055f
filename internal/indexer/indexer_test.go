package indexer_test

import (
	"context"
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
	ix, _, err := index.Open(filepath.Join(dir, "index"), seg)
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
