package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// TestDeleteOrCloseWithdrawsOpenEntries: deleting or closing a demand withdraws its open
// entries in the same transaction; signed and rejected ones keep their status; a list computed
// before the delete and saved after it brings nothing back; reopening the demand and saving
// its list again makes the withdrawn pairs new.
func TestDeleteOrCloseWithdrawsOpenEntries(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	for _, id := range []string{"a1", "a2", "a3"} {
		if _, err := s.Put(ctx, achievement(id, 1)); err != nil {
			t.Fatal(err)
		}
	}
	fresh := func() []*domain.MatchEntry {
		var out []*domain.MatchEntry
		for _, id := range []string{"a1", "a2", "a3"} {
			out = append(out, &domain.MatchEntry{SupplyKind: domain.Achievements, SupplyID: id, Score: 0.8})
		}
		return out
	}
	statuses := func(demandID string) map[string]string {
		t.Helper()
		es, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: demandID}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range es {
			out[e.SupplyID] = e.Status
		}
		return out
	}
	for _, c := range []struct {
		name string
		end  func(d *domain.Demand) error
	}{
		{"delete", func(d *domain.Demand) error { return s.Delete(ctx, domain.Demands, d.ID) }},
		{"close", func(d *domain.Demand) error {
			d.Status = domain.DemandClosed
			_, err := s.Put(ctx, d)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := demand("d-"+c.name, "open", 1)
			if _, err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag"}); err != nil {
				t.Fatal(err)
			}
			es, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: d.ID}, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(es, func(e *domain.MatchEntry) bool { return e.SupplyID == "a3" })
			if _, err := s.UpdateEntry(ctx, es[i].ID, func(e *domain.MatchEntry) error {
				e.Status, e.Reason = domain.StatusRejected, domain.RejectPrice
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := c.end(d); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"a1": "withdrawn", "a2": "withdrawn", "a3": "rejected"}
			if got := statuses(d.ID); !maps.Equal(got, want) {
				t.Fatalf("after %s: %v, want %v", c.name, got, want)
			}
			// A list the worker computed before the demand ended, saved after it.
			if _, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag"}); err != nil {
				t.Fatal(err)
			}
			if got := statuses(d.ID); !maps.Equal(got, want) {
				t.Fatalf("a stale list saved after the %s: %v, want %v", c.name, got, want)
			}
			d.Status = domain.DemandOpen
			if _, err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
			assigned, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag2"})
			if err != nil {
				t.Fatal(err)
			}
			want = map[string]string{"a1": "new", "a2": "new", "a3": "rejected"}
			if got := statuses(d.ID); !maps.Equal(got, want) || len(assigned) != 2 {
				t.Fatalf("reopened: %v (%d assigned), want %v (2 assigned)", got, len(assigned), want)
			}
		})
	}
}
