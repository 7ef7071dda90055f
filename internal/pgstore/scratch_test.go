package pgstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// serviceWriteLock is the key a service's store takes for its writes (pgstore's writeLock).
const serviceWriteLock int64 = 0x7465636800000001

// A store in a scratch schema keeps its tables there, leaves the service's tables in the same
// database alone, writes while a service's writer holds the service's lock, and Drop leaves
// nothing behind.
func TestScratchSchema(t *testing.T) {
	ctx := context.Background()
	url := testpg.New(t)
	service := open(t, url)
	if _, err := service.Put(ctx, achievement("live-1", 1)); err != nil {
		t.Fatal(err)
	}

	sc, err := pgstore.NewScratch(ctx, url, "techmatch_bench_")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sc.Schema, "techmatch_bench_") || len(sc.Schema) != len("techmatch_bench_")+16 {
		t.Errorf("schema %q, want techmatch_bench_ and 16 hex digits", sc.Schema)
	}
	bench := open(t, sc.URL, sc.Options()...)

	// A service's writer in the middle of a transaction: the scratch store's writes go on.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", serviceWriteLock); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := range 3 {
		if _, err := bench.Put(wctx, achievement("bench-"+string(rune('a'+i)), i)); err != nil {
			t.Fatalf("write to the scratch schema while the service's write lock is held: %v", err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", serviceWriteLock); err != nil {
		t.Fatal(err)
	}
	if n, err := bench.Count(ctx, domain.Achievements); err != nil || n != 3 {
		t.Errorf("scratch store: %d achievements, %v; want its own 3", n, err)
	}
	if n, err := service.Count(ctx, domain.Achievements); err != nil || n != 1 {
		t.Errorf("service store: %d achievements, %v; want its own 1", n, err)
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tables := `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`
	if n := count(tables, sc.Schema); n == 0 {
		t.Errorf("no tables in the scratch schema %s", sc.Schema)
	}

	_ = bench.Close()
	if err := sc.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, sc.Schema); n != 0 {
		t.Errorf("schema %s still there after Drop", sc.Schema)
	}
	if n := count(tables, sc.Schema); n != 0 {
		t.Errorf("%d tables of %s left after Drop", n, sc.Schema)
	}
	if n, err := service.Count(ctx, domain.Achievements); err != nil || n != 1 {
		t.Errorf("service store after Drop: %d achievements, %v; want 1", n, err)
	}
}

func TestScratchRefusesOtherURLs(t *testing.T) {
	for _, u := range []string{"mysql://u:secret@host/db", "host=localhost password=secret dbname=x", "/var/lib/techmatch.db"} {
		_, err := pgstore.NewScratch(context.Background(), u, "techmatch_bench_")
		if err == nil || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("NewScratch(%q) = %v, want a refusal naming postgres://", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("NewScratch(%q): the error shows the password: %v", u, err)
		}
	}
}
