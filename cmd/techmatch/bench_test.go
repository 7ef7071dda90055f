package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/bench"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// TestBenchJSON runs `techmatch bench` on a small generated corpus and checks every figure.
func TestBenchJSON(t *testing.T) {
	keep := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(binPath, "bench", "--docs", "300", "--demands", "30", "--baseline", "--json", "--keep", keep)
	cmd.Env = append(cmd.Environ(), "TECHMATCH_REDIS_URL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", stdout.String(), err)
	}
	if rep["docs"] != 300.0 {
		t.Errorf("docs = %v, want 300", rep["docs"])
	}
	for _, key := range []string{"index_docs_per_s", "baseline_index_docs_per_s", "rss_mb"} {
		if v, ok := rep[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", key, rep[key])
		}
	}
	for _, key := range []string{"match_ms", "cached_match_ms", "baseline_recall_ms"} {
		l, ok := rep[key].(map[string]any)
		if !ok {
			t.Errorf("%s missing in %s", key, stdout.String())
			continue
		}
		for _, p := range []string{"p50", "p95", "p99"} {
			if _, ok := l[p].(float64); !ok {
				t.Errorf("%s.%s = %v, want a number", key, p, l[p])
			}
		}
	}

	// The kept data dir serves: the demands bench stored are there to match.
	s := startServer(t, keep, nil)
	r := s.do("GET", "/v1/demands/bench-dem-000001/matches", nil, adminKey)
	if r.Status != http.StatusOK {
		t.Fatalf("match on the kept data dir: %d %s", r.Status, r.Body)
	}
}

// TestBenchRejectsExistingKeepDir keeps bench from writing into a data dir it did not make.
func TestBenchRejectsExistingKeepDir(t *testing.T) {
	out, err := exec.Command(binPath, "bench", "--docs", "10", "--keep", t.TempDir()).CombinedOutput()
	if err == nil {
		t.Fatalf("bench --keep on an existing dir succeeded:\n%s", out)
	}
}

// TestBenchRejectsNegativeSettle names the flag that is wrong.
func TestBenchRejectsNegativeSettle(t *testing.T) {
	out, err := exec.Command(binPath, "bench", "--docs", "10", "--settle", "-1s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--settle must not be negative") {
		t.Fatalf("bench --settle -1s: err %v, output:\n%s", err, out)
	}
}

// benchServer is a demo server whose demand dem-001 has its match list cached.
func benchServer(b *testing.B) (*server, *http.Client, *http.Request) {
	s := startServer(b, "", []string{"--demo"})
	req, err := http.NewRequest("GET", s.URL+"/v1/demands/dem-001/matches", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for i := range 2 {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Cache"); i == 1 && got != "hit" {
			b.Fatalf("second GET: X-Cache %q, want hit", got)
		}
	}
	return s, client, req
}

func get(b *testing.B, client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkCachedMatchHTTP is the whole cached path over loopback HTTP: gin, auth, the demand
// read, the key, the in-process cache hit, the answer written.
func BenchmarkCachedMatchHTTP(b *testing.B) {
	_, client, req := benchServer(b)
	for b.Loop() {
		get(b, client, req)
	}
}

// BenchmarkHealthzHTTP is the floor the cached path is compared with: gin and the middleware.
func BenchmarkHealthzHTTP(b *testing.B) {
	s, client, _ := benchServer(b)
	req, err := http.NewRequest("GET", s.URL+"/healthz", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		get(b, client, req)
	}
}

// TestBenchOnPostgreSQL: bench --store measures the PostgreSQL store beside the SQLite one, in a
// schema of its own in the given database, and leaves nothing there but what a service had
// stored before.
func TestBenchOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db := testpg.New(t)
	service, err := pgstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	live := &domain.Achievement{Supply: domain.Supply{Meta: domain.Meta{ID: "live-1"}, Title: "钠离子电池层状氧化物正极材料低成本量产技术"}}
	if err := live.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := service.Put(ctx, live); err != nil {
		t.Fatal(err)
	}
	service.Close()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tables := func() []string {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT table_schema || '.' || table_name FROM information_schema.tables
			WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	before := tables()

	cmd := exec.Command(binPath, "bench", "--docs", "300", "--demands", "20", "--long-demands", "5", "--store", db, "--json")
	// The configured store is the same database: the SQLite side must not take it either.
	cmd.Env = append(cmd.Environ(), "TECHMATCH_REDIS_URL=", "TECHMATCH_STORE_URL="+db)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench --store: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "schema techmatch_bench_") {
		t.Errorf("the progress output does not name the scratch schema:\n%s", stderr.String())
	}
	var rep struct {
		bench.Figures
		Compared []bench.Figures `json:"compared"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", stdout.String(), err)
	}
	if len(rep.Compared) != 1 || rep.Store != "sqlite" || rep.Compared[0].Store != "postgres" {
		t.Fatalf("stores in %s: want sqlite, then postgres in compared", stdout.String())
	}
	for _, f := range []bench.Figures{rep.Figures, rep.Compared[0]} {
		if f.IndexDocsPerS <= 0 || f.IndexCPUS <= 0 || f.RSSMB <= 0 {
			t.Errorf("%s: indexing %v docs/s, %v CPU-s, RSS %v MiB; want positive figures", f.Store, f.IndexDocsPerS, f.IndexCPUS, f.RSSMB)
		}
		for name, l := range map[string]*bench.Latency{"match_ms": &f.MatchMS, "long_match_ms": f.LongMatchMS, "cached_match_ms": &f.CachedMatchMS} {
			// A cache hit on SQLite may round to 0.00 ms.
			if l == nil || l.P50 < 0 || l.P50 > l.P95 || l.P95 > l.P99 || name != "cached_match_ms" && l.P50 <= 0 {
				t.Errorf("%s: %s = %+v, want 0 < p50 ≤ p95 ≤ p99 (0 ≤ p50 for a hit)", f.Store, name, l)
			}
		}
	}

	var schemas int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'techmatch_bench%'`).Scan(&schemas); err != nil {
		t.Fatal(err)
	}
	if schemas != 0 {
		t.Errorf("%d techmatch_bench schemas left in the database", schemas)
	}
	if after := tables(); !slices.Equal(after, before) {
		t.Errorf("tables after bench:\n%q\nbefore:\n%q", after, before)
	}
	service, err = pgstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer service.Close()
	if n, err := service.Count(ctx, domain.Achievements); err != nil || n != 1 {
		t.Errorf("the service's achievements after bench = %d, %v; want its 1", n, err)
	}
}

// TestBenchRejectsAStoreThatIsNotPostgreSQL says what --store wants, without the password.
func TestBenchRejectsAStoreThatIsNotPostgreSQL(t *testing.T) {
	for _, store := range []string{"mysql://bench:secret@127.0.0.1/techmatch", "/var/lib/techmatch/techmatch.db", "host=db password=secret"} {
		out, err := exec.Command(binPath, "bench", "--docs", "10", "--store", store).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--store") || !strings.Contains(string(out), "want a postgres:// or postgresql:// URL") {
			t.Errorf("bench --store %s: err %v, output:\n%s", store, err, out)
		}
		if strings.Contains(string(out), "secret") {
			t.Errorf("bench --store %s shows the password:\n%s", store, out)
		}
	}
}
