package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

func testAgents(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for _, id := range []string{"agt-b", "agt-a", "agt-c"} {
		a := &domain.Agent{ID: id, Name: "经纪人 " + id, Regions: []string{"320100"}, Capacity: 3}
		if created, err := s.PutAgent(ctx, a); err != nil || !created || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) {
			t.Fatalf("PutAgent(%s) = %v, %v, %+v; want created with its times", id, created, err, a)
		}
	}
	first, err := s.Agent(ctx, "agt-a")
	if err != nil {
		t.Fatal(err)
	}
	again := &domain.Agent{ID: "agt-a", Name: "王经纪", Capacity: 5}
	if created, err := s.PutAgent(ctx, again); err != nil || created || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("PutAgent(agt-a) again = %v, %v, created %v; want replaced, created_at %v kept", created, err, again.CreatedAt, first.CreatedAt)
	}
	if got, err := s.Agent(ctx, "agt-a"); err != nil || got.Name != "王经纪" || got.Capacity != 5 {
		t.Fatalf("Agent(agt-a) = %+v, %v", got, err)
	}
	if _, err := s.Agent(ctx, "agt-x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Agent(unknown) = %v, want not found", err)
	}
	page, total, err := s.Agents(ctx, 1, 1)
	if err != nil || total != 3 || len(page) != 1 || page[0].ID != "agt-b" {
		t.Fatalf("Agents(1, 1) = %+v of %d, %v; want agt-b of 3", page, total, err)
	}
	all, _, err := s.Agents(ctx, 0, 0)
	if err != nil || len(all) != 3 || all[0].ID != "agt-a" || all[2].ID != "agt-c" {
		t.Fatalf("Agents(0, 0) = %+v, %v; want all three in id order", all, err)
	}

	// Loads count demands with open entries; deleting an agent unassigns its open entries only.
	d1, d2 := demand("d1", "open", 1), demand("d2", "open", 2)
	must(t, errOf(s.Put(ctx, d1)))
	must(t, errOf(s.Put(ctx, d2)))
	saved, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d1, AgentID: "agt-a", Entries: []*domain.MatchEntry{pair("a1", 0.9), pair("a2", 0.8)}})
	must(t, err)
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d2, AgentID: "agt-a", Entries: []*domain.MatchEntry{pair("a1", 0.7)}})))
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: demand("d3", "open", 3), AgentID: "agt-b", Entries: []*domain.MatchEntry{pair("a1", 0.7)}})))
	if loads, err := s.AgentLoads(ctx); err != nil || !maps.Equal(loads, map[string]int{"agt-a": 2}) {
		t.Fatalf("AgentLoads = %v, %v; want agt-a: 2 (d3 is not stored, so its list is not)", loads, err)
	}
	if got, err := s.DemandAgent(ctx, "d1"); err != nil || got != "agt-a" {
		t.Fatalf("DemandAgent(d1) = %q, %v; want agt-a", got, err)
	}
	if got, err := s.DemandAgent(ctx, "d9"); err != nil || got != "" {
		t.Fatalf("DemandAgent(d9) = %q, %v; want none", got, err)
	}
	signed := saved[1].ID
	must(t, errOf(s.UpdateEntry(ctx, signed, func(e *domain.MatchEntry) error { e.Status = domain.StatusSigned; return nil })))
	must(t, s.DeleteAgent(ctx, "agt-a"))
	if err := s.DeleteAgent(ctx, "agt-a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DeleteAgent twice = %v, want not found", err)
	}
	es, _, err := s.Entries(ctx, domain.EntryFilter{}, 0, 0)
	must(t, err)
	for _, e := range es {
		if want := map[bool]string{true: "agt-a", false: ""}[e.ID == signed]; e.AgentID != want {
			t.Errorf("entry %s (%s) after its agent was deleted: agent %q, want %q", e.ID, e.Status, e.AgentID, want)
		}
	}
	if loads, err := s.AgentLoads(ctx); err != nil || len(loads) != 0 {
		t.Fatalf("AgentLoads after the delete = %v, %v; want none", loads, err)
	}
	if _, total, _ := s.Agents(ctx, 0, 0); total != 2 {
		t.Fatalf("agents after the delete = %d, want 2", total)
	}
}

// Deliveries are due by next_at, then id; an attempt moves them on; the log pages newest first.
func testDeliveries(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	if _, ok, err := s.NextDelivery(ctx); err != nil || ok {
		t.Fatalf("NextDelivery of a new store = %v, %v; want none", ok, err)
	}
	for i, agent := range []string{"agt-1", "agt-2", "agt-1"} {
		d := demand("d"+string(rune('1'+i)), "open", i)
		must(t, errOf(s.Put(ctx, d)))
		must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: agent, Entries: []*domain.MatchEntry{pair("a1", 0.9)},
			Alert: func(agentID string, _ []*domain.MatchEntry) (*domain.Delivery, error) {
				return &domain.Delivery{AgentID: agentID, URL: "https://agent.example/" + agentID, Event: "match.assigned", Body: json.RawMessage(`{"n":1}`)}, nil
			}})))
	}
	all, total, err := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if err != nil || total != 3 || len(all) != 3 || all[0].ID <= all[1].ID || all[1].ID <= all[2].ID {
		t.Fatalf("Deliveries = %+v of %d, %v; want 3, newest first", all, total, err)
	}
	first := all[2]
	if first.AgentID != "agt-1" || string(first.Body) != `{"n":1}` || first.Attempts != 0 || first.Status != domain.DeliveryPending ||
		!first.NextAt.Equal(first.CreatedAt) {
		t.Fatalf("first delivery = %+v", first)
	}
	if _, total, _ := s.Deliveries(ctx, domain.DeliveryFilter{AgentID: "agt-1"}, 0, 10); total != 2 {
		t.Fatalf("agt-1's deliveries = %d, want 2", total)
	}
	if page, _, _ := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 0); len(page) != 0 {
		t.Fatalf("Deliveries(limit 0) = %d, want none", len(page))
	}
	next, ok, err := s.NextDelivery(ctx)
	if err != nil || !ok || !next.Equal(first.NextAt) {
		t.Fatalf("NextDelivery = %v, %v, %v; want %v", next, ok, err, first.NextAt)
	}
	due, err := s.DueDeliveries(ctx, time.Now().Add(time.Minute), 2)
	if err != nil || len(due) != 2 || due[0].ID != first.ID || due[1].ID != all[1].ID {
		t.Fatalf("DueDeliveries(2) = %+v, %v; want the two oldest", due, err)
	}
	if due, err := s.DueDeliveries(ctx, first.CreatedAt.Add(-time.Second), 10); err != nil || len(due) != 0 {
		t.Fatalf("DueDeliveries before any is due = %+v, %v", due, err)
	}

	later := first.NextAt.Add(time.Hour).Truncate(time.Second).Add(123456789) // nanoseconds kept
	must(t, s.RecordAttempt(ctx, first.ID, domain.DeliveryPending, 502, "bad gateway", later))
	must(t, s.RecordAttempt(ctx, all[1].ID, domain.DeliveryDelivered, 200, "", time.Now()))
	all, _, _ = s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if got := all[2]; got.Attempts != 1 || got.LastCode != 502 || got.LastError != "bad gateway" || !got.NextAt.Equal(later) ||
		got.UpdatedAt.Before(got.CreatedAt) {
		t.Fatalf("after an attempt = %+v", got)
	}
	due, err = s.DueDeliveries(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != all[0].ID {
		t.Fatalf("DueDeliveries after the attempts = %+v, %v; want only the newest", due, err)
	}
}
