package worklist_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/indexer"
	"github.com/techmatch/techmatch/internal/match"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/taxonomy"
	"github.com/techmatch/techmatch/internal/worklist"
)

// countingMatcher counts the matches the worker asks for, around the real matcher.
type countingMatcher struct {
	*match.Service
	demand, supply atomic.Int64
}

func (m *countingMatcher) MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error) {
	m.demand.Add(1)
	return m.Service.MatchDemand(ctx, d, kinds, limit, p)
}

func (m *countingMatcher) MatchSupply(ctx context.Context, rec domain.SupplyRecord, limit int, p *domain.Profile) (*domain.MatchList, error) {
	m.supply.Add(1)
	return m.Service.MatchSupply(ctx, rec, limit, p)
}

type workerEnv struct {
	st      *store.Store
	ix      *index.Index
	x       *indexer.Indexer
	matcher *countingMatcher
	w       *worklist.Worker
}

func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "techmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.OpenMem(seg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	tb, _ := fs.ReadFile(configs.FS, "taxonomy.yaml")
	rb, _ := fs.ReadFile(configs.FS, "regions.yaml")
	tax, err := taxonomy.Load(tb, rb)
	if err != nil {
		t.Fatal(err)
	}
	m := &countingMatcher{Service: match.New(ix, st, tax, nil)}
	return &workerEnv{st: st, ix: ix, x: indexer.New(st, ix, indexer.Options{}), matcher: m,
		w: worklist.NewWorker(st, ix, m, nil, 0, nil)}
}

// write stores recs, applies them to the index and resets the match counts.
func (e *workerEnv) write(t *testing.T, recs []domain.Record) {
	t.Helper()
	ctx := context.Background()
	if err := e.st.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := e.x.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	e.matcher.demand.Store(0)
	e.matcher.supply.Store(0)
}

// skip moves the worker past everything indexed so far, as if it had handled it.
func (e *workerEnv) skip(t *testing.T) {
	t.Helper()
	if err := e.st.SetConsumerPosition(context.Background(), worklist.ConsumerName, e.ix.Position()); err != nil {
		t.Fatal(err)
	}
}

// steps runs the worker until it has nothing left and returns how many rows each step consumed.
func (e *workerEnv) steps(t *testing.T) []int {
	t.Helper()
	var out []int
	for {
		n, err := e.w.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
		out = append(out, n)
	}
}

// openDemands are n open demands of which only dem-007 asks for what batterySupply offers:
// the others recall nothing, which keeps the many matches of these tests cheap.
func openDemands(n int) []domain.Record {
	var recs []domain.Record
	for i := range n {
		d := &domain.Demand{Meta: domain.Meta{ID: fmt.Sprintf("dem-%03d", i)},
			Title: "深海探测机器人", Keywords: []string{"深海", "机器人"}, Status: "open"}
		if i == 7 {
			d.Title, d.Keywords = "锂电池正极材料", []string{"锂电池", "正极材料"}
		}
		recs = append(recs, d)
	}
	return recs
}

func batterySupply(from, n int) []domain.Record {
	var recs []domain.Record
	for i := from; i < from+n; i++ {
		a := &domain.Achievement{}
		a.ID, a.Title, a.Status = fmt.Sprintf("ach-%04d", i), fmt.Sprintf("锂电池正极材料制备工艺 %d", i), "active"
		a.Summary = "高镍三元锂电池正极材料的低成本制备。"
		recs = append(recs, a)
	}
	return recs
}

// TestWorkerCatchUpRematchesOpenDemandsOnce: an import of more supply than there are open
// demands, more than one worker batch long, is caught up in one step that re-matches each open
// demand once, with no reverse match per item, and the new supply is listed.
func TestWorkerCatchUpRematchesOpenDemandsOnce(t *testing.T) {
	e := newWorkerEnv(t)
	e.write(t, openDemands(250))
	e.skip(t)

	e.write(t, batterySupply(0, 400))
	if got := e.steps(t); len(got) != 1 || got[0] != 400 {
		t.Fatalf("steps consumed %v rows, want one step of 400", got)
	}
	if d, s := e.matcher.demand.Load(), e.matcher.supply.Load(); d != 250 || s != 0 {
		t.Fatalf("catch-up made %d demand matches and %d supply matches, want 250 and 0", d, s)
	}
	entries, _, err := e.st.Entries(context.Background(), domain.EntryFilter{DemandID: "dem-007"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("dem-007 has no entries after the import")
	}
}

// TestWorkerReverseMatchesInSmallSteps: with more open demands than new supply, each item is
// reverse-matched, a worker batch at a time, so the persisted position stays close.
func TestWorkerReverseMatchesInSmallSteps(t *testing.T) {
	e := newWorkerEnv(t)
	e.write(t, openDemands(300))
	e.skip(t)

	e.write(t, batterySupply(0, 250))
	if got := e.steps(t); len(got) != 2 || got[0] != 200 || got[1] != 50 {
		t.Fatalf("steps consumed %v rows, want [200 50]", got)
	}
	if s := e.matcher.supply.Load(); s != 250 {
		t.Fatalf("made %d supply matches, want one per new item (250)", s)
	}
}

// TestWorkerPrunesOnlyWhatItHasApplied: the outbox rows the worker has handled are pruned once
// older than the retention; rows it has not handled yet, though indexed, stay, and the worker
// then handles them as if nothing had been pruned.
func TestWorkerPrunesOnlyWhatItHasApplied(t *testing.T) {
	ctx := context.Background()
	e := newWorkerEnv(t)
	e.write(t, openDemands(8)) // dem-007 asks for the battery supply
	e.steps(t)
	handled := e.ix.Position()

	if n, err := e.w.PruneOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("PruneOutbox with no retention = %d, %v; want 0 (keep everything)", n, err)
	}
	e.w.WithOutboxRetention(time.Hour)
	if n, err := e.w.PruneOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("PruneOutbox of rows younger than the retention = %d, %v; want 0", n, err)
	}

	e.write(t, batterySupply(0, 2)) // indexed, not yet handled by the worker
	e.w.WithOutboxRetention(time.Nanosecond)
	n, err := e.w.PruneOutbox(ctx)
	if err != nil || n != int64(handled) {
		t.Fatalf("PruneOutbox = %d, %v; want the %d rows the worker handled", n, err, handled)
	}
	left, err := e.st.OutboxAfter(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].Seq != handled+1 {
		t.Fatalf("outbox after pruning = %+v, want the 2 unhandled rows from seq %d", left, handled+1)
	}
	if got := e.steps(t); len(got) != 1 || got[0] != 2 {
		t.Fatalf("steps after pruning consumed %v rows, want [2]", got)
	}
	entries, _, err := e.st.Entries(ctx, domain.EntryFilter{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("the supply written before the prune was never listed")
	}
}

// Before the worker's first step it has no row among the consumers, and nothing is pruned.
func TestWorkerPrunesNothingBeforeItsFirstStep(t *testing.T) {
	ctx := context.Background()
	e := newWorkerEnv(t)
	e.write(t, openDemands(2))
	e.w.WithOutboxRetention(time.Nanosecond)
	if n, err := e.w.PruneOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("PruneOutbox before the first step = %d, %v; want 0", n, err)
	}
}

// TestWorkerListsNoDemandPastItsDeadline: a demand stored open after its deadline, which the
// next sweep closes, gets no entries meanwhile.
func TestWorkerListsNoDemandPastItsDeadline(t *testing.T) {
	e := newWorkerEnv(t)
	recs := openDemands(8)
	recs[7].(*domain.Demand).Deadline = "2000-01-01"
	e.write(t, append(recs, batterySupply(0, 2)...))
	e.steps(t)
	entries, _, err := e.st.Entries(context.Background(), domain.EntryFilter{DemandID: "dem-007"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("dem-007, past its deadline, has %d entries", len(entries))
	}
}
