package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Each kind of write made with an actor writes one audit entry naming the actor, the request,
// the action and the object; the same writes without an actor write none; a write that is
// refused writes none.
func testEveryWriteWithAnActorIsAudited(t *testing.T, b Backend) {
	s, _ := open(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin", RequestID: "req-1"})
	ent := domain.WithActor(context.Background(), domain.Actor{Name: "enterprise:厦门某储能科技有限公司0", RequestID: "req-2"})
	must(t, errOf(s.Put(ctx, achievement("a1", 1))))
	must(t, errOf(s.Put(ctx, achievement("a1", 2))))
	must(t, s.PutMany(ctx, []domain.Record{achievement("a2", 1), achievement("a1", 3)}))
	d := demand("", "open", 0)
	must(t, errOf(s.PutAs(ent, d, "厦门某储能科技有限公司0")))
	if _, err := s.PutAs(ent, demand("dem-nobody", "open", 0), "厦门某储能科技有限公司0"); !errors.Is(err, domain.ErrNotOwner) {
		t.Fatalf("PutAs of an unknown id = %v, want ErrNotOwner", err)
	}
	must(t, errOf(s.PutAgent(ctx, &domain.Agent{ID: "agt-1", Name: "王经纪"})))
	saved, err := s.SaveMatches(context.Background(), domain.MatchBatch{Demand: d, AgentID: "agt-1",
		Entries: []*domain.MatchEntry{{SupplyKind: domain.Achievements, SupplyID: "a1", Score: 0.9}}})
	must(t, err)
	must(t, errOf(s.UpdateEntry(domain.WithActor(context.Background(), domain.Actor{Name: "agent:agt-1"}), saved[0].ID, func(e *domain.MatchEntry) error {
		e.Status, e.Reason = domain.StatusRejected, "price"
		return nil
	})))
	must(t, s.PutProfile(ctx, &domain.Profile{Name: "default", Weights: map[string]float64{"text": 1}, Params: domain.DefaultParams(), Note: "first"}))
	must(t, s.CreateKey(ctx, &domain.APIKey{ID: "key-1", Role: "agent", Subject: "agt-1", CreatedBy: "admin"}, digest("k1")))
	must(t, s.RevokeKey(ctx, "key-1"))
	must(t, s.Delete(ent, domain.Demands, d.ID))
	must(t, s.DeleteAgent(ctx, "agt-1"))
	must(t, s.Delete(ctx, domain.Achievements, "a2"))

	// Without an actor, nothing is audited; Audit itself wants one.
	must(t, errOf(s.Put(context.Background(), achievement("quiet", 1))))
	must(t, s.Delete(context.Background(), domain.Achievements, "quiet"))
	if err := s.Audit(context.Background(), "import", domain.Achievements, "", "no one"); err == nil {
		t.Error("Audit without an actor succeeded")
	}

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
		{"admin", "delete", "agents", "agt-1", ""}, // its one entry was rejected: nothing open to unassign
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
		if e.At.IsZero() || e.At.Location() != time.UTC || (i > 0 && e.Seq <= got[i-1].Seq) {
			t.Errorf("entry %d: at %v, seq %d after %d", i, e.At, e.Seq, got[max(i-1, 0)].Seq)
		}
	}
	if got[0].RequestID != "req-1" || got[4].RequestID != "req-2" {
		t.Errorf("request ids = %q, %q; want req-1, req-2", got[0].RequestID, got[4].RequestID)
	}
}

// When the audit entry cannot be written, the write it describes does not happen either, for
// a single record, a batch and a delete; once audit entries are taken again, the same writes
// succeed with their entries.
func testAuditAndWriteCommitTogether(t *testing.T, b Backend) {
	s, where := open(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	must(t, errOf(s.Put(ctx, achievement("kept", 1))))
	allow := b.RefuseAudit(t, where)

	if _, err := s.Put(ctx, achievement("lost", 1)); err == nil {
		t.Error("Put succeeded although its audit entry was refused")
	}
	if err := s.PutMany(ctx, []domain.Record{achievement("b1", 1), achievement("b2", 1)}); err == nil {
		t.Error("PutMany succeeded although its audit entries were refused")
	}
	if err := s.Delete(ctx, domain.Achievements, "kept"); err == nil {
		t.Error("Delete succeeded although its audit entry was refused")
	}
	if err := s.PutProfile(ctx, profile("default", 1, "")); err == nil {
		t.Error("PutProfile succeeded although its audit entry was refused")
	}
	for _, id := range []string{"lost", "b1", "b2"} {
		if _, err := s.Get(context.Background(), domain.Achievements, id); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: Get = %v; the write whose audit failed was kept", id, err)
		}
	}
	if _, err := s.Get(context.Background(), domain.Achievements, "kept"); err != nil {
		t.Errorf("kept: %v; the delete whose audit failed removed it", err)
	}
	if _, err := s.Profile(context.Background(), "default"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("profile whose audit failed: %v, want none", err)
	}
	if es := outboxAll(t, s); len(es) != 1 {
		t.Errorf("outbox = %d rows, want the first put's only", len(es))
	}

	allow()
	must(t, s.PutMany(ctx, []domain.Record{achievement("b1", 1), achievement("b2", 1)}))
	must(t, s.Delete(ctx, domain.Achievements, "kept"))
	if got := auditOf(t, s, domain.AuditFilter{}); len(got) != 4 {
		t.Errorf("audit log = %+v, want 4 entries (create kept, import b1 b2, delete kept)", got)
	}
}

// Entries are selected by subject (whole actor or its subject part), kind and id, and time,
// newest first, paged, with the total of the selection.
func testAuditLogFilters(t *testing.T, b Backend) {
	s, _ := open(t, b)
	bg := context.Background()
	for i, actor := range []string{"admin", "agent:agt-1", "admin", "agent:agt-10", "admin"} {
		ctx := domain.WithActor(bg, domain.Actor{Name: actor})
		must(t, errOf(s.Put(ctx, achievement(fmt.Sprintf("a%d", i%2), i))))
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
	check("subject agent", ids(domain.AuditFilter{Subject: "agent"}))
	check("record a1", ids(domain.AuditFilter{Kind: domain.Achievements, ID: "a1"}), "agent:agt-1/a1", "agent:agt-10/a1")
	check("other kind", ids(domain.AuditFilter{Kind: domain.Patents, ID: "a1"}))
	check("future", ids(domain.AuditFilter{From: time.Now().Add(time.Hour)}))
	check("past", ids(domain.AuditFilter{To: time.Now().Add(-time.Hour)}))
	if n := len(ids(domain.AuditFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})); n != 5 {
		t.Errorf("this hour's entries = %d, want 5", n)
	}

	all := auditOf(t, s, domain.AuditFilter{})
	page, total, err := s.AuditLog(bg, domain.AuditFilter{}, 1, 2)
	if err != nil || total != 5 || len(page) != 2 || page[0].Seq != all[3].Seq || page[1].Seq != all[2].Seq {
		t.Errorf("AuditLog(offset 1, limit 2) = %+v of %d, %v; want the 4th and 3rd of 5", page, total, err)
	}
	if page, total, err := s.AuditLog(bg, domain.AuditFilter{Subject: "admin"}, 0, 1); err != nil || total != 3 || len(page) != 1 || page[0].Seq != all[4].Seq {
		t.Errorf("AuditLog(admin, limit 1) = %+v of %d, %v; want the newest of 3", page, total, err)
	}
}

func testAuditLogNewestFirst(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	writes := []struct {
		actor, action string
		kind          domain.Kind
		id, detail    string
	}{
		{"admin", "create", domain.Achievements, "a1", ""},
		{"agent-7", "delete", domain.Demands, "d1", ""},
		{"admin", "import", domain.Patents, "", "accepted 500"},
	}
	for _, w := range writes {
		must(t, s.Audit(domain.WithActor(ctx, domain.Actor{Name: w.actor}), w.action, w.kind, w.id, w.detail))
	}
	log, total, err := s.AuditLog(ctx, domain.AuditFilter{}, 0, 2)
	if err != nil || len(log) != 2 || total != 3 {
		t.Fatalf("AuditLog(0, 2) = %+v (of %d), %v; want 2 entries of 3", log, total, err)
	}
	for i, e := range log {
		w := writes[len(writes)-1-i]
		if e.Actor != w.actor || e.Action != w.action || e.Kind != w.kind || e.ID != w.id || e.Detail != w.detail || e.At.IsZero() {
			t.Errorf("AuditLog[%d] = %+v, want %+v", i, e, w)
		}
	}
	if log[0].Seq <= log[1].Seq {
		t.Errorf("AuditLog not newest first: seq %d then %d", log[0].Seq, log[1].Seq)
	}
}

// A write the storage cannot take for now fails wrapping domain.ErrUnavailable (the API's 503),
// takes nothing with it, and works again once the storage is back, after at most a few
// retries (connections lost with the outage are found out by using them); the store, not its
// callers, tells such faults from others.
func testUnavailableStorage(t *testing.T, b Backend) {
	s, where := open(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	must(t, errOf(s.Put(ctx, achievement("a0", 0))))
	recs := make([]domain.Record, 50)
	for i := range recs {
		recs[i] = achievement(fmt.Sprintf("big-%d", i), i)
	}

	restore := b.Unavailable(t, s, where)
	err := s.PutMany(ctx, recs)
	if !errors.Is(err, domain.ErrUnavailable) || domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("PutMany into unavailable storage = %v, want it to wrap domain.ErrUnavailable", err)
	}
	for _, r := range recs {
		if r.GetMeta().Rev != 0 {
			t.Fatalf("a refused write changed the caller's meta: %+v", r.GetMeta())
		}
	}
	restore()

	retry := func(name string, call func() error) {
		t.Helper()
		var err error
		for range 10 {
			if err = call(); !errors.Is(err, domain.ErrUnavailable) {
				break
			}
		}
		if err != nil {
			t.Fatalf("%s once the storage is back: %v", name, err)
		}
	}
	var n int
	retry("Count", func() (err error) { n, err = s.Count(context.Background(), domain.Achievements); return err })
	if n != 1 {
		t.Errorf("achievements after the refused batch = %d, want 1", n)
	}
	if _, err := s.Get(context.Background(), domain.Achievements, "missing"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Get of a missing record = %v, want not_found, not unavailable", err)
	}
	retry("PutMany", func() error { return s.PutMany(ctx, recs) })
	if n, _ := s.Count(context.Background(), domain.Achievements); n != 51 {
		t.Errorf("achievements after the batch = %d, want 51", n)
	}
}
