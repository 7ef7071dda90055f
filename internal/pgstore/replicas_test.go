package pgstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// undoV3 takes a database back from schema version 3 to 2.
const undoV3 = `DROP TRIGGER outbox_notify ON outbox; DROP TRIGGER profiles_notify ON profiles;
	DROP TRIGGER deliveries_notify ON webhook_deliveries; DROP FUNCTION techmatch_notify();
	ALTER TABLE consumers DROP COLUMN seen_at; DELETE FROM schema_migrations WHERE version = 3`

// A database of schema version 2 keeps its consumers' positions through the migration.
func TestReplicasMigration(t *testing.T) {
	ctx := context.Background()
	url := testpg.New(t)
	s := open(t, url)
	if err := s.SetConsumerPosition(ctx, "worklist", 7); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	testpg.Exec(t, url, undoV3)
	s = open(t, url)
	if pos, err := s.ConsumerPosition(ctx, "worklist"); err != nil || pos != 7 {
		t.Fatalf("worklist position after the migration = %d, %v; want 7", pos, err)
	}
}

// Two processes (two stores on one database) run one job: only one runs it at a time, and when
// it stops, or its database connection is cut, the other takes it over.
func TestExclusiveRunsAJobOnOneProcessAtATime(t *testing.T) {
	url := testpg.New(t)
	stores := []*pgstore.Store{open(t, url), open(t, url)}
	var running, overlaps atomic.Int32
	started := make(chan int, 8)
	ctxs := make([]context.Context, 2)
	cancels := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i, s := range stores {
		ctxs[i], cancels[i] = context.WithCancel(context.Background())
		wg.Go(func() {
			s.Exclusive(ctxs[i], "worklist", func(ctx context.Context) {
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				started <- i
				<-ctx.Done()
				running.Add(-1)
			})
		})
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()
	first := waitStart(t, started)
	// The other keeps trying: give it a few chances to take the job while the first holds it.
	time.Sleep(3 * time.Second)
	if n := len(started); n != 0 {
		t.Fatalf("the job started %d more times while process %d held it", n, first)
	}
	cancels[first]() // the first process stops
	second := waitStart(t, started)
	if second == first {
		t.Fatalf("process %d took the job again after it stopped", first)
	}
	// A cut connection frees the job too, as a killed process's does.
	testpg.Exec(t, url, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted`)
	ctxs[first], cancels[first] = context.WithCancel(context.Background())
	wg.Go(func() {
		stores[first].Exclusive(ctxs[first], "worklist", func(ctx context.Context) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			started <- first
			<-ctx.Done()
			running.Add(-1)
		})
	})
	waitStart(t, started)
	if n := overlaps.Load(); n > 0 {
		t.Fatalf("the job ran on both processes at once %d times", n)
	}
}

func waitStart(t *testing.T, started <-chan int) int {
	t.Helper()
	select {
	case i := <-started:
		return i
	case <-time.After(30 * time.Second):
		t.Fatal("no process took the job")
		return -1
	}
}

// Listen hears what any process commits: records (outbox), profiles and webhook deliveries,
// once per transaction; it starts with TopicAll, and returns when its connection is cut, so
// that the caller listens again and catches up.
func TestListenHearsOtherProcessesCommits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testpg.New(t)
	listener, writer := open(t, url), open(t, url)
	heard := make(chan string, 64)
	ended := make(chan error, 1)
	go func() { ended <- listener.Listen(ctx, func(topic string) { heard <- topic }) }()
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-heard:
			if got != want {
				t.Fatalf("heard %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("heard nothing, want %q", want)
		}
	}
	expect(pgstore.TopicAll)
	recs := []domain.Record{achievement("a-1", 1), achievement("a-2", 2), achievement("a-3", 3)}
	if err := writer.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	expect(pgstore.TopicOutbox) // three rows, one transaction: one notification
	if err := writer.PutProfile(ctx, &domain.Profile{Name: "p", Weights: map[string]float64{"text": 1}}); err != nil {
		t.Fatal(err)
	}
	expect(pgstore.TopicProfiles)
	if _, err := writer.PutAgent(ctx, &domain.Agent{ID: "ag", Name: "经纪人", WebhookURL: "https://example.com/hook"}); err != nil {
		t.Fatal(err)
	}
	d := &domain.Demand{Meta: domain.Meta{ID: "d-1"}, Title: "寻求高镍正极材料技术", Enterprise: "某公司"}
	if _, err := writer.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	expect(pgstore.TopicOutbox)
	_, err := writer.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "ag",
		Entries: []*domain.MatchEntry{{DemandTitle: d.Title, SupplyKind: domain.Achievements, SupplyID: "a-1", Score: 0.9}},
		Alert: func(agent string, assigned []*domain.MatchEntry) (*domain.Delivery, error) {
			return &domain.Delivery{AgentID: agent, URL: "https://example.com/hook", Event: "matches.assigned", Body: []byte(`{}`)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	expect(pgstore.TopicDeliveries)
	select {
	case got := <-heard:
		t.Fatalf("heard %q after the last write", got)
	case <-time.After(300 * time.Millisecond):
	}

	restore := testpg.Refuse(t, url)
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("Listen returned nil on a cut connection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return when its connection was cut")
	}
	restore()
	cancel()
}
