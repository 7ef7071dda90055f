package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// auditOf lists every audit entry, oldest first.
func auditOf(t *testing.T, s *store.Store, f domain.AuditFilter) []domain.AuditEntry {
	t.Helper()
	es, total, err := s.AuditLog(context.Background(), f, 0, 1000)
	if err != nil || total != len(es) {
		t.Fatalf("AuditLog(%+v) = %d of %d entries, %v", f, len(es), total, err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// TestEveryWriteWithAnActorIsAudited: each kind of write made with an actor writes one audit
// entry naming the actor, the request, the action and the object; the same writes without an
// actor write none; a write that is refused writes none.
func TestEveryWriteWithAnActorIsAudited(t *testing.T) {
	s, _ := openStore(t)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin", RequestID: "req-1"})
	ent := domain.WithActor(context.Background(), domain.Actor{Name: "enterprise:厦门某储能科技有限公司0", RequestID: "req-2"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Put(ctx, achievement("a1", 1))
	must(err)
	_, err = s.Put(ctx, achievement("a1", 2))
	must(err)
	must(s.PutMany(ctx, []domain.Record{achievement("a2", 1), achievement("a1", 3)}))
	d := demand("", "open", 0)
	_, err = s.PutAs(ent, d, "厦门某储能科技有限公司0")
	must(err)
	if _, err := s.PutAs(ent, demand("dem-nobody", "open", 0), "厦门某储能科技有限公司0"); !errors.Is(err, domain.ErrNotOwner) {
		t.Fatalf("PutAs of an unknown id = %v, want ErrNotOwner", err)
	}
	_, err = s.PutAgent(ctx, &domain.Agent{ID: "agt-1", Name: "王经纪"})
	must(err)
	saved, err := s.SaveMatches(context.Background(), domain.MatchBatch{Demand: d, AgentID: "agt-1",
		Entries: []*domain.MatchEntry{{SupplyKind: domain.Achievements, SupplyID: "a1", Score: 0.9}}})
	must(err)
	_, err = s.UpdateEntry(domain.WithActor(context.Background(), domain.Actor{Name: "agent:agt-1"}), saved[0].ID, func(e *domain.MatchEntry) error {
		e.Status, e.Reason = domain.StatusRejected, "price"
		return nil
	})
	must(err)
	must(s.PutProfile(ctx, &domain.Profile{Name: "default", Weights: map[string]float64{"text": 1}, Params: domain.DefaultParams(), Note: "first"}))
	must(s.CreateKey(ctx, &domain.APIKey{ID: "key-1", Role: "agent", Subject: "agt-1", CreatedBy: "admin"}, digest("k1")))
	must(s.RevokeKey(ctx, "key-1"))
	must(s.Delete(ent, domain.Demands, d.ID))
	must(s.DeleteAgent(ctx, "agt-1"))
	must(s.Delete(ctx, domain.Achievements, "a2"))

	// Without an actor, nothing is audited.
	_, err = s.Put(context.Background(), achievement("quiet", 1))
	must(err)
	must(s.Delete(context.Background(), domain.Achievements, "quiet"))

	type row struct{ actor, action, kind, id, detail string }
	want := []row{
		{"admin", "create", "achievements", "a1", ""},
		{"admin", "replace", "achievements", "a1", ""},
		{"admin", "create", "achievements", "a2", "import"},
		{"admin", "replace", "achievements", "a1", "import"},
		{"enterprise:厦门某储能科技有限公司0", "create", "demands", d.ID, ""},
		{"admin", "create", "agents", "agt-1", ""},
		{"agent:agt-1", "match:rejected", "matches", saved[0].ID, "price"},
		{"admin", "profile", "profiles", "default", "version 1: first"},
		{"admin", "create_key", "keys", "key-1", "agent:agt-1"},
		{"admin", "revoke_key", "keys", "key-1", ""},
		{"enterprise:厦门某储能科技有限公司0", "delete", "demands", d.ID, ""},
		{"admin", "delete", "agents", "agt-1", ""},
		{"admin", "delete", "achievements", "a2", ""},
	}
	got := auditOf(t, s, domain.AuditFilter{})
	if len(got) != len(want) {
		t.Fatalf("audit log has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		if g := (row{e.Actor, e.Action, string(e.Kind), e.ID, e.Detail}); g != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, g, want[i])
		}
		if e.At.IsZero() || (i > 0 && e.Seq <= got[i-1].Seq) {
			t.Errorf("entry %d: at %v, seq %d after %d", i, e.At, e.Seq, got[max(i-1, 0)].Seq)
		}
	}
	if got[0].RequestID != "req-1" || got[4].RequestID != "req-2" {
		t.Errorf("request ids = %q, %q; want req-1, req-2", got[0].RequestID, got[4].RequestID)
	}
}

// TestAuditAndWriteCommitTogether: when the audit entry cannot be written, the write it
// describes does not happen either, for a single record, a batch and a delete; once the
// audit table takes rows again, the same writes succeed with their entries.
func TestAuditAndWriteCommitTogether(t *testing.T) {
	s, path := openStore(t)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	if _, err := s.Put(ctx, achievement("kept", 1)); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)

	if _, err := s.Put(ctx, achievement("lost", 1)); err == nil {
		t.Error("Put succeeded although its audit entry was refused")
	}
	if err := s.PutMany(ctx, []domain.Record{achievement("b1", 1), achievement("b2", 1)}); err == nil {
		t.Error("PutMany succeeded although its audit entries were refused")
	}
	if err := s.Delete(ctx, domain.Achievements, "kept"); err == nil {
		t.Error("Delete succeeded although its audit entry was refused")
	}
	for _, id := range []string{"lost", "b1", "b2"} {
		if _, err := s.Get(context.Background(), domain.Achievements, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: Get = %v; the write whose audit failed was kept", id, err)
		}
	}
	if _, err := s.Get(context.Background(), domain.Achievements, "kept"); err != nil {
		t.Errorf("kept: %v; the delete whose audit failed removed it", err)
	}
	if es := outboxAll(t, s); len(es) != 1 {
		t.Errorf("outbox = %d rows, want the first put's only", len(es))
	}

	exec(`DROP TRIGGER refuse_audit`)
	if err := s.PutMany(ctx, []domain.Record{achievement("b1", 1), achievement("b2", 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, domain.Achievements, "kept"); err != nil {
		t.Fatal(err)
	}
	if got := auditOf(t, s, domain.AuditFilter{}); len(got) != 4 {
		t.Errorf("audit log = %+v, want 4 entries (create kept, import b1 b2, delete kept)", got)
	}
}

// TestAuditLogFilters: entries are selected by subject (whole actor or its subject part),
// kind and id, and time, newest first, paged, with the total of the selection.
func TestAuditLogFilters(t *testing.T) {
	s, _ := openStore(t)
	bg := context.Background()
	for i, actor := range []string{"admin", "agent:agt-1", "admin", "agent:agt-10", "admin"} {
		ctx := domain.WithActor(bg, domain.Actor{Name: actor})
		if _, err := s.Put(ctx, achievement(fmt.Sprintf("a%d", i%2), i)); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(f domain.AuditFilter) []string {
		t.Helper()
		var out []string
		for _, e := range auditOf(t, s, f) {
			out = append(out, e.Actor+"/"+e.ID)
		}
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("subject admin", ids(domain.AuditFilter{Subject: "admin"}), "admin/a0", "admin/a0", "admin/a0")
	check("subject agt-1", ids(domain.AuditFilter{Subject: "agt-1"}), "agent:agt-1/a1")
	check("subject agent:agt-10", ids(domain.AuditFilter{Subject: "agent:agt-10"}), "agent:agt-10/a1")
	check("record a1", ids(domain.AuditFilter{Kind: domain.Achievements, ID: "a1"}), "agent:agt-1/a1", "agent:agt-10/a1")
	check("other kind", ids(domain.AuditFilter{Kind: domain.Patents, ID: "a1"}))
	check("future", ids(domain.AuditFilter{From: time.Now().Add(time.Hour)}))
	check("past", ids(domain.AuditFilter{To: time.Now().Add(-time.Hour)}))
	if n := len(ids(domain.AuditFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})); n != 5 {
		t.Errorf("this hour's entries = %d, want 5", n)
	}

	page, total, err := s.AuditLog(bg, domain.AuditFilter{}, 1, 2)
	if err != nil || total != 5 || len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 3 {
		t.Errorf("AuditLog(offset 1, limit 2) = %+v of %d, %v; want seqs 4, 3 of 5", page, total, err)
	}
}

// undoAuditTrail takes a database back from schema version 5 to 4.
var undoAuditTrail = []string{
	`DROP INDEX audit_by_object`, `DROP INDEX audit_by_actor`, `DROP INDEX audit_by_time`,
	`ALTER TABLE audit DROP COLUMN request_id`, `PRAGMA user_version = 4`,
}

// A database of schema version 4 keeps its audit log through the migration, and its profile
// entries, which had no kind, get theirs.
func TestAuditTrailMigration(t *testing.T) {
	s, path := openStore(t)
	if _, err := s.Put(domain.WithActor(context.Background(), domain.Actor{Name: "admin", RequestID: "r1"}), achievement("a1", 1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(slices.Concat(undoChallenges, undoAuditTrail),
		`INSERT INTO audit (at, actor, action, kind, id, detail) VALUES (1, 'admin', 'profile', '', 'default', 'version 1: ')`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s = openAt(t, path)
	got := auditOf(t, s, domain.AuditFilter{})
	if len(got) != 2 || got[0].ID != "a1" || got[0].RequestID != "" || got[1].Kind != domain.AuditProfiles {
		t.Fatalf("audit log after the migration = %+v; want a1's entry and the profile's, of kind profiles", got)
	}
}

// TestFullStorageIsUnavailable: a write the database has no room for fails wrapping
// domain.ErrUnavailable (the API's 503), takes nothing with it, and works again once there is
// room; the store, not its callers, tells such faults from others.
func TestFullStorageIsUnavailable(t *testing.T) {
	s, _ := openStore(t)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	if _, err := s.Put(ctx, achievement("a0", 0)); err != nil {
		t.Fatal(err)
	}
	// No page beyond the ones in use: the next write that needs a page is SQLITE_FULL.
	if err := store.ExecWrite(s, `PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	recs := make([]domain.Record, 50)
	for i := range recs {
		recs[i] = achievement(fmt.Sprintf("big-%d", i), i)
	}
	err := s.PutMany(ctx, recs)
	if !errors.Is(err, domain.ErrUnavailable) || domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("PutMany into a full database = %v, want it to wrap domain.ErrUnavailable", err)
	}
	if n, _ := s.Count(context.Background(), domain.Achievements); n != 1 {
		t.Errorf("achievements after the refused batch = %d, want 1", n)
	}
	if _, err := s.Get(context.Background(), domain.Achievements, "missing"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Get of a missing record = %v, want not_found, not unavailable", err)
	}
	if err := store.ExecWrite(s, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatalf("PutMany once there is room: %v", err)
	}
}
