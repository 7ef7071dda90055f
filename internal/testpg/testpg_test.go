package testpg_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/testpg"
)

func TestMain(m *testing.M) { os.Exit(testpg.Run(m)) }

func count(t *testing.T, dbURL, table string) (int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// Each test database is fresh and apart from the others of the same cluster.
func TestDatabasesAreSeparate(t *testing.T) {
	a, b := testpg.New(t), testpg.New(t)
	if a == b || !strings.HasPrefix(a, "postgres://postgres@127.0.0.1:") {
		t.Fatalf("URLs %q and %q: want two databases on a loopback port", a, b)
	}
	testpg.Exec(t, a, "CREATE TABLE things (id int); INSERT INTO things VALUES (1), (2)")
	if n, err := count(t, a, "things"); err != nil || n != 2 {
		t.Fatalf("things in a = %d, %v; want 2", n, err)
	}
	if _, err := count(t, b, "things"); err == nil {
		t.Fatal("b has a's table")
	}
	// Text sorts by a language's rules, not bytewise: "a" before "B".
	testpg.Exec(t, b, "CREATE TABLE words AS SELECT 'B' AS w UNION SELECT 'a'")
	if n, err := count(t, b, "words WHERE w = (SELECT min(w) FROM words) AND w = 'a'"); err != nil || n != 1 {
		t.Errorf("the least of B and a is not a (%d, %v): the database sorts bytewise", n, err)
	}
}

func TestRefuseEndsConnectionsUntilRestored(t *testing.T) {
	db := testpg.New(t)
	testpg.Exec(t, db, "CREATE TABLE things (id int)")
	ctx := context.Background()
	held, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)

	restore := testpg.Refuse(t, db)
	if _, err := count(t, db, "things"); err == nil {
		t.Fatal("a new connection was accepted while refused")
	}
	if _, err := held.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a connection made before Refuse still works")
	}
	restore()
	if n, err := count(t, db, "things"); err != nil || n != 0 {
		t.Fatalf("after restore: %d, %v; want the table back, empty", n, err)
	}
}

// A private cluster stops, refusing connections and ending the ones it has, and starts again
// on the same port with its data as it was; the shared cluster is not touched meanwhile.
func TestPrivateClusterStopsAndStartsAgain(t *testing.T) {
	c := testpg.Private(t)
	db := c.NewDatabase(t)
	other := testpg.New(t)
	testpg.Exec(t, db, "CREATE TABLE things (id int); INSERT INTO things VALUES (1), (2), (3)")
	ctx := context.Background()
	held, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)

	c.Stop()
	c.Stop() // stopping a stopped cluster does nothing
	if _, err := count(t, db, "things"); err == nil {
		t.Fatal("a new connection was accepted while stopped")
	}
	if _, err := held.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a connection made before Stop still works")
	}
	if _, err := count(t, other, "pg_class"); err != nil {
		t.Fatalf("the shared cluster went with the private one: %v", err)
	}
	c.Start()
	c.Start() // starting a running cluster does nothing
	if n, err := count(t, db, "things"); err != nil || n != 3 {
		t.Fatalf("after Start: %d, %v; want the table back with its 3 rows", n, err)
	}
	if db2 := c.NewDatabase(t); db2 == db || !strings.HasPrefix(db2, db[:strings.LastIndex(db, "/")+1]) {
		t.Errorf("second database %q beside %q: want another database on the same port", db2, db)
	}
}
