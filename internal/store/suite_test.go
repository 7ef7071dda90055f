package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/store/storetest"
)

var _ storetest.Store = (*store.Store)(nil)

// TestConformance runs the suite every store must pass on the SQLite store.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		New: func(t *testing.T) string { return filepath.Join(t.TempDir(), "data", "techmatch.db") },
		Open: func(t *testing.T, path string) storetest.Store {
			return openAt(t, path)
		},
		OpenAnnounced: func(t *testing.T, path string, ann domain.Announcer) storetest.Store {
			return openAt(t, path, store.WithAnnouncer(ann))
		},
		OpenCaching: func(t *testing.T, path string, n int) (storetest.Store, func() int) {
			opts := []store.Option{}
			if n > 0 {
				opts = append(opts, store.WithRecordCache(n))
			}
			s := openAt(t, path, opts...)
			return s, func() int { return store.CachedRecords(s) }
		},
		Exec: execSQLite,
		RefuseAudit: func(t *testing.T, path string) func() {
			execSQLite(t, path, `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)
			return func() { execSQLite(t, path, `DROP TRIGGER refuse_audit`) }
		},
		// No page beyond the ones in use: the next write that needs a page is SQLITE_FULL.
		Unavailable: func(t *testing.T, s storetest.Store, _ string) func() {
			setPages := func(n string) {
				if err := store.ExecWrite(s.(*store.Store), `PRAGMA max_page_count = `+n); err != nil {
					t.Fatal(err)
				}
			}
			setPages("1")
			return func() { setPages("1073741823") }
		},
	})
}

// execSQLite runs query on the database file at path over a connection of its own.
func execSQLite(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
