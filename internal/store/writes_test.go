package store_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// TestFailedWritesLeaveNoTrace: a write that fails part-way leaves neither records nor
// outbox rows, also when looked at through a fresh handle, and hands back the caller's meta unchanged.
func TestFailedWritesLeaveNoTrace(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, s *store.Store, recs []domain.Record) error
	}{
		{"context cancelled before", func(t *testing.T, s *store.Store, recs []domain.Record) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return s.PutMany(ctx, recs)
		}},
		{"context cancelled mid-batch", func(t *testing.T, s *store.Store, recs []domain.Record) error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			recs[2] = cancelling{Achievement: recs[2].(*domain.Achievement), cancel: cancel}
			return s.PutMany(ctx, recs)
		}},
		{"unencodable record mid-batch", func(t *testing.T, s *store.Store, recs []domain.Record) error {
			recs[3].(*domain.Achievement).Price = &domain.Range{Min: f64(math.NaN())}
			return s.PutMany(context.Background(), recs)
		}},
		{"unencodable single Put", func(t *testing.T, s *store.Store, recs []domain.Record) error {
			recs[0].(*domain.Achievement).Price = &domain.Range{Min: f64(math.Inf(1))}
			_, err := s.Put(context.Background(), recs[0])
			return err
		}},
		{"closed store", func(t *testing.T, s *store.Store, recs []domain.Record) error {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return s.PutMany(context.Background(), recs)
		}},
		{"closed store single Put", func(t *testing.T, s *store.Store, recs []domain.Record) error {
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
			s, path := openStore(t)
			if _, err := s.Put(ctx, achievement("kept", 0)); err != nil {
				t.Fatal(err)
			}
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

			err := tt.write(t, s, recs)
			if err == nil {
				t.Fatalf("write error = %v, want a failure", err)
			}
			for i, r := range recs {
				if got := *r.GetMeta(); got != metas[i] {
					t.Errorf("record %d meta after failed write = %+v, want it unchanged %+v", i, got, metas[i])
				}
			}

			_ = s.Close()
			s = openAt(t, path)
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
		})
	}
}

func TestPutManyDuplicateIDsInOneBatch(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	recs := []domain.Record{achievement("dup", 1), achievement("other", 1), achievement("dup", 2)}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, domain.Achievements, "dup")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs[2]) || got.GetMeta().Rev != 2 {
		t.Fatalf("dup = %+v, want the later record with rev 2", got)
	}
}

// TestConcurrentWriters: many goroutines writing and reading at once never see SQLITE_BUSY,
// every write gets its own outbox row and audit entry, and revs count every replace.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	const (
		writers   = 16
		perWriter = 40
		shared    = 5 // ids every writer replaces
	)
	var g errgroup.Group
	for w := range writers {
		g.Go(func() error {
			ctx := domain.WithActor(ctx, domain.Actor{Name: fmt.Sprintf("admin:writer-%d", w)})
			for i := range perWriter {
				var err error
				switch i % 4 {
				case 0:
					_, err = s.Put(ctx, achievement(fmt.Sprintf("shared-%d", i%shared), i))
				case 1:
					err = s.PutMany(ctx, []domain.Record{
						achievement(fmt.Sprintf("w%d-%d-a", w, i), i),
						demand(fmt.Sprintf("w%d-%d-d", w, i), "open", i),
					})
				case 2:
					_, err = s.Put(ctx, achievement(fmt.Sprintf("w%d-%d", w, i), i))
				case 3:
					err = s.Audit(ctx, "import", domain.Achievements, "", "a summary")
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
	for range 4 {
		readers.Go(func() {
			for range 50 {
				if _, _, err := s.List(ctx, domain.Achievements, 0, 20); err != nil {
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
