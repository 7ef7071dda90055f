package main_test

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	evalpkg "github.com/techmatch/techmatch/internal/eval"
)

// evalCorpus is a small corpus of the CSL eval's shape, written here, with three queries: two
// that name a record's subject and one whose record is not in the corpus.
var evalCorpus = []string{
	`{"id":"e1","title":"锂离子电池硅碳负极材料","summary":"以纳米硅与石墨复合制备负极，首次库伦效率89%。","fields":["材料科学"]}`,
	`{"id":"e2","title":"盐碱地改良与耐盐水稻栽培","summary":"脱硫石膏改良苏打盐碱土，配套耐盐水稻品种。","fields":["农学"]}`,
	`{"id":"e3","title":"工业机器人视觉引导抓取","summary":"基于深度学习的位姿估计，用于无序分拣。","fields":["自动化"]}`,
	`{"id":"e4","title":"钠离子电池层状氧化物正极","summary":"铜铁锰层状氧化物正极，循环1000次容量保持率90%。","fields":["材料科学"]}`,
	`{"id":"e5","title":"城市污水厌氧氨氧化脱氮","summary":"主流厌氧氨氧化工艺，总氮去除率85%。","fields":["环境科学"]}`,
}

var evalQueries = []string{
	`{"id":"q1","text":"硅碳负极","relevant":{"e1":1}}`,
	`{"id":"q2","text":"盐碱地 耐盐水稻","relevant":{"e2":1}}`,
	`{"id":"q3","text":"量子点显示","relevant":{"e9":1}}`,
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEvalPerQuery runs `techmatch eval --per-query` on a small corpus: one line per query, in
// order, whose ranks give the reported MRR, with each baseline's beside it; and the file is put
// in place whole or not at all.
func TestEvalPerQuery(t *testing.T) {
	dir := t.TempDir()
	corpus, queries, per := filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries.jsonl"), filepath.Join(dir, "per.ndjson")
	writeLines(t, corpus, evalCorpus)
	writeLines(t, queries, evalQueries)
	out, err := runCLI(t, t.TempDir(), "eval", "--corpus", corpus, "--queries", queries, "--profile", "text-only",
		"--baseline", "cjk", "--per-query", per, "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rep evalpkg.Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("report: %v: %s", err, out)
	}
	type line struct {
		ID        string                    `json:"id"`
		Text      string                    `json:"text"`
		Rank      int                       `json:"rank"`
		Top       []string                  `json:"top"`
		Baselines map[string]evalpkg.Ranked `json:"baselines"`
	}
	f, err := os.Open(per)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []line
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		got = append(got, l)
	}
	if len(got) != 3 || got[0].ID != "q1" || got[1].ID != "q2" || got[2].ID != "q3" || got[1].Text != "盐碱地 耐盐水稻" {
		t.Fatalf("per-query lines = %+v, want q1, q2, q3 with their texts", got)
	}
	if got[0].Rank != 1 || got[0].Top[0] != "e1" || got[1].Rank != 1 || got[2].Rank != 0 {
		t.Errorf("ranks %d %d %d (tops %q %q), want 1 1 0", got[0].Rank, got[1].Rank, got[2].Rank, got[0].Top, got[1].Top)
	}
	rr := 0.0
	for _, l := range got {
		if l.Rank > 0 {
			rr += 1 / float64(l.Rank)
		}
		if _, ok := l.Baselines["cjk"]; !ok {
			t.Errorf("%s: no cjk baseline: %+v", l.ID, l)
		}
	}
	if want := math.Round(rr/3*1000) / 1000; rep.MRR != want {
		t.Errorf("reported MRR %v, per-query ranks give %v", rep.MRR, want)
	}

	// A run that fails leaves the file as it was, and no temporary file beside it.
	before, _ := os.ReadFile(per)
	bad := filepath.Join(dir, "bad.jsonl")
	writeLines(t, bad, []string{evalQueries[0], `{"id":"q2","text":`})
	out, err = runCLI(t, t.TempDir(), "eval", "--corpus", corpus, "--queries", bad, "--per-query", per)
	if err == nil || !strings.Contains(out, "queries line 2") {
		t.Errorf("eval with a broken queries file: err %v, output %q; want a failure naming queries line 2", err, out)
	}
	if after, _ := os.ReadFile(per); string(after) != string(before) {
		t.Errorf("a failed run changed %s", per)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".per.ndjson.*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}

	// Writing over an input is refused before anything is read.
	out, err = runCLI(t, t.TempDir(), "eval", "--corpus", corpus, "--queries", queries, "--per-query", filepath.Join(dir, ".", "queries.jsonl"))
	if err == nil || !strings.Contains(out, "is an input of the run") {
		t.Errorf("eval --per-query onto the queries file: err %v, output %q", err, out)
	}
	if got, _ := os.ReadFile(queries); string(got) != strings.Join(evalQueries, "\n")+"\n" {
		t.Errorf("the queries file changed: %q", got)
	}

	// A path that cannot be written fails at once, naming the flag.
	out, err = runCLI(t, t.TempDir(), "eval", "--corpus", corpus, "--queries", queries, "--per-query", filepath.Join(dir, "missing", "per.ndjson"))
	if err == nil || !strings.Contains(out, "--per-query") {
		t.Errorf("eval --per-query into a missing directory: err %v, output %q", err, out)
	}
}
