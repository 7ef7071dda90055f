package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// undoReplicas takes a database back from schema version 7 to 6.
var undoReplicas = []string{`ALTER TABLE consumers DROP COLUMN seen_at`, `PRAGMA user_version = 6`}

// A database of schema version 6 keeps its consumers' positions through the migration; they
// count as last seen long ago, which only matters for replicas' indexes.
func TestReplicasMigration(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	if err := s.SetConsumerPosition(ctx, "worklist", 7); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range undoReplicas {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	s = openAt(t, path)
	if pos, err := s.ConsumerPosition(ctx, "worklist"); err != nil || pos != 7 {
		t.Fatalf("worklist position after the migration = %d, %v; want 7", pos, err)
	}
	if err := s.SetConsumerPosition(ctx, domain.IndexConsumer("r1"), 3); err != nil {
		t.Fatal(err)
	}
}
