package main_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// TestServeOnPostgreSQL: with TECHMATCH_STORE_URL the server keeps its records in PostgreSQL,
// not in the data dir. A record written through the API is found by search and matched to a
// stored demand; a server started on the same database with a fresh data dir rebuilds its
// index from the store before /readyz says ready, answers the same, loads no second demo, and
// `techmatch check` finds store and index agreeing.
func TestServeOnPostgreSQL(t *testing.T) {
	db := testpg.New(t)
	storeEnv := "TECHMATCH_STORE_URL=" + db
	s := startServer(t, "", []string{"--demo"}, storeEnv)
	if _, err := os.Stat(filepath.Join(s.DataDir, "techmatch.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a SQLite file in the data dir of a server on PostgreSQL: %v", err)
	}
	if !strings.Contains(s.logs.String(), "store=postgres") {
		t.Errorf("the start log does not name the store:\n%s", s.logs)
	}
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "ach-pg-1", "title": "钠离子电池层状氧化物正极材料低成本量产技术",
		"summary": "以铁锰基层状氧化物为钠离子电池正极，原料廉价，循环寿命长，适合储能电站。", "keywords": []string{"钠离子电池", "正极材料"}}, 201)
	s.mustDo("POST", "/v1/demands", map[string]any{"id": "dem-pg-1", "title": "寻求钠离子电池正极材料量产技术",
		"description": "储能电站用钠离子电池，需要低成本层状氧化物正极材料的量产工艺。", "keywords": []string{"钠离子电池"}, "enterprise": "某储能公司"}, 201)

	found := func(s *server) bool {
		return slices.ContainsFunc(search(t, s, "q="+url.QueryEscape("钠离子电池正极")+"&size=50").Hits,
			func(h searchHit) bool { return h.ID == "ach-pg-1" })
	}
	matched := func(s *server) bool {
		var ml matchList
		s.mustDo("GET", "/v1/demands/dem-pg-1/matches?limit=20", nil, 200).decode(t, &ml)
		return slices.ContainsFunc(ml.Matches, func(m matchItem) bool { return m.ID == "ach-pg-1" })
	}
	eventually(t, "the new achievement is found by search", func() bool { return found(s) })
	eventually(t, "the new achievement is matched to the demand", func() bool { return matched(s) })
	total := func(s *server) int {
		var page struct{ Total int }
		s.mustDo("GET", "/v1/achievements?size=1", nil, 200).decode(t, &page)
		return page.Total
	}
	before := total(s)
	s.stop()

	// Another machine, as it were: the same database, an empty data dir.
	s2 := startServer(t, "", []string{"--demo"}, storeEnv)
	if !strings.Contains(s2.logs.String(), "index rebuilt from the store") {
		t.Errorf("a fresh data dir did not rebuild its index from the store:\n%s", s2.logs)
	}
	if !found(s2) || !matched(s2) {
		t.Fatal("after the restart on a fresh data dir the achievement is not found or not matched")
	}
	if n := total(s2); n != before {
		t.Errorf("achievements after the restart = %d, want %d (no second demo)", n, before)
	}
	s2.stop()

	check := exec.Command(binPath, "check")
	check.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+s2.DataDir, storeEnv)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok: store and index agree") {
		t.Fatalf("check: %v\n%s", err, out)
	}
}

// eval loads its corpus into a throw-away store of its own: never into the database
// TECHMATCH_STORE_URL names, which may be production's. (bench and fit do as eval does.)
func TestEvalLeavesTheConfiguredDatabaseAlone(t *testing.T) {
	db := testpg.New(t)
	dir := t.TempDir()
	corpus, queries := filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries.jsonl")
	writeLines(t, corpus, evalCorpus)
	writeLines(t, queries, evalQueries)
	eval := exec.Command(binPath, "eval", "--corpus", corpus, "--queries", queries)
	eval.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+t.TempDir(), "TECHMATCH_STORE_URL="+db)
	if out, err := eval.CombinedOutput(); err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	st, err := pgstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.Count(context.Background(), domain.Achievements); err != nil || n != 0 {
		t.Fatalf("achievements in the configured database after eval = %d, %v; want none", n, err)
	}
}
