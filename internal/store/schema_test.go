package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/store"
)

func TestOpenChecksSchemaVersion(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != store.SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, store.SchemaVersion)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v, want a refusal", err)
	}
}
