package store_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

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

func TestOutboxRecordsEveryWriteInOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	if head, err := s.OutboxHead(ctx); err != nil || head != 0 {
		t.Fatalf("OutboxHead of a new store = %d, %v; want 0", head, err)
	}
	start := time.Now().UTC()
	if _, err := s.Put(ctx, achievement("a1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(ctx, []domain.Record{demand("d1", "open", 1), achievement("a2", 2), achievement("a1", 3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, domain.Achievements, "a2"); err != nil {
		t.Fatal(err)
	}
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
}

func TestPruneOutboxNeverReusesSeq(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	for _, id := range []string{"a", "b", "c", "d"} {
		if _, err := s.Put(ctx, achievement(id, 0)); err != nil {
			t.Fatal(err)
		}
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
	s = openAt(t, path)
	if err := s.Delete(ctx, domain.Achievements, "a"); err != nil {
		t.Fatal(err)
	}
	es = outboxAll(t, s)
	if len(es) != 1 || es[0].Seq != head+1 || es[0].Op != "delete" {
		t.Fatalf("outbox after reopen = %+v, want one delete with seq %d", es, head+1)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	a := achievement("a", 1)
	if _, err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	p := &domain.Profile{Name: "default", Weights: map[string]float64{"text": 1}, Params: domain.DefaultParams()}
	if err := s.PutProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(domain.WithActor(ctx, domain.Actor{Name: "admin"}), "import", domain.Achievements, "", "accepted 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openAt(t, path)
	if got, err := s.Get(ctx, domain.Achievements, "a"); err != nil || got.GetMeta().Rev != 1 || got.(*domain.Achievement).Title != a.Title {
		t.Errorf("record after reopen = %+v, %v", got, err)
	}
	if got, err := s.Profile(ctx, "default"); err != nil || got.Version != 1 {
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

func TestOpenChecksSchemaVersion(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != store.SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, store.SchemaVersion)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v, want a refusal", err)
	}
}

// PruneApplied deletes only what every reader is done with: rows up to the caller's bound, no
// further than any consumer's position, and only those written before the cut-off.
func TestPruneAppliedKeepsWhatAReaderStillNeeds(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if _, err := s.Put(ctx, achievement(id, 0)); err != nil {
			t.Fatal(err)
		}
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
	if err := s.SetConsumerPosition(ctx, "worklist", es[2].Seq); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneApplied(ctx, es[4].Seq, later); err != nil || n != 2 {
		t.Fatalf("PruneApplied with a consumer at %d = %d, %v; want 2", es[2].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[3:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[3:]))
	}
	// The index behind the consumer holds them too.
	if err := s.SetConsumerPosition(ctx, "worklist", es[4].Seq); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneApplied(ctx, es[3].Seq, later); err != nil || n != 1 {
		t.Fatalf("PruneApplied(%d) = %d, %v; want 1", es[3].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[4:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[4:]))
	}
}
