package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// TestDemandHead checks that the head follows every write that must change a cached match
// answer's key or guard: a replace (rev, owner), a workflow change (feedback) and a delete.
func TestDemandHead(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	d := demand("dem-1", "open", 1)
	if _, err := s.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	head := func(want domain.DemandHead) {
		t.Helper()
		got, err := s.DemandHead(ctx, "dem-1")
		if err != nil {
			t.Fatalf("DemandHead: %v", err)
		}
		if got != want {
			t.Fatalf("DemandHead = %+v, want %+v", got, want)
		}
	}
	head(domain.DemandHead{ID: "dem-1", Rev: 1, Enterprise: d.Enterprise})

	d2 := demand("dem-1", "open", 2) // another enterprise
	if _, err := s.Put(ctx, d2); err != nil {
		t.Fatal(err)
	}
	head(domain.DemandHead{ID: "dem-1", Rev: 2, Enterprise: d2.Enterprise})

	saved, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d2, AgentID: "agent-1", Entries: []*domain.MatchEntry{{
		DemandTitle: d2.Title, SupplyKind: domain.Achievements, SupplyID: "ach-1", SupplyTitle: "t", Score: 0.8,
	}}})
	if err != nil || len(saved) != 1 {
		t.Fatalf("SaveMatches = %d entries, %v", len(saved), err)
	}
	head(domain.DemandHead{ID: "dem-1", Rev: 2, Enterprise: d2.Enterprise}) // re-matching is not feedback
	for want := int64(1); want <= 2; want++ {
		if _, err := s.UpdateEntry(ctx, saved[0].ID, func(e *domain.MatchEntry) error { e.Note = "called"; return nil }); err != nil {
			t.Fatalf("UpdateEntry: %v", err)
		}
		head(domain.DemandHead{ID: "dem-1", Rev: 2, Enterprise: d2.Enterprise, Feedback: want})
	}

	// Another process's write is seen at once: the head is read, not remembered.
	other := openAt(t, path)
	d3 := demand("dem-1", "closed", 3)
	if _, err := other.Put(ctx, d3); err != nil {
		t.Fatal(err)
	}
	head(domain.DemandHead{ID: "dem-1", Rev: 3, Enterprise: d3.Enterprise, Feedback: 2})

	if err := s.Delete(ctx, domain.Demands, "dem-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DemandHead(ctx, "dem-1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DemandHead after delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Put(ctx, achievement("dem-2", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DemandHead(ctx, "dem-2"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DemandHead of an achievement's id: %v, want ErrNotFound", err)
	}
}

// BenchmarkDemandHead is the store's part of a cached GET /v1/demands/{id}/matches, against
// the Get of the whole demand it replaces.
func BenchmarkDemandHead(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b)
	if _, err := s.Put(ctx, demand("dem-1", "open", 1)); err != nil {
		b.Fatal(err)
	}
	b.Run("head", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.DemandHead(ctx, "dem-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Get(ctx, domain.Demands, "dem-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
