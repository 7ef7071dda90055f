package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// heard is one announcement a fake announcer was asked for.
type heard struct {
	Event, Agent, Demand, Reason, Entry, To string
	Withdrawn                               int
}

// announcer records what it is asked to announce and queues a delivery for each; while fail
// is set it refuses, as an announcer that cannot encode its call would.
type announcer struct {
	mu    sync.Mutex
	heard []heard
	fail  bool
}

var errAnnounce = errors.New("announcer refused")

func (a *announcer) add(h heard) (*domain.Delivery, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return nil, errAnnounce
	}
	a.heard = append(a.heard, h)
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

func (a *announcer) refuse(fail bool) {
	a.mu.Lock()
	a.fail = fail
	a.mu.Unlock()
}

// putAgents stores the agents the tests hand work to: "hook" and "quiet" cover Xiamen (the
// test demands'), "far" covers Yinchuan; all but "quiet" have a webhook.
func putAgents(t *testing.T, s Store) {
	t.Helper()
	for _, a := range []*domain.Agent{
		{ID: "hook", Name: "厦门", Regions: []string{"3502"}, Capacity: 5, WebhookURL: "https://hooks.example.com/hook"},
		{ID: "quiet", Name: "厦门无回调", Regions: []string{"3502"}, Capacity: 5},
		{ID: "far", Name: "银川", Regions: []string{"6401"}, Capacity: 5, WebhookURL: "https://hooks.example.com/far"},
	} {
		must(t, errOf(s.PutAgent(context.Background(), a)))
	}
}

// announcedStore opens a store on new storage with a recording announcer, and the agents of
// putAgents.
func announcedStore(t *testing.T, b Backend) (Store, string, *announcer) {
	t.Helper()
	ann := &announcer{}
	where := b.New(t)
	s := b.OpenAnnounced(t, where, ann)
	putAgents(t, s)
	return s, where, ann
}

// listFor saves a list of two achievements for d, held by agent ("" for none).
func listFor(t *testing.T, s Store, d *domain.Demand, agent string) []*domain.MatchEntry {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"a1", "a2"} {
		must(t, errOf(s.Put(ctx, achievement(id, 1))))
	}
	es, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: agent, Entries: []*domain.MatchEntry{pair("a1", 0.8), pair("a2", 0.7)}})
	if err != nil || agent != "" && len(es) != 2 {
		t.Fatalf("SaveMatches: %d entries, %v", len(es), err)
	}
	all, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: d.ID}, 0, 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("entries of %s: %d, %v", d.ID, len(all), err)
	}
	return all
}

func challenge(id, deadline string) *domain.Demand {
	d := demand(id, "open", 1)
	d.Challenge = &domain.Challenge{Bounty: f64(500), Deadline: deadline}
	mustValidate(d)
	return d
}

var sweeper = domain.Actor{Name: "system:deadline"}

// The sweep closes the open demands whose deadline, or challenge deadline, has passed, and
// only those; each as any write would: a new rev and outbox row, its open entries withdrawn,
// its audit entry by the system actor and its announcement to the agent holding its entries,
// in one transaction. A second sweep finds nothing.
func testCloseLapsedClosesThroughAnOrdinaryWrite(t *testing.T, b Backend) {
	s, _, ann := announcedStore(t, b)
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
		must(t, errOf(s.Put(ctx, d)))
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
	must(t, errOf(s.Put(ctx, rec)))
	if h := ann.take(); len(h) != 0 {
		t.Errorf("re-storing a closed demand announced %+v", h)
	}
	// A demand given a later date is open again and no longer lapsed; one stored without
	// dates has none to lapse.
	today.Deadline = "2027-06-30"
	must(t, errOf(s.Put(ctx, today)))
	if got, err := s.CloseLapsed(ctx, now.AddDate(0, 0, 2)); err != nil || len(got) != 0 {
		t.Errorf("sweep after d-today moved its deadline on: %v, %v; want none", got, err)
	}
}

// A demand stored closed, or deleted, is announced to the agent holding its entries, with the
// entries withdrawn from it.
func testClosingAndDeletingAreAnnouncedToTheHolder(t *testing.T, b Backend) {
	for _, c := range []struct {
		name, reason string
		end          func(s Store, d *domain.Demand) error
	}{
		{"closed", "manual", func(s Store, d *domain.Demand) error {
			d.Status = "closed"
			mustValidate(d)
			_, err := s.Put(context.Background(), d)
			return err
		}},
		{"deleted", "deleted", func(s Store, d *domain.Demand) error {
			return s.Delete(context.Background(), domain.Demands, d.ID)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _, ann := announcedStore(t, b)
			d := demand("d-1", "open", 1)
			must(t, errOf(s.Put(context.Background(), d)))
			listFor(t, s, d, "hook")
			ann.take()
			must(t, c.end(s, d))
			if h := ann.take(); !slices.Equal(h, []heard{{Event: "closed", Agent: "hook", Demand: "d-1", Reason: c.reason, Withdrawn: 2}}) {
				t.Errorf("announced %+v", h)
			}
		})
	}
}

// A move of an entry is announced to the agent holding it; a note alone is not a move.
func testStatusChangesAreAnnouncedToTheHolder(t *testing.T, b Backend) {
	s, _, ann := announcedStore(t, b)
	ctx := context.Background()
	d := demand("d-1", "open", 1)
	must(t, errOf(s.Put(ctx, d)))
	es := listFor(t, s, d, "hook")
	ann.take()
	move := func(status, note string) {
		t.Helper()
		must(t, errOf(s.UpdateEntry(ctx, es[0].ID, func(e *domain.MatchEntry) error {
			from := e.Status
			if status != "" {
				e.Status = status
			}
			e.History = append(e.History, domain.StatusChange{By: "agent:hook", From: from, To: e.Status, Note: note})
			return nil
		})))
	}
	move(domain.StatusContacted, "")
	move("", "只是备注")
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "moved", Agent: "hook", Demand: "d-1", Entry: es[0].ID, To: "contacted"}}) {
		t.Errorf("announced %+v, want the move to contacted only", h)
	}
}

// A challenge is taken up once per supply record, while open and before its deadline; each
// takeup is audited and announced in its transaction: to the agent holding the demand's
// entries, or, while none does, to every agent covering the demand. Refusals name why.
func testTakeups(t *testing.T, b Backend) {
	s, _, ann := announcedStore(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "agent:hook", RequestID: "r-1"})
	past := challenge("c-past", "2000-01-01")
	closed := challenge("c-closed", "2099-12-31")
	closed.Status = "closed"
	off := achievement("a-off", 3)
	off.Status = "closed"
	for _, r := range []domain.Record{challenge("c-1", "2099-12-31"), demand("plain", "open", 1), achievement("a1", 1), achievement("a2", 2), past, closed, off} {
		must(t, errOf(s.Put(ctx, r)))
	}
	ann.take()
	take := func(demand, kind, id string) (*domain.Takeup, error) {
		tk := &domain.Takeup{DemandID: demand, SupplyKind: domain.Kind(kind), SupplyID: id, Note: "可先提供样品测试", By: "agent:hook", AgentID: "hook"}
		return tk, s.AddTakeup(ctx, tk)
	}
	first, err := take("c-1", "achievements", "a1")
	if err != nil || !strings.HasPrefix(first.ID, "tku-") || first.SupplyTitle == "" || first.SupplyOrg != "南京大学" || first.CreatedAt.IsZero() {
		t.Fatalf("first takeup %+v, %v", first, err)
	}
	// No agent holds c-1's entries: the Xiamen agents with a webhook hear of it.
	if h := ann.take(); !slices.Equal(h, []heard{{Event: "taken", Agent: "hook", Demand: "c-1", Entry: first.ID}}) {
		t.Errorf("announced %+v, want the takeup to hook (covers Xiamen, has a webhook)", h)
	}
	before := len(auditOf(t, s, domain.AuditFilter{}))
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
	if after := len(auditOf(t, s, domain.AuditFilter{})); after != before {
		t.Errorf("refused takeups wrote %d audit entries", after-before)
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
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].SupplyID != "a2" || list[0].Note != "可先提供样品测试" ||
		!list[0].CreatedAt.Equal(first.CreatedAt) || list[0].AgentID != "hook" {
		t.Fatalf("takeups of c-1 = %+v, %v", list, err)
	}
	if list, err := s.Takeups(ctx, "plain"); err != nil || len(list) != 0 {
		t.Errorf("takeups of a demand with none = %+v, %v", list, err)
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
	must(t, s.Delete(ctx, domain.Demands, "c-1"))
	if list, _ := s.Takeups(ctx, "c-1"); len(list) != 0 {
		t.Errorf("takeups of a deleted demand: %+v", list)
	}
}

// A takeup, its audit entry and its announcements are one transaction: when the audit entry or
// an announcement cannot be written, no takeup is kept, nothing is announced, and the same
// supply may take the challenge up once the fault is gone.
func testTakeupCommitsWithItsAuditAndAnnouncement(t *testing.T, b Backend) {
	s, where, ann := announcedStore(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	for _, r := range []domain.Record{challenge("c-1", "2099-12-31"), achievement("a1", 1)} {
		must(t, errOf(s.Put(ctx, r)))
	}
	take := func() error {
		return s.AddTakeup(ctx, &domain.Takeup{DemandID: "c-1", SupplyKind: domain.Achievements, SupplyID: "a1", By: "admin"})
	}
	nothingKept := func(fault string) {
		t.Helper()
		if list, err := s.Takeups(context.Background(), "c-1"); err != nil || len(list) != 0 {
			t.Errorf("takeups after the %s failed: %+v, %v; want none", fault, list, err)
		}
		if _, n, err := s.Deliveries(context.Background(), domain.DeliveryFilter{}, 0, 10); err != nil || n != 0 {
			t.Errorf("deliveries after the %s failed: %d, %v; want none", fault, n, err)
		}
	}
	allow := b.RefuseAudit(t, where)
	if err := take(); err == nil {
		t.Error("AddTakeup succeeded although its audit entry was refused")
	}
	allow()
	nothingKept("audit entry")
	ann.take()

	ann.refuse(true)
	if err := take(); !errors.Is(err, errAnnounce) {
		t.Errorf("AddTakeup with a refusing announcer: %v, want its error", err)
	}
	ann.refuse(false)
	nothingKept("announcement")
	if log := auditOf(t, s, domain.AuditFilter{Kind: domain.Demands, ID: "c-1"}); len(log) != 1 || log[0].Action != "create" {
		t.Errorf("audit of c-1 after the failed takeups = %+v, want its create only", log)
	}

	must(t, take())
	if list, _ := s.Takeups(context.Background(), "c-1"); len(list) != 1 {
		t.Errorf("takeups after the faults are gone = %d, want 1", len(list))
	}
	if _, n, _ := s.Deliveries(context.Background(), domain.DeliveryFilter{AgentID: "hook"}, 0, 10); n != 1 {
		t.Errorf("deliveries to hook = %d, want the takeup's", n)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
