package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutcomesRefit works two demands' match lists as agents do (a deal signed, a negotiation,
// a contact, rejections as not relevant and for price), exports them with `techmatch outcomes`
// beside the running server, and fits and evaluates the text model on what it wrote.
func TestOutcomesRefit(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	for i := range 5 {
		s.mustDo("POST", "/v1/achievements", battery(fmt.Sprintf("a-%d", i), fmt.Sprintf("固态电解质制备技术 %d 型", i), 6, 40, 60), 201)
	}
	want := map[string]int{} // "demand record" → level
	for _, d := range []string{"d-1", "d-2"} {
		s.mustDo("POST", "/v1/demands", batteryDemand(d, "320100"), 201)
		es := entriesOf(t, s, d, 5)
		steps := [][]map[string]any{
			{{"status": "contacted"}, {"status": "negotiating"}, {"status": "signed", "deal_amount": 80.0}},
			{{"status": "contacted"}, {"status": "negotiating"}},
			{{"status": "contacted"}},
			{{"status": "rejected", "reason": "not_relevant"}},
			{{"status": "rejected", "reason": "price"}},
		}
		for i, e := range es {
			for _, body := range steps[i] {
				s.mustDo("PATCH", "/v1/matches/"+e.ID, body, 200)
			}
			want[d+" "+e.SupplyID] = []int{4, 3, 2, 1, 3}[i]
		}
	}

	out := t.TempDir()
	msg, err := runCLI(t, s.DataDir, "outcomes", "--out", out)
	if err != nil || !strings.Contains(msg, "achievements: 10 judged pairs over 2 demands, corpus of 5 records") {
		t.Fatalf("outcomes: %v\n%s", err, msg)
	}
	lines := func(name string) []map[string]any {
		t.Helper()
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var got []map[string]any
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, m)
		}
		return got
	}
	pairs := lines("pairs-achievements.jsonl")
	if len(pairs) != len(want) {
		t.Errorf("%d pairs, want %d: %v", len(pairs), len(want), pairs)
	}
	for _, p := range pairs {
		if key := fmt.Sprint(p["demand"], " ", p["record"]); p["level"] != float64(want[key]) {
			t.Errorf("pair %s level %v, want %d", key, p["level"], want[key])
		}
	}
	queries := lines("queries-achievements.jsonl")
	if len(queries) != 2 {
		t.Fatalf("%d queries, want 2: %v", len(queries), queries)
	}
	for _, q := range queries {
		rel, _ := q["relevant"].(map[string]any)
		demand, _ := q["demand"].(map[string]any)
		if len(rel) != 3 || demand["title"] == nil || demand["region"] != nil {
			t.Errorf("query %v: want the demand's text only and its 3 related records (signed, negotiating, rejected for price)", q)
		}
	}
	if n := len(lines("corpus-achievements.jsonl")); n != 5 {
		t.Errorf("corpus of %d records, want 5", n)
	}
	for _, k := range []string{"patents", "experts"} {
		if _, err := os.Stat(filepath.Join(out, "pairs-"+k+".jsonl")); err == nil {
			t.Errorf("a %s set was written with no judged %s", k, k)
		}
	}

	set := "name=platform,kind=achievements,corpus=" + filepath.Join(out, "corpus-achievements.jsonl") +
		",queries=" + filepath.Join(out, "queries-achievements.jsonl") + ",pairs=" + filepath.Join(out, "pairs-achievements.jsonl")
	model := filepath.Join(out, "model.json")
	if msg, err := runCLI(t, t.TempDir(), "fit", "--set", set, "--folds", "2", "--out", model); err != nil || !strings.Contains(msg, "wrote "+model) {
		t.Errorf("fit on the outcomes: %v\n%s", err, msg)
	}
	if msg, err := runCLI(t, t.TempDir(), "eval", "--corpus", filepath.Join(out, "corpus-achievements.jsonl"), "--kind", "achievements",
		"--queries", filepath.Join(out, "queries-achievements.jsonl"), "--text-model", model); err != nil || !strings.Contains(msg, "NDCG@10") {
		t.Errorf("eval on the outcomes: %v\n%s", err, msg)
	}
}
