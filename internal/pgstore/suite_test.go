package pgstore_test

import (
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/store/storetest"
	"github.com/techmatch/techmatch/internal/testpg"
)

var _ storetest.Store = (*pgstore.Store)(nil)

// TestConformance runs the suite every store must pass on the PostgreSQL store, on a real
// PostgreSQL.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		New: func(t *testing.T) string { return testpg.New(t) },
		Open: func(t *testing.T, url string) storetest.Store {
			return open(t, url)
		},
		OpenAnnounced: func(t *testing.T, url string, ann domain.Announcer) storetest.Store {
			return open(t, url, pgstore.WithAnnouncer(ann))
		},
		OpenCaching: func(t *testing.T, url string, n int) (storetest.Store, func() int) {
			opts := []pgstore.Option{}
			if n > 0 {
				opts = append(opts, pgstore.WithRecordCache(n))
			}
			s := open(t, url, opts...)
			return s, func() int { return pgstore.CachedRecords(s) }
		},
		Exec: func(t *testing.T, url, query string) { testpg.Exec(t, url, query) },
		RefuseAudit: func(t *testing.T, url string) func() {
			testpg.Exec(t, url, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN RAISE EXCEPTION 'audit refused'; END $$;
				CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse_audit()`)
			return func() { testpg.Exec(t, url, `DROP TRIGGER refuse_audit ON audit; DROP FUNCTION refuse_audit()`) }
		},
		// The server ends the store's connections and refuses new ones, as one going away does.
		Unavailable: func(t *testing.T, _ storetest.Store, url string) func() { return testpg.Refuse(t, url) },
	})
}
