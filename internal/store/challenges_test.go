package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// The lifecycle of challenges (the deadline sweep, takeups, announcements, redelivery) is in
// the conformance suite (internal/store/storetest), which both stores run; the migration to
// schema 6 is the SQLite store's own.

func challenge(id, deadline string) *domain.Demand {
	d := demand(id, "open", 1)
	d.Challenge = &domain.Challenge{Bounty: f64(500), Deadline: deadline}
	mustValidate(d)
	return d
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
	for _, q := range append(slices.Concat(undoReplicas, undoChallenges), `UPDATE records SET body = json_remove(body, '$.closed_reason')`) {
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
