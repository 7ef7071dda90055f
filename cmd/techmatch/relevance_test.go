package main_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	evalpkg "github.com/techmatch/techmatch/internal/eval"
)

// TestEvalCSL runs `techmatch eval` end to end (store, indexer, inference, matching) on the CSL
// dev query sets and holds the figures of docs/relevance.md: never below the cjk baseline of the
// same run, not below what was reached less a small margin, and the default profile with no
// structured fields within 98% of the text-only MRR.
func TestEvalCSL(t *testing.T) {
	dir := csl(t)
	run := func(queries, profile string) evalpkg.Report {
		t.Helper()
		out, err := runCLI(t, t.TempDir(), "eval", "--corpus", filepath.Join(dir, "eval", "corpus.jsonl"), "--kind", "achievements",
			"--queries", filepath.Join(dir, "eval", queries), "--profile", profile, "--baseline", "cjk", "--json")
		if err != nil {
			t.Fatalf("eval %s %s: %v\n%s", queries, profile, err, out)
		}
		// Only the last line is the report; anything before it is logging.
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var rep evalpkg.Report
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
			t.Fatalf("eval %s: %v: %s", queries, err, out)
		}
		t.Logf("%s %s: MRR@10 %.3f Recall@10 %.3f; cjk %.3f %.3f", queries, profile, rep.MRR, rep.Recall,
			rep.Baselines["cjk"].MRR, rep.Baselines["cjk"].Recall)
		return rep
	}
	kw2, kw1 := run("queries_dev_kw2.jsonl", "text-only"), run("queries_dev_kw1.jsonl", "text-only")
	kw2def := run("queries_dev_kw2.jsonl", "default")
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"kw2 MRR@10 vs cjk", kw2.MRR, kw2.Baselines["cjk"].MRR},
		{"kw2 Recall@10 vs cjk", kw2.Recall, kw2.Baselines["cjk"].Recall},
		{"kw1 MRR@10 vs cjk", kw1.MRR, kw1.Baselines["cjk"].MRR},
		{"kw1 Recall@10 vs cjk", kw1.Recall, kw1.Baselines["cjk"].Recall},
		{"kw2 MRR@10 reached (0.903)", kw2.MRR, 0.901},
		{"kw1 MRR@10 reached (0.636)", kw1.MRR, 0.633},
		{"kw2 default profile, 98% of text-only MRR@10", kw2def.MRR, 0.98 * kw2.MRR},
	} {
		// eval reports three decimals.
		if math.Round(c.got*1000) < math.Round(c.want*1000) {
			t.Errorf("%s: %.3f < %.3f", c.what, c.got, c.want)
		}
	}
}
