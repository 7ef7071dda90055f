package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// testDemandHead checks that the head follows every write that must change a cached match
// answer's key or guard: a replace (rev, owner), a workflow change (feedback) and a delete,
// including another process's writes.
func testDemandHead(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	d := demand("dem-1", "open", 1)
	must(t, errOf(s.Put(ctx, d)))
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
	must(t, errOf(s.Put(ctx, d2)))
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
	other := b.Open(t, where)
	d3 := demand("dem-1", "closed", 3)
	must(t, errOf(other.Put(ctx, d3)))
	head(domain.DemandHead{ID: "dem-1", Rev: 3, Enterprise: d3.Enterprise, Feedback: 2})
	if got, err := s.Get(ctx, domain.Demands, "dem-1"); err != nil || got.GetMeta().Rev != 3 {
		t.Fatalf("Get after another process's write = %+v, %v; want rev 3", got, err)
	}

	must(t, s.Delete(ctx, domain.Demands, "dem-1"))
	if _, err := s.DemandHead(ctx, "dem-1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DemandHead after delete: %v, want ErrNotFound", err)
	}
	must(t, errOf(s.Put(ctx, achievement("dem-2", 1))))
	if _, err := s.DemandHead(ctx, "dem-2"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DemandHead of an achievement's id: %v, want ErrNotFound", err)
	}
}

func expertLinking(id string, achievements, patents []string) *domain.Expert {
	e := &domain.Expert{}
	e.ID, e.Title, e.Status = id, "专家 "+id, "active"
	e.AchievementIDs, e.PatentIDs = achievements, patents
	return e
}

// The links follow every write of an expert: a put replaces them, a delete drops them.
func testExpertsLinkingFollowsWrites(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	linking := func(k domain.Kind, ids ...string) []string {
		t.Helper()
		got, err := s.ExpertsLinking(ctx, k, ids)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	must(t, s.PutMany(ctx, []domain.Record{
		expertLinking("e1", []string{"a1", "a2", "a2"}, []string{"p1"}),
		expertLinking("e2", []string{"a2"}, nil),
	}))
	if got := linking(domain.Achievements, "a2", "a9"); !slices.Equal(got, []string{"e1", "e2"}) {
		t.Errorf("linking a2 = %v, want [e1 e2]", got)
	}
	if got := linking(domain.Patents, "p1"); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("linking p1 = %v, want [e1]", got)
	}
	if got := linking(domain.Achievements, "p1"); len(got) != 0 {
		t.Errorf("an achievement id p1 = %v, want none (p1 is a patent)", got)
	}
	if got := linking(domain.Achievements); len(got) != 0 {
		t.Errorf("linking no ids = %v, want none", got)
	}
	must(t, errOf(s.Put(ctx, expertLinking("e1", []string{"a3"}, nil))))
	if got := linking(domain.Achievements, "a1", "a2", "a3"); !slices.Equal(got, []string{"e1", "e2"}) {
		t.Errorf("after e1 relinked to a3: %v, want [e1 e2]", got)
	}
	if got := linking(domain.Achievements, "a1"); len(got) != 0 {
		t.Errorf("a1 after e1 dropped it: %v, want none", got)
	}
	must(t, s.Delete(ctx, domain.Experts, "e2"))
	if got := linking(domain.Achievements, "a2"); len(got) != 0 {
		t.Errorf("a2 after e2 was deleted: %v, want none", got)
	}
}
