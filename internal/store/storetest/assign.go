package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// threeEntries lists three achievements for a new open demand id, held by nobody.
func threeEntries(t *testing.T, s Store, id string) []*domain.MatchEntry {
	t.Helper()
	ctx := context.Background()
	d := demand(id, "open", 1)
	must(t, errOf(s.Put(ctx, d)))
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: []*domain.MatchEntry{pair("a1", 0.9), pair("a2", 0.8), pair("a3", 0.7)}})))
	es, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: id}, 0, 0)
	if err != nil || len(es) != 3 {
		t.Fatalf("entries of %s: %d, %v", id, len(es), err)
	}
	return es // best score first: a1, a2, a3
}

// sortedIDs are the supply ids of es in order: the order entries are moved in is the
// store's.
func sortedIDs(es []*domain.MatchEntry) []string {
	out := ids(es)
	slices.Sort(out)
	return out
}

// alertTo makes AssignDemand's webhook alert, recording the entries it was given.
func alertTo(agent string, got *[]string) func([]*domain.MatchEntry) (*domain.Delivery, error) {
	return func(es []*domain.MatchEntry) (*domain.Delivery, error) {
		*got = sortedIDs(es)
		return &domain.Delivery{AgentID: agent, URL: "https://hooks.example.com/" + agent, Event: "match.assigned", Body: json.RawMessage(`{}`)}, nil
	}
}

// Staff hand a demand's open entries to an agent, or take them back: each moved entry gets a
// history step naming who moved it and from whom, the write is audited and the agent alerted;
// signed and rejected entries keep the agent who worked them; an unknown agent is not found.
func testAssignDemand(t *testing.T, b Backend) {
	s, _ := open(t, b)
	putAgents(t, s)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	es := threeEntries(t, s, "d-1")

	var alerted []string
	moved, err := s.AssignDemand(ctx, "d-1", "far", alertTo("far", &alerted))
	if err != nil || len(moved) != 3 || len(alerted) != 3 {
		t.Fatalf("assign to far: %d moved, %d alerted, %v; want 3", len(moved), len(alerted), err)
	}
	must(t, errOf(s.UpdateEntry(ctx, es[2].ID, func(e *domain.MatchEntry) error {
		e.History = append(e.History, domain.StatusChange{By: "agent:far", From: e.Status, To: domain.StatusRejected})
		e.Status = domain.StatusRejected
		return nil
	})))

	alerted = nil
	moved, err = s.AssignDemand(ctx, "d-1", "hook", alertTo("hook", &alerted))
	if err != nil || !slices.Equal(sortedIDs(moved), []string{"a1", "a2"}) || !slices.Equal(alerted, []string{"a1", "a2"}) {
		t.Fatalf("assign to hook: moved %v, alerted %v, %v; want a1 and a2, the open ones", sortedIDs(moved), alerted, err)
	}
	for _, e := range moved {
		step := e.History[len(e.History)-1]
		if e.AgentID != "hook" || step.By != "admin" || step.From != e.Status || step.To != e.Status || step.Note != "assigned to hook (from far)" {
			t.Errorf("moved entry %s: agent %s, last step %+v", e.SupplyID, e.AgentID, step)
		}
	}
	stored, _, _ := s.Entries(ctx, domain.EntryFilter{DemandID: "d-1"}, 0, 0)
	for _, e := range stored {
		want := "hook"
		if e.SupplyID == "a3" {
			want = "far" // rejected: kept by who worked it
		}
		if e.AgentID != want {
			t.Errorf("stored entry %s (%s) is held by %q, want %q", e.SupplyID, e.Status, e.AgentID, want)
		}
	}
	if n, _, err := s.Entries(ctx, domain.EntryFilter{AgentID: "hook"}, 0, 0); err != nil || len(n) != 2 {
		t.Errorf("hook's entries = %d, %v; want 2", len(n), err)
	}
	if ds, n, _ := s.Deliveries(ctx, domain.DeliveryFilter{AgentID: "hook"}, 0, 10); n != 1 || ds[0].Event != "match.assigned" {
		t.Errorf("deliveries to hook = %d %+v, want the alert", n, ds)
	}

	// Assigning to the agent who holds them moves nothing, writes no audit entry, alerts no one.
	alerted = nil
	before := len(auditOf(t, s, domain.AuditFilter{Kind: domain.Demands, ID: "d-1"}))
	if moved, err := s.AssignDemand(ctx, "d-1", "hook", alertTo("hook", &alerted)); err != nil || len(moved) != 0 || alerted != nil {
		t.Errorf("assign to the holder again: %d moved, alerted %v, %v", len(moved), alerted, err)
	}
	if after := len(auditOf(t, s, domain.AuditFilter{Kind: domain.Demands, ID: "d-1"})); after != before {
		t.Errorf("a no-op assignment wrote %d audit entries", after-before)
	}

	// Taking them back: unassigned, no alert.
	moved, err = s.AssignDemand(ctx, "d-1", "", alertTo("", &alerted))
	if err != nil || len(moved) != 2 || alerted != nil || moved[0].AgentID != "" || moved[0].History[len(moved[0].History)-1].Note != "unassigned (from hook)" {
		t.Fatalf("unassign: %+v, alerted %v, %v", moved, alerted, err)
	}
	var assigns []string
	for _, e := range auditOf(t, s, domain.AuditFilter{Kind: domain.Demands, ID: "d-1"}) {
		if e.Action == "assign" {
			assigns = append(assigns, e.Actor+" "+e.Detail)
		}
	}
	if want := []string{"admin to far: 3 open entries", "admin to hook: 2 open entries", "admin to nobody: 2 open entries"}; !slices.Equal(assigns, want) {
		t.Errorf("audited assignments %v, want %v", assigns, want)
	}

	if _, err := s.AssignDemand(ctx, "d-1", "nobody-such", nil); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("assign to an unknown agent: %v, want not found", err)
	}
	if moved, err := s.AssignDemand(ctx, "no-demand", "hook", nil); err != nil || len(moved) != 0 {
		t.Errorf("assign a demand without entries: %d moved, %v", len(moved), err)
	}
}

// An assignment, its audit entry and its alert are one transaction: when either cannot be
// written, no entry moves.
func testAssignDemandCommitsWithItsAudit(t *testing.T, b Backend) {
	s, where := open(t, b)
	putAgents(t, s)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	threeEntries(t, s, "d-1")
	unmoved := func(fault string) {
		t.Helper()
		if es, _, err := s.Entries(ctx, domain.EntryFilter{Unassigned: true}, 0, 0); err != nil || len(es) != 3 {
			t.Errorf("unassigned entries after the %s failed: %d, %v; want all 3", fault, len(es), err)
		}
		if _, n, err := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10); err != nil || n != 0 {
			t.Errorf("deliveries after the %s failed: %d, %v; want none", fault, n, err)
		}
	}
	var alerted []string
	allow := b.RefuseAudit(t, where)
	if _, err := s.AssignDemand(ctx, "d-1", "hook", alertTo("hook", &alerted)); err == nil {
		t.Error("AssignDemand succeeded although its audit entry was refused")
	}
	allow()
	unmoved("audit entry")

	refused := errors.New("alert refused")
	if _, err := s.AssignDemand(ctx, "d-1", "hook", func([]*domain.MatchEntry) (*domain.Delivery, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Errorf("AssignDemand with a refusing alert: %v, want its error", err)
	}
	unmoved("alert")
}

// The demands with open entries nobody holds, oldest entry first; held, closed and finished
// demands are not among them.
func testUnassignedDemands(t *testing.T, b Backend) {
	s, _ := open(t, b)
	putAgents(t, s)
	ctx := context.Background()
	if got, err := s.UnassignedDemands(ctx); err != nil || len(got) != 0 {
		t.Fatalf("UnassignedDemands of a new store = %v, %v", got, err)
	}
	threeEntries(t, s, "d-old")
	threeEntries(t, s, "d-b-new") // sorts before d-old: the order is by age
	threeEntries(t, s, "d-held")
	must(t, errOf(s.AssignDemand(ctx, "d-held", "hook", nil)))
	threeEntries(t, s, "d-closed")
	closed := demand("d-closed", "closed", 1)
	must(t, errOf(s.Put(ctx, closed)))
	done := threeEntries(t, s, "d-done")
	for _, e := range done {
		must(t, errOf(s.UpdateEntry(ctx, e.ID, func(e *domain.MatchEntry) error {
			e.Status = domain.StatusRejected
			return nil
		})))
	}
	got, err := s.UnassignedDemands(ctx)
	if want := []string{"d-old", "d-b-new"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("UnassignedDemands = %v, %v; want %v", got, err, want)
	}
	must(t, errOf(s.AssignDemand(ctx, "d-old", "quiet", nil)))
	if got, err := s.UnassignedDemands(ctx); err != nil || !slices.Equal(got, []string{"d-b-new"}) {
		t.Errorf("UnassignedDemands after assigning d-old = %v, %v", got, err)
	}
}
