package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// heard is one announcement a fake announcer was asked for.
type heard struct {
	Event, Agent, Demand, Reason, Entry, To string
	Withdrawn                               int
}

// announcer records what it is asked to announce and queues a delivery for each.
type announcer struct {
	mu    sync.Mutex
	heard []heard
}

func (a *announcer) add(h heard) (*domain.Delivery, error) {
	a.mu.Lock()
	a.heard = append(a.heard, h)
	a.mu.Unlock()
	body, _ := json.Marshal(h)
	return &domain.Delivery{AgentID: h.Agent, URL: "https://hooks.example.com/" + h.Agent, Event: h.Event, Body: body}, nil
}

func (a *announcer) EntryMoved(ag *domain.Agent, e *domain.MatchEntry, step domain.StatusChange) (*domain.Delivery, error) {
	return a.add(heard{Event: "moved", Agent: ag.ID, Demand: e.DemandID, Entry: e.ID, To: step.To})
}

func (a *announcer) DemandClosed(ag *domain.Agent, d *domain.Demand, reason string, withdrawn []*domain.MatchEntry) (*domain.Delivery, error) {
	return a.add(heard{Event: "closed", Agent: ag.ID, Demand: d.ID, Reason: reason, Withdrawn: len(withdrawn)})
}

func (a *announcer) ChallengeTaken(ag *domain.Agent, d *domain.Demand, t *domain.Takeup) (*domain.Delivery, error) {
	return a.add(heard{Event: "taken", Agent: ag.ID, Demand: d.ID, Entry: t.ID})
}

func (a *announcer) take() []heard {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.heard
	a.heard = nil
	return out
}

// announcedStore opens a store with a recording announcer, and agents: "hook" and "quiet"
// cover Xiamen (the test demands'), "far" covers Yinchuan; all but "quiet" have a webhook.
func announcedStore(t *testing.T) (*store.Store, *announcer) {
	t.Helper()
	ann := &announcer{}
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "techmatch.db"), store.WithAnnouncer(ann))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, a := range []*domain.Agent{
		{ID: "hook", Name: "厦门", Regions: []string{"3502"}, Capacity: 5, WebhookURL: "https://hooks.example.com/hook"},
		{ID: "quiet", Name: "厦门无回调", Regions: []string{"3502"}, Capacity: 5},
		{ID: "far", Name: "银川", Regions: []string{"6401"}, Capacity: 5, WebhookURL: "https://hooks.example.com/far"},
	} {
		if _, err := s.PutAgent(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return s, ann
}

// listFor saves a list of two achievements for d, held by agent.
func listFor(t *testing.T, s *store.Store, d *domain.Demand, agent string) []*domain.MatchEntry {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"a1", "a2"} {
		if _, err := s.Put(ctx, achievement(id, 1)); err != nil {
			t.Fatal(err)
		}
	}
	es, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: agent, Entries: []*domain.MatchEntry{
		{SupplyKind: domain.Achievements, SupplyID: "a1", Score: 0.8},
		{SupplyKind: domain.Achievements, SupplyID: "a2", Score: 0.7},
	}})
	if err != nil || len(es) != 2 {
		t.Fatalf("SaveMatches: %d entries, %v", len(es), err)
	}
	return es
}

func challenge(id, deadline string) *domain.Demand {
	d := demand(id, "open", 1)
	d.Challenge = &domain.Challenge{Bounty: f64(500), Deadline: deadline}
	mustValidate(d)
	return d
}

var sweeper = domain.Actor{Name: "system:deadline"}

// TestCloseLapsedClosesThroughAnOrdinaryWrite: the sweep closes the open demands whose
// deadline, or challenge deadline, has passed, and only those; each as any write would: a new
// rev and outbox row, its open entries withdrawn, its audit entry by the system actor and its
// announcement to the agent holding its entries, in one transaction. A second sweep finds
// nothing.
func TestCloseLapsedClosesThroughAnOrdinaryWrite(t *testing.T) {
	s, ann := announcedStore(t)
	ctx := context.Background()
	// 2027-04-01 00:30 in Beijing is still 2027-03-31 in UTC: the platform's date decides.
	now := time.Date(2027, 3, 31, 16, 30, 0, 0, time.UTC)
	lapsed := demand("d-lapsed", "open", 1)
	lapsed.Deadline = "2027-03-31"
	lapsedChallenge := challenge("d-challenge", "2027-03-30")
	lapsedChallenge.Deadline = "2027-12-31"
	today := demand("d-today", "open", 1)
	today.Deadline = "2027-04-01"
	closed := demand("d-closed", "closed", 1)
	closed.Deadline = "2027-01-01"
	matched := demand("d-matched", "matched", 1)
	matched.Deadline = "2027-01-01"
	for _, d := range []*domain.Demand{lapsed, lapsedChallenge, today, closed, matched, demand("d-none", "open", 1)} {
		if _, err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	es := listFor(t, s, lapsed, "hook")
	ann.take()
	heads := len(outboxAll(t, s))

	got, err := s.CloseLapsed(domain.WithActor(ctx, sweeper), now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"d-challenge", "d-lapsed"}; !slices.Equal(got, want) {
		t.Fatalf("closed %v, want %v (earliest due first)", got, want)
	}
	for _, id := range got {
		rec, err := s.Get(ctx, domain.Demands, id)
		if err != nil {
			t.Fatal(err)
		}
		d := rec.(*domain.Demand)
		if d.Status != "closed" || d.ClosedReason != domain.ClosedAtDeadline || d.Rev != 2 {
			t.Errorf("%s after the sweep: status %s, closed_reason %q, rev %d; want closed, deadline, 2", id, d.Status, d.ClosedReason, d.Rev)
		}
	}
	for _, id := range []string{"d-today", "d-closed", "d-matched", "d-none"} {
		rec, _ := s.Get(ctx, domain.Demands, id)
		if rec.GetMeta().Rev != 1 {
			t.Errorf("%s was written by the sweep", id)
		}
	}
	if n := len(outboxAll(t, s)) - heads; n != 2 {
		t.Errorf("the sweep wrote %d outbox rows, want 2", n)
	}
	after, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: lapsed.ID}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range after {
		if last := e.History[len(e.History)-1]; e.Status != domain.StatusWithdrawn || !strings.Contains(last.Note, "截止") {
			t.Errorf("entry %s: %s, last step %+v; want withdrawn, the note saying the deadline passed", e.ID, e.Status, last)
		}
	}
	log := auditOf(t, s, domain.AuditFilter{Subject: sweeper.Name})
	if len(log) != 2 || log[0].Action != "close" || log[1].ID != "d-lapsed" || log[1].Detail != "deadline 2027-03-31 passed" || log[0].Detail != "challenge.deadline 2027-03-30 passed" {
		t.Errorf("audit entries of the sweep = %+v", log)
	}
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "closed", Agent: "hook", Demand: "d-lapsed", Reason: "deadline", Withdrawn: len(es)}}) {
		t.Errorf("announced %+v, want d-lapsed's closing to hook with its %d withdrawn entries", h, len(es))
	}
	if ds, n, _ := s.Deliveries(ctx, domain.DeliveryFilter{AgentID: "hook", Status: "pending"}, 0, 10); n != 1 || ds[0].Event != "closed" {
		t.Errorf("pending deliveries to hook = %d %+v, want the closing", n, ds)
	}

	again, err := s.CloseLapsed(domain.WithActor(ctx, sweeper), now)
	if err != nil || len(again) != 0 {
		t.Errorf("a second sweep closed %v, %v; want none", again, err)
	}
	// Closing it again by hand announces nothing more.
	rec, _ := s.Get(ctx, domain.Demands, "d-lapsed")
	if _, err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if h := ann.take(); len(h) != 0 {
		t.Errorf("re-storing a closed demand announced %+v", h)
	}
}

// TestClosingAndDeletingAreAnnouncedToTheHolder: a demand stored closed, or deleted, is
// announced to the agent holding its entries, with the entries withdrawn from it.
func TestClosingAndDeletingAreAnnouncedToTheHolder(t *testing.T) {
	for _, c := range []struct {
		name, reason string
		end          func(s *store.Store, d *domain.Demand) error
	}{
		{"closed", "manual", func(s *store.Store, d *domain.Demand) error {
			d.Status = "closed"
			mustValidate(d)
			_, err := s.Put(context.Background(), d)
			return err
		}},
		{"deleted", "deleted", func(s *store.Store, d *domain.Demand) error {
			return s.Delete(context.Background(), domain.Demands, d.ID)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, ann := announcedStore(t)
			d := demand("d-1", "open", 1)
			if _, err := s.Put(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			listFor(t, s, d, "hook")
			ann.take()
			if err := c.end(s, d); err != nil {
				t.Fatal(err)
			}
			if h := ann.take(); !slices.Equal(h, []heard{{Event: "closed", Agent: "hook", Demand: "d-1", Reason: c.reason, Withdrawn: 2}}) {
				t.Errorf("announced %+v", h)
			}
		})
	}
}

// TestStatusChangesAreAnnouncedToTheHolder: a move of an entry is announced to the agent
// holding it; a note alone is not a move.
func TestStatusChangesAreAnnouncedToTheHolder(t *testing.T) {
	s, ann := announcedStore(t)
	ctx := context.Background()
	d := demand("d-1", "open", 1)
	if _, err := s.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	es := listFor(t, s, d, "hook")
	ann.take()
	move := func(status, note string) {
		t.Helper()
		if _, err := s.UpdateEntry(ctx, es[0].ID, func(e *domain.MatchEntry) error {
			from := e.Status
			if status != "" {
				e.Status = status
			}
			e.History = append(e.History, domain.StatusChange{By: "agent:hook", From: from, To: e.Status, Note: note})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	move(domain.StatusContacted, "")
	move("", "只是备注")
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "moved", Agent: "hook", Demand: "d-1", Entry: es[0].ID, To: "contacted"}}) {
		t.Errorf("announced %+v, want the move to contacted only", h)
	}
}

// TestTakeups: a challenge is taken up once per supply record, while open and before its
// deadline; each takeup is audited and announced in its transaction: to the agent holding the
// demand's entries, or, while none does, to every agent covering the demand.
func TestTakeups(t *testing.T) {
	s, ann := announcedStore(t)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "agent:hook", RequestID: "r-1"})
	for _, r := range []domain.Record{challenge("c-1", "2099-12-31"), demand("plain", "open", 1), achievement("a1", 1), achievement("a2", 2)} {
		if _, err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	past := challenge("c-past", "2000-01-01")
	closed := challenge("c-closed", "2099-12-31")
	closed.Status = "closed"
	off := achievement("a-off", 3)
	off.Status = "closed"
	for _, r := range []domain.Record{past, closed, off} {
		if _, err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ann.take()
	take := func(demand, kind, id string) (*domain.Takeup, error) {
		tk := &domain.Takeup{DemandID: demand, SupplyKind: domain.Kind(kind), SupplyID: id, Note: "可先提供样品测试", By: "agent:hook", AgentID: "hook"}
		return tk, s.AddTakeup(ctx, tk)
	}
	first, err := take("c-1", "achievements", "a1")
	if err != nil || !strings.HasPrefix(first.ID, "tku-") || first.SupplyTitle == "" || first.CreatedAt.IsZero() {
		t.Fatalf("first takeup %+v, %v", first, err)
	}
	// No agent holds c-1's entries: the Xiamen agents with a webhook hear of it.
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "taken", Agent: "hook", Demand: "c-1", Entry: first.ID}}) {
		t.Errorf("announced %+v, want the takeup to hook (covers Xiamen, has a webhook)", h)
	}
	for _, c := range []struct {
		demand, kind, id string
		code             domain.Code
		says             string
	}{
		{"c-1", "achievements", "a1", domain.CodeConflict, "已揭过"},
		{"plain", "achievements", "a1", domain.CodeConflict, "不是揭榜挂帅需求"},
		{"c-past", "achievements", "a1", domain.CodeConflict, "2000-01-01 已过"},
		{"c-closed", "achievements", "a1", domain.CodeConflict, "状态为 closed"},
		{"c-1", "achievements", "a-off", domain.CodeConflict, "已停用"},
		{"c-1", "patents", "a1", domain.CodeInvalid, "不存在"},
		{"nope", "achievements", "a1", domain.CodeNotFound, ""},
	} {
		_, err := take(c.demand, c.kind, c.id)
		if domain.ErrorCode(err) != c.code || !strings.Contains(errText(err), c.says) {
			t.Errorf("take up %s by %s/%s: %v, want %s saying %q", c.demand, c.kind, c.id, err, c.code, c.says)
		}
	}
	if h := ann.take(); len(h) != 0 {
		t.Errorf("refused takeups announced %+v", h)
	}
	// Once an agent holds the demand's entries, the takeups go to it alone.
	d, _ := s.Get(ctx, domain.Demands, "c-1")
	listFor(t, s, d.(*domain.Demand), "far")
	ann.take()
	second, err := take("c-1", "achievements", "a2")
	if err != nil {
		t.Fatal(err)
	}
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "taken", Agent: "far", Demand: "c-1", Entry: second.ID}}) {
		t.Errorf("announced %+v, want the takeup to far, which holds c-1's entries", h)
	}
	list, err := s.Takeups(ctx, "c-1")
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].SupplyID != "a2" || list[0].Note != "可先提供样品测试" {
		t.Fatalf("takeups of c-1 = %+v, %v", list, err)
	}
	log := auditOf(t, s, domain.AuditFilter{Kind: domain.Demands, ID: "c-1"})
	var takes []string
	for _, e := range log {
		if e.Action == "takeup" {
			takes = append(takes, e.Actor+" "+e.Detail+" "+e.RequestID)
		}
	}
	if !slices.Equal(takes, []string{"agent:hook achievements/a1 r-1", "agent:hook achievements/a2 r-1"}) {
		t.Errorf("audited takeups %v", takes)
	}
	// Deleting the demand takes its takeups with it.
	if err := s.Delete(ctx, domain.Demands, "c-1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Takeups(ctx, "c-1"); len(list) != 0 {
		t.Errorf("takeups of a deleted demand: %+v", list)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestRedeliver: a delivered or failed delivery gets one more attempt, due now, audited; a
// pending one is a conflict, a missing one not found.
func TestRedeliver(t *testing.T) {
	s, _ := announcedStore(t)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	d := demand("d-1", "open", 1)
	if _, err := s.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	listFor(t, s, d, "hook")
	if err := s.Delete(ctx, domain.Demands, "d-1"); err != nil { // announced: one pending delivery
		t.Fatal(err)
	}
	ds, _, err := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	id := ds[0].ID
	if _, err := s.Redeliver(ctx, id); domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "正在等待") {
		t.Errorf("redeliver a pending delivery: %v, want a conflict saying it is pending", err)
	}
	later := time.Now().Add(time.Hour)
	if err := s.RecordAttempt(ctx, id, domain.DeliveryFailed, 500, "receiver answered 500", later); err != nil {
		t.Fatal(err)
	}
	if ds, n, _ := s.Deliveries(ctx, domain.DeliveryFilter{Status: "failed"}, 0, 10); n != 1 || ds[0].ID != id {
		t.Errorf("failed deliveries = %d %+v", n, ds)
	}
	got, err := s.Redeliver(ctx, id)
	if err != nil || got.Status != domain.DeliveryPending || got.Attempts != 1 || got.NextAt.After(time.Now()) {
		t.Fatalf("redeliver a failed delivery: %+v, %v; want pending, due now, its attempts kept", got, err)
	}
	due, err := s.DueDeliveries(ctx, time.Now(), 10)
	if err != nil || len(due) != 1 || due[0].ID != id {
		t.Errorf("due after the redelivery: %+v, %v", due, err)
	}
	if log := auditOf(t, s, domain.AuditFilter{Kind: domain.AuditWebhooks}); len(log) != 1 || log[0].Action != "redeliver" || log[0].Actor != "admin" {
		t.Errorf("audit of the redelivery = %+v", log)
	}
	if _, err := s.Redeliver(ctx, id+100); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("redeliver a missing delivery: %v, want not found", err)
	}
}

// undoChallenges takes a database back from schema version 6 to 5.
var undoChallenges = []string{
	`DROP TABLE takeups`, `DROP INDEX records_due`, `ALTER TABLE records DROP COLUMN due`, `PRAGMA user_version = 5`,
}

// A database of schema version 5 gets its demands' due dates, which the sweep needs, and its
// closed demands their reason.
func TestChallengesMigration(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	lapsed := challenge("c-1", "2000-01-01")
	lapsed.Deadline = "2000-06-30"
	shut := demand("d-shut", "closed", 1)
	for _, d := range []*domain.Demand{lapsed, shut} {
		if _, err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(undoChallenges, `UPDATE records SET body = json_remove(body, '$.closed_reason')`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s = openAt(t, path)
	got, err := s.CloseLapsed(ctx, time.Now())
	if err != nil || !slices.Equal(got, []string{"c-1"}) {
		t.Errorf("swept after the migration: %v, %v; want c-1", got, err)
	}
	rec, err := s.Get(ctx, domain.Demands, "d-shut")
	if err != nil || rec.(*domain.Demand).ClosedReason != domain.ClosedManually {
		t.Errorf("d-shut after the migration: %+v, %v; want closed_reason manual", rec, err)
	}
}
