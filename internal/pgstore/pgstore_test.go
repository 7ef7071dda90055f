package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

func TestMain(m *testing.M) { os.Exit(testpg.Run(m)) }

func open(t testing.TB, url string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func achievement(id string, n int) *domain.Achievement {
	a := &domain.Achievement{Supply: domain.Supply{
		Meta:  domain.Meta{ID: id},
		Title: fmt.Sprintf("高镍三元正极材料低成本制备技术 %d", n),
	}}
	if err := a.Validate(); err != nil {
		panic(err)
	}
	return a
}

// Open migrates a new database to SchemaVersion, leaves a current one as it is, and refuses
// one that a newer program has migrated further; replicas starting at once migrate it once.
func TestOpenMigratesAndRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	url := testpg.New(t)
	var g errgroup.Group
	for range 3 {
		g.Go(func() error {
			s, err := pgstore.Open(ctx, url)
			if err != nil {
				return err
			}
			return s.Close()
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Open of three processes at once: %v", err)
	}
	s := open(t, url)
	if _, err := s.Put(ctx, achievement("a1", 1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = open(t, url)
	if n, err := s.Count(ctx, domain.Achievements); err != nil || n != 1 {
		t.Fatalf("Count after reopening = %d, %v; want 1", n, err)
	}
	_ = s.Close()

	testpg.Exec(t, url, fmt.Sprintf(`INSERT INTO schema_migrations (version, applied_at) VALUES (%d, 0)`, pgstore.SchemaVersion+1))
	if _, err := pgstore.Open(ctx, url); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v, want a refusal", err)
	}
}

func TestOpenOfNoDatabaseIsUnavailable(t *testing.T) {
	url := testpg.New(t)
	restore := testpg.Refuse(t, url)
	defer restore()
	_, err := pgstore.Open(context.Background(), url)
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Open of a database that refuses connections = %v, want domain.ErrUnavailable", err)
	}
	if _, err := pgstore.Open(context.Background(), "postgres://a b"); err == nil {
		t.Fatal("Open of a malformed URL succeeded")
	}
}

// A consumer that reads the outbox from its position while writers in two processes commit
// never finds a row after one with a higher seq: seqs become visible in their order, with no
// gaps, so "seq > position" misses nothing.
func TestOutboxSeqsBecomeVisibleInOrder(t *testing.T) {
	ctx := context.Background()
	url := testpg.New(t)
	writers := []*pgstore.Store{open(t, url), open(t, url)}
	reader := open(t, url)
	const perWriter = 60
	var (
		g    errgroup.Group
		done = make(chan struct{})
	)
	for w := range 4 {
		st := writers[w%2]
		g.Go(func() error {
			for i := range perWriter {
				var err error
				if i%3 == 0 {
					err = st.PutMany(ctx, []domain.Record{achievement(fmt.Sprintf("w%d-%d-a", w, i), i), achievement(fmt.Sprintf("w%d-%d-b", w, i), i)})
				} else {
					_, err = st.Put(ctx, achievement(fmt.Sprintf("w%d-%d", w, i%7), i))
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	var (
		readErr error
		seen    []uint64
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		var pos uint64
		for last := false; ; {
			select {
			case <-done:
				last = true // one more read after the writers are done, to see the rest
			default:
			}
			es, err := reader.OutboxAfter(ctx, pos, 7)
			if err != nil {
				readErr = err
				return
			}
			for _, e := range es {
				if e.Seq != pos+1 {
					readErr = fmt.Errorf("after seq %d the outbox showed %d", pos, e.Seq)
					return
				}
				pos = e.Seq
				seen = append(seen, e.Seq)
			}
			if len(es) == 0 {
				if last {
					return
				}
				time.Sleep(time.Millisecond) // not to spin while the writers work
			}
		}
	})
	err := g.Wait()
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if readErr != nil {
		t.Fatal(readErr)
	}
	head, err := reader.OutboxHead(ctx)
	if want := 4 * (perWriter/3*2 + perWriter*2/3); err != nil || head != uint64(want) || len(seen) != want {
		t.Fatalf("head %d (%v), read %d rows; want %d of each", head, err, len(seen), want)
	}
}

func demand(id, status string) *domain.Demand {
	d := &domain.Demand{
		Meta:        domain.Meta{ID: id},
		Title:       "储能电池热失控预警",
		Description: "需要一种低成本的电池热失控早期预警方案，可在产线上批量部署。",
		Region:      "350200",
		Enterprise:  "厦门某储能科技有限公司",
		Status:      status,
	}
	if err := d.Validate(); err != nil {
		panic(err)
	}
	return d
}

// A database of schema version 1 gets its demands' due dates, which the sweep needs, and its
// closed demands their reason, and keeps what else their bodies say.
func TestChallengesMigration(t *testing.T) {
	ctx := context.Background()
	url := testpg.New(t)
	s := open(t, url)
	lapsed := demand("c-1", "open")
	lapsed.Deadline = "2000-06-30"
	lapsed.Challenge = &domain.Challenge{Deadline: "2000-01-01"}
	later := demand("d-later", "open")
	later.Deadline = "2000-02-01"
	shut := demand("d-shut", "closed")
	for _, d := range []*domain.Demand{lapsed, later, shut, demand("d-none", "open")} {
		if _, err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	testpg.Exec(t, url, undoV3)
	testpg.Exec(t, url, `DROP TABLE takeups; DROP INDEX records_due; ALTER TABLE records DROP COLUMN due;
		UPDATE records SET body = (body::jsonb - 'closed_reason')::text;
		DELETE FROM schema_migrations WHERE version = 2`)

	s = open(t, url)
	// 2000-01-15 in Beijing: c-1's challenge deadline has passed, d-later's not.
	got, err := s.CloseLapsed(ctx, time.Date(2000, 1, 15, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(got, []string{"c-1"}) {
		t.Errorf("swept after the migration: %v, %v; want c-1", got, err)
	}
	got, err = s.CloseLapsed(ctx, time.Date(2000, 7, 15, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(got, []string{"d-later"}) {
		t.Errorf("swept in July: %v, %v; want d-later", got, err)
	}
	rec, err := s.Get(ctx, domain.Demands, "d-shut")
	if d, _ := rec.(*domain.Demand); err != nil || d.ClosedReason != domain.ClosedManually || d.Title != shut.Title || d.Rev != 1 {
		t.Errorf("d-shut after the migration: %+v, %v; want closed_reason manual, the rest as it was", rec, err)
	}
	rec, err = s.Get(ctx, domain.Demands, "d-none")
	if d, _ := rec.(*domain.Demand); err != nil || d.ClosedReason != "" || d.Status != "open" {
		t.Errorf("d-none after the migration: %+v, %v", rec, err)
	}
}
