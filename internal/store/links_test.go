package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

func expertLinking(id string, achievements, patents []string) *domain.Expert {
	e := &domain.Expert{}
	e.ID, e.Title, e.Status = id, "专家 "+id, "active"
	e.AchievementIDs, e.PatentIDs = achievements, patents
	return e
}

func linking(t *testing.T, s *store.Store, k domain.Kind, ids ...string) []string {
	t.Helper()
	got, err := s.ExpertsLinking(context.Background(), k, ids)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A database from before the link table gets it filled from the experts already stored.
func TestExpertLinksMigrationFillsExisting(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	if err := s.PutMany(ctx, []domain.Record{
		expertLinking("e1", []string{"a1"}, []string{"p1"}),
		achievement("a1", 1),
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	// Back to schema version 3: no link table (nor what later versions added).
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(slices.Concat(undoReplicas, undoChallenges, undoAuditTrail), `DROP TABLE expert_links`, `PRAGMA user_version = 3`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s = openAt(t, path)
	if got := linking(t, s, domain.Achievements, "a1"); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("linking a1 after the migration = %v, want [e1]", got)
	}
	if got := linking(t, s, domain.Patents, "p1"); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("linking p1 after the migration = %v, want [e1]", got)
	}
}
