package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/techmatch/techmatch/internal/domain"
)

// cancelling is an achievement that cancels the write's context while it is being encoded,
// that is in the middle of a PutMany transaction.
type cancelling struct {
	*domain.Achievement
	cancel context.CancelFunc
}

func (c cancelling) MarshalJSON() ([]byte, error) {
	c.cancel()
	return json.Marshal(c.Achievement)
}

// A write that fails part-way leaves neither records nor outbox rows, also when looked at
// through a fresh handle, and hands back the caller's meta unchanged.
func testFailedWritesLeaveNoTrace(t *testing.T, b Backend) {
	tests := []struct {
		name  string
		write func(t *testing.T, s Store, recs []domain.Record) error
	}{
		{"context cancelled before", func(t *testing.T, s Store, recs []domain.Record) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return s.PutMany(ctx, recs)
		}},
		{"context cancelled mid-batch", func(t *testing.T, s Store, recs []domain.Record) error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			recs[2] = cancelling{Achievement: recs[2].(*domain.Achievement), cancel: cancel}
			return s.PutMany(ctx, recs)
		}},
		{"unencodable record mid-batch", func(t *testing.T, s Store, recs []domain.Record) error {
			recs[3].(*domain.Achievement).Price = &domain.Range{Min: f64(math.NaN())}
			return s.PutMany(context.Background(), recs)
		}},
		{"unencodable single Put", func(t *testing.T, s Store, recs []domain.Record) error {
			recs[0].(*domain.Achievement).Price = &domain.Range{Min: f64(math.Inf(1))}
			_, err := s.Put(context.Background(), recs[0])
			return err
		}},
		{"closed store", func(t *testing.T, s Store, recs []domain.Record) error {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return s.PutMany(context.Background(), recs)
		}},
		{"closed store single Put", func(t *testing.T, s Store, recs []domain.Record) error {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			_, err := s.Put(context.Background(), recs[0])
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, where := open(t, b)
			must(t, errOf(s.Put(ctx, achievement("kept", 0))))
			// The batch replaces "kept" first, then creates new records, some with server ids.
			recs := []domain.Record{achievement("kept", 1)}
			for i := range 5 {
				id := ""
				if i%2 == 0 {
					id = fmt.Sprintf("new-%d", i)
				}
				recs = append(recs, achievement(id, i))
			}
			var metas []domain.Meta
			for _, r := range recs {
				metas = append(metas, *r.GetMeta())
			}

			if err := tt.write(t, s, recs); err == nil {
				t.Fatal("the write succeeded, want a failure")
			}
			for i, r := range recs {
				if got := *r.GetMeta(); got != metas[i] {
					t.Errorf("record %d meta after failed write = %+v, want it unchanged %+v", i, got, metas[i])
				}
			}

			_ = s.Close()
			s = b.Open(t, where)
			if n, err := s.Count(ctx, domain.Achievements); err != nil || n != 1 {
				t.Errorf("Count after failed write = %d, %v; want 1", n, err)
			}
			got, err := s.Get(ctx, domain.Achievements, "kept")
			if err != nil || got.GetMeta().Rev != 1 || got.(*domain.Achievement).Title != achievement("kept", 0).Title {
				t.Errorf("kept record after failed write = %+v, %v; want rev 1 unchanged", got, err)
			}
			if es := outboxAll(t, s); len(es) != 1 {
				t.Errorf("outbox after failed write has %d rows, want only the first put: %+v", len(es), es)
			}
			// The store takes writes again, and hands out the next seq.
			must(t, errOf(s.Put(ctx, achievement("after", 0))))
			if es := outboxAll(t, s); len(es) != 2 || es[1].Seq <= es[0].Seq {
				t.Errorf("outbox after a write that followed the failed one = %+v", es)
			}
		})
	}
}

func testPutManyDuplicateIDsInOneBatch(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	recs := []domain.Record{achievement("dup", 1), achievement("other", 1), achievement("dup", 2)}
	must(t, s.PutMany(ctx, recs))
	got, err := s.Get(ctx, domain.Achievements, "dup")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs[2]) || got.GetMeta().Rev != 2 {
		t.Fatalf("dup = %+v, want the later record with rev 2", got)
	}
	if len(outboxAll(t, s)) != 3 {
		t.Fatal("want an outbox row per record of the batch")
	}
}

// Many goroutines, in two processes, writing and reading at once: no write is refused or
// lost, every write gets its own outbox row and audit entry, and revs count every replace.
func testConcurrentWriters(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	stores := []Store{s, b.Open(t, where)}
	const (
		writers   = 16
		perWriter = 40
		shared    = 5 // ids every writer replaces
	)
	var g errgroup.Group
	for w := range writers {
		st := stores[w%2]
		g.Go(func() error {
			ctx := domain.WithActor(ctx, domain.Actor{Name: fmt.Sprintf("admin:writer-%d", w)})
			for i := range perWriter {
				var err error
				switch i % 4 {
				case 0:
					_, err = st.Put(ctx, achievement(fmt.Sprintf("shared-%d", i%shared), i))
				case 1:
					err = st.PutMany(ctx, []domain.Record{
						achievement(fmt.Sprintf("w%d-%d-a", w, i), i),
						demand(fmt.Sprintf("w%d-%d-d", w, i), "open", i),
					})
				case 2:
					_, err = st.Put(ctx, achievement(fmt.Sprintf("w%d-%d", w, i), i))
				case 3:
					err = st.Audit(ctx, "import", domain.Achievements, "", "a summary")
				}
				if err != nil {
					return fmt.Errorf("writer %d op %d: %w", w, i, err)
				}
			}
			return nil
		})
	}
	var readers sync.WaitGroup
	readErrs := make(chan error, 4)
	for r := range 4 {
		readers.Go(func() {
			for range 50 {
				if _, _, err := stores[r%2].List(ctx, domain.Achievements, 0, 20); err != nil {
					readErrs <- err
					return
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Fatalf("reader: %v", err)
	}

	opsPerWriter := perWriter / 4
	// Shared ids: each writer's case-0 ops touch i%shared for i = 0, 4, 8, ...
	wantShared := map[string]int64{}
	for i := 0; i < perWriter; i += 4 {
		wantShared[fmt.Sprintf("shared-%d", i%shared)] += writers
	}
	for id, rev := range wantShared {
		r, err := s.Get(ctx, domain.Achievements, id)
		if err != nil || r.GetMeta().Rev != rev {
			t.Errorf("%s: rev %v, err %v; want rev %d", id, r, err, rev)
		}
	}
	wantAch := len(wantShared) + writers*opsPerWriter*2
	if n, _ := s.Count(ctx, domain.Achievements); n != wantAch {
		t.Errorf("achievements = %d, want %d", n, wantAch)
	}
	es := outboxAll(t, s)
	if want := writers * opsPerWriter * 4; len(es) != want {
		t.Errorf("outbox rows = %d, want %d", len(es), want)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq <= es[i-1].Seq {
			t.Fatalf("outbox seq not increasing at %d: %d after %d", i, es[i].Seq, es[i-1].Seq)
		}
	}
	// Per four ops: a put, a put of two, a put and a summary.
	if _, total, err := s.AuditLog(ctx, domain.AuditFilter{}, 0, 1); err != nil || total != writers*opsPerWriter*5 {
		t.Errorf("audit log = %d entries, %v; want %d", total, err, writers*opsPerWriter*5)
	}
	if _, total, err := s.AuditLog(ctx, domain.AuditFilter{Subject: "writer-3"}, 0, 1); err != nil || total != opsPerWriter*5 {
		t.Errorf("writer-3's audit entries = %d, %v; want %d", total, err, opsPerWriter*5)
	}
}

func testReopenKeepsEverything(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	a := achievement("a", 1)
	must(t, errOf(s.Put(ctx, a)))
	p := &domain.Profile{Name: "default", Weights: map[string]float64{"text": 1}, Params: domain.DefaultParams()}
	must(t, s.PutProfile(ctx, p))
	must(t, s.Audit(domain.WithActor(ctx, domain.Actor{Name: "admin"}), "import", domain.Achievements, "", "accepted 1"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = b.Open(t, where)
	if got, err := s.Get(ctx, domain.Achievements, "a"); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("record after reopen = %+v, %v; want %+v", got, err, a)
	}
	if got, err := s.Profile(ctx, "default"); err != nil || got.Version != 1 || !got.CreatedAt.Equal(p.CreatedAt) {
		t.Errorf("profile after reopen = %+v, %v", got, err)
	}
	if log, _, err := s.AuditLog(ctx, domain.AuditFilter{}, 0, 10); err != nil || len(log) != 1 {
		t.Errorf("audit log after reopen = %+v, %v", log, err)
	}
	if es := outboxAll(t, s); len(es) != 1 {
		t.Errorf("outbox after reopen = %+v, want 1 entry", es)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

type entry struct {
	kind domain.Kind
	id   string
	op   string
}

func entries(es []domain.OutboxEntry) []entry {
	out := make([]entry, len(es))
	for i, e := range es {
		out[i] = entry{e.Kind, e.ID, e.Op}
	}
	return out
}

func testOutboxRecordsEveryWriteInOrder(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	if head, err := s.OutboxHead(ctx); err != nil || head != 0 {
		t.Fatalf("OutboxHead of a new store = %d, %v; want 0", head, err)
	}
	start := time.Now().UTC()
	must(t, errOf(s.Put(ctx, achievement("a1", 1))))
	must(t, s.PutMany(ctx, []domain.Record{demand("d1", "open", 1), achievement("a2", 2), achievement("a1", 3)}))
	must(t, s.Delete(ctx, domain.Achievements, "a2"))
	if err := s.Delete(ctx, domain.Achievements, "nope"); err == nil {
		t.Fatal("Delete of a missing record succeeded")
	}
	want := []entry{
		{domain.Achievements, "a1", "put"},
		{domain.Demands, "d1", "put"},
		{domain.Achievements, "a2", "put"},
		{domain.Achievements, "a1", "put"},
		{domain.Achievements, "a2", "delete"},
	}
	es := outboxAll(t, s)
	if got := entries(es); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Errorf("seq %d follows %d: want strictly increasing", e.Seq, es[i-1].Seq)
		}
		if e.At.Before(start) || e.At.Location() != time.UTC {
			t.Errorf("entry %d at %v: want UTC, not before %v", i, e.At, start)
		}
	}
	head, err := s.OutboxHead(ctx)
	if err != nil || head != es[len(es)-1].Seq {
		t.Fatalf("OutboxHead = %d, %v; want %d", head, err, es[len(es)-1].Seq)
	}

	// Paging: after a position, with a limit.
	page, err := s.OutboxAfter(ctx, es[1].Seq, 2)
	if err != nil || !slices.Equal(entries(page), want[2:4]) {
		t.Fatalf("OutboxAfter(%d, 2) = %v, %v; want %v", es[1].Seq, entries(page), err, want[2:4])
	}
	if page, err := s.OutboxAfter(ctx, head, 10); err != nil || len(page) != 0 {
		t.Fatalf("OutboxAfter(head) = %v, %v; want nothing", page, err)
	}
	// The records' updated_at follows the outbox order.
	a1, err := s.Get(ctx, domain.Achievements, "a1")
	if err != nil || a1.GetMeta().UpdatedAt.Before(es[0].At) {
		t.Fatalf("a1 = %+v, %v; want updated after its first put at %v", a1, err, es[0].At)
	}
}

func testPruneOutboxNeverReusesSeq(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	for _, id := range []string{"a", "b", "c", "d"} {
		must(t, errOf(s.Put(ctx, achievement(id, 0))))
	}
	es := outboxAll(t, s)
	n, err := s.PruneApplied(ctx, es[1].Seq, time.Now().Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneApplied(%d) = %d, %v; want 2", es[1].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[2:])) {
		t.Fatalf("after prune outbox = %v, want %v", got, entries(es[2:]))
	}
	head := es[3].Seq
	if n, err := s.PruneApplied(ctx, head, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("PruneApplied(head) = %d, %v; want 2", n, err)
	}
	if h, err := s.OutboxHead(ctx); err != nil || h != head {
		t.Fatalf("OutboxHead after pruning everything = %d, %v; want %d (the head stays)", h, err, head)
	}

	// Across a reopen, the next write still gets a new seq.
	_ = s.Close()
	s = b.Open(t, where)
	must(t, s.Delete(ctx, domain.Achievements, "a"))
	es = outboxAll(t, s)
	if len(es) != 1 || es[0].Seq != head+1 || es[0].Op != "delete" {
		t.Fatalf("outbox after reopen = %+v, want one delete with seq %d", es, head+1)
	}
}

// PruneApplied deletes only what every reader is done with: rows up to the caller's bound, no
// further than any consumer's position, and only those written before the cut-off.
func testPruneAppliedKeepsWhatAReaderStillNeeds(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		must(t, errOf(s.Put(ctx, achievement(id, 0))))
	}
	es := outboxAll(t, s)
	later := time.Now().Add(time.Hour)

	// Written after the cut-off: kept, however far the readers are.
	if n, err := s.PruneApplied(ctx, es[4].Seq, es[0].At); err != nil || n != 0 {
		t.Fatalf("PruneApplied before the first write = %d, %v; want 0", n, err)
	}
	// No consumer yet: the caller's bound (the index) decides.
	if n, err := s.PruneApplied(ctx, es[0].Seq, later); err != nil || n != 1 {
		t.Fatalf("PruneApplied(%d) = %d, %v; want 1", es[0].Seq, n, err)
	}
	// A consumer behind the index holds the rows it has not read.
	if pos, err := s.ConsumerPosition(ctx, "worklist"); err != nil || pos != 0 {
		t.Fatalf("ConsumerPosition before the first run = %d, %v; want 0", pos, err)
	}
	must(t, s.SetConsumerPosition(ctx, "worklist", es[2].Seq))
	if pos, err := s.ConsumerPosition(ctx, "worklist"); err != nil || pos != es[2].Seq {
		t.Fatalf("ConsumerPosition = %d, %v; want %d", pos, err, es[2].Seq)
	}
	if n, err := s.PruneApplied(ctx, es[4].Seq, later); err != nil || n != 2 {
		t.Fatalf("PruneApplied with a consumer at %d = %d, %v; want 2", es[2].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[3:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[3:]))
	}
	// The index behind the consumer holds them too.
	must(t, s.SetConsumerPosition(ctx, "worklist", es[4].Seq))
	if n, err := s.PruneApplied(ctx, es[3].Seq, later); err != nil || n != 1 {
		t.Fatalf("PruneApplied(%d) = %d, %v; want 1", es[3].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[4:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[4:]))
	}
}
