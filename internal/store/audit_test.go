package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// auditOf lists every audit entry, oldest first.
func auditOf(t *testing.T, s *store.Store, f domain.AuditFilter) []domain.AuditEntry {
	t.Helper()
	es, total, err := s.AuditLog(context.Background(), f, 0, 1000)
	if err != nil || total != len(es) {
		t.Fatalf("AuditLog(%+v) = %d of %d entries, %v", f, len(es), total, err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// undoAuditTrail takes a database back from schema version 5 to 4.
var undoAuditTrail = []string{
	`DROP INDEX audit_by_object`, `DROP INDEX audit_by_actor`, `DROP INDEX audit_by_time`,
	`ALTER TABLE audit DROP COLUMN request_id`, `PRAGMA user_version = 4`,
}

// A database of schema version 4 keeps its audit log through the migration, and its profile
// entries, which had no kind, get theirs.
func TestAuditTrailMigration(t *testing.T) {
	s, path := openStore(t)
	if _, err := s.Put(domain.WithActor(context.Background(), domain.Actor{Name: "admin", RequestID: "r1"}), achievement("a1", 1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(slices.Concat(undoReplicas, undoChallenges, undoAuditTrail),
		`INSERT INTO audit (at, actor, action, kind, id, detail) VALUES (1, 'admin', 'profile', '', 'default', 'version 1: ')`) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s = openAt(t, path)
	got := auditOf(t, s, domain.AuditFilter{})
	if len(got) != 2 || got[0].ID != "a1" || got[0].RequestID != "" || got[1].Kind != domain.AuditProfiles {
		t.Fatalf("audit log after the migration = %+v; want a1's entry and the profile's, of kind profiles", got)
	}
}
