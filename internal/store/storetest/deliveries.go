package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// The log is filtered by status, by agent and by both, each page with its own total.
func testDeliveriesByStatus(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for i, agent := range []string{"agt-1", "agt-2", "agt-1", "agt-1"} {
		d := demand(fmt.Sprintf("d%d", i), "open", i)
		must(t, errOf(s.Put(ctx, d)))
		must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: agent, Entries: []*domain.MatchEntry{pair("a1", 0.9)},
			Alert: func(agentID string, _ []*domain.MatchEntry) (*domain.Delivery, error) {
				return &domain.Delivery{AgentID: agentID, URL: "https://agent.example/" + agentID, Event: "match.assigned", Body: json.RawMessage(`{}`)}, nil
			}})))
	}
	all, _, err := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if err != nil || len(all) != 4 {
		t.Fatalf("Deliveries = %d, %v; want 4", len(all), err)
	}
	// Oldest first: agt-1 delivered, agt-2 failed, agt-1 failed, agt-1 pending.
	must(t, s.RecordAttempt(ctx, all[3].ID, domain.DeliveryDelivered, 200, "", time.Now()))
	must(t, s.RecordAttempt(ctx, all[2].ID, domain.DeliveryFailed, 500, "receiver answered 500", time.Now()))
	must(t, s.RecordAttempt(ctx, all[1].ID, domain.DeliveryFailed, 0, "connection refused", time.Now()))
	for _, c := range []struct {
		f    domain.DeliveryFilter
		want []int64
	}{
		{domain.DeliveryFilter{Status: domain.DeliveryPending}, []int64{all[0].ID}},
		{domain.DeliveryFilter{Status: domain.DeliveryDelivered}, []int64{all[3].ID}},
		{domain.DeliveryFilter{Status: domain.DeliveryFailed}, []int64{all[1].ID, all[2].ID}},
		{domain.DeliveryFilter{AgentID: "agt-1", Status: domain.DeliveryFailed}, []int64{all[1].ID}},
		{domain.DeliveryFilter{AgentID: "agt-2", Status: domain.DeliveryPending}, nil},
		{domain.DeliveryFilter{AgentID: "agt-1"}, []int64{all[0].ID, all[1].ID, all[3].ID}},
	} {
		got, total, err := s.Deliveries(ctx, c.f, 0, 10)
		var ids []int64
		for _, d := range got {
			ids = append(ids, d.ID)
			if c.f.Status != "" && d.Status != c.f.Status || c.f.AgentID != "" && d.AgentID != c.f.AgentID {
				t.Errorf("Deliveries(%+v) has %+v", c.f, d)
			}
		}
		if err != nil || total != len(c.want) || fmt.Sprint(ids) != fmt.Sprint(c.want) {
			t.Errorf("Deliveries(%+v) = %v of %d, %v; want %v, newest first", c.f, ids, total, err, c.want)
		}
	}
	page, total, err := s.Deliveries(ctx, domain.DeliveryFilter{Status: domain.DeliveryFailed}, 1, 1)
	if err != nil || total != 2 || len(page) != 1 || page[0].ID != all[2].ID {
		t.Errorf("second page of the failed = %+v of %d, %v; want the older failed one of 2", page, total, err)
	}
}

// A delivered or failed delivery gets one more attempt, due now, audited; a pending one is a
// conflict, a missing one not found.
func testRedeliver(t *testing.T, b Backend) {
	s, _, _ := announcedStore(t, b)
	ctx := domain.WithActor(context.Background(), domain.Actor{Name: "admin"})
	d := demand("d-1", "open", 1)
	must(t, errOf(s.Put(ctx, d)))
	listFor(t, s, d, "hook")
	must(t, s.Delete(ctx, domain.Demands, "d-1")) // announced: one pending delivery
	ds, _, err := s.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	id := ds[0].ID
	if _, err := s.Redeliver(ctx, id); domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "正在等待") {
		t.Errorf("redeliver a pending delivery: %v, want a conflict saying it is pending", err)
	}
	later := time.Now().Add(time.Hour)
	must(t, s.RecordAttempt(ctx, id, domain.DeliveryFailed, 500, "receiver answered 500", later))
	if ds, n, _ := s.Deliveries(ctx, domain.DeliveryFilter{Status: "failed"}, 0, 10); n != 1 || ds[0].ID != id {
		t.Errorf("failed deliveries = %d %+v", n, ds)
	}
	got, err := s.Redeliver(ctx, id)
	if err != nil || got.Status != domain.DeliveryPending || got.Attempts != 1 || got.NextAt.After(time.Now()) ||
		got.LastCode != 500 || got.AgentID != "hook" {
		t.Fatalf("redeliver a failed delivery: %+v, %v; want pending, due now, its attempts kept", got, err)
	}
	due, err := s.DueDeliveries(ctx, time.Now(), 10)
	if err != nil || len(due) != 1 || due[0].ID != id || !due[0].NextAt.Equal(got.NextAt) {
		t.Errorf("due after the redelivery: %+v, %v", due, err)
	}
	if log := auditOf(t, s, domain.AuditFilter{Kind: domain.AuditWebhooks}); len(log) != 1 || log[0].Action != "redeliver" || log[0].Actor != "admin" ||
		log[0].ID != fmt.Sprint(id) || log[0].Detail != got.Event+" to hook" {
		t.Errorf("audit of the redelivery = %+v", log)
	}
	if _, err := s.Redeliver(ctx, id+100); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("redeliver a missing delivery: %v, want not found", err)
	}
	// A delivered one may be sent again too.
	must(t, s.RecordAttempt(ctx, id, domain.DeliveryDelivered, 200, "", time.Now()))
	if got, err := s.Redeliver(ctx, id); err != nil || got.Status != domain.DeliveryPending || got.Attempts != 2 {
		t.Errorf("redeliver a delivered delivery: %+v, %v", got, err)
	}
}
