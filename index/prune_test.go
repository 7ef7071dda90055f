package index_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// TestRecallPrunesOnlyLowCoverage checks what selecting candidates by their rarest bigrams
// (requiredQuery) gives up, against the same index searched with every key: a hit both return has
// the same score and coverage, and a hit only the full search returns could not reach more than
// MaxMissed of Coverage. A record the full search ranks among its top hits and the pruned search
// selects is among the pruned search's top hits too, which has fewer records to rank, so anything
// missing was not selected (or tied with the last hit: scorch breaks ties by its internal
// document order, which depends on how its segments were merged).
func TestRecallPrunesOnlyLowCoverage(t *testing.T) {
	dir := cslDir(t)
	docs := readJSONL[corpusDoc](t, filepath.Join(dir, "eval", "corpus.jsonl"))
	var texts []string
	for _, name := range []string{"queries_dev_kw2.jsonl", "queries_dev_kw1.jsonl"} {
		for _, q := range readJSONL[evalQuery](t, filepath.Join(dir, "eval", name)) {
			texts = append(texts, q.Text)
		}
	}
	for _, d := range docs[:200] { // titles: longer queries, cut into several terms
		texts = append(texts, d.Title)
	}
	tune := index.DefaultTuning()
	if tune.KeyShare <= 0 || tune.MaxMissed <= 0 {
		t.Fatalf("default tuning does not prune: %+v", tune)
	}
	every := tune
	every.KeyShare = 0
	// Variants (WithVariants) give terms and parts other forms whose keys select too; these
	// groups put them on common words, where pruning decides, as well as on rare terms, and
	// give a rare term a common form (方法, not a true variant): a record holding only that holds
	// the term whole, so the bound must let its key select.
	variants := index.WithVariants([][]string{{"高效液相色谱", "hplc", "方法"}, {"gps", "全球定位系统"}, {"中医药", "中医中药"},
		{"研究", "探讨"}, {"分析", "解析"}, {"系统", "体系"}, {"模型", "模式"}, {"控制", "调控"}})
	pruned, full := memIndex(t, index.WithTune(tune), variants), memIndex(t, index.WithTune(every), variants)
	loadCorpus(t, pruned, docs)
	loadCorpus(t, full, docs)

	ctx := context.Background()
	var missing, queries int
	for i, text := range texts {
		req := index.RecallRequest{Title: text, Size: 50}
		if i%2 == 1 {
			req.Kinds = []domain.Kind{domain.Achievements} // the restricted path of restrict
		}
		got, err := pruned.Recall(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.Recall(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]index.Hit{}
		floor := math.Inf(-1) // the lowest score of a full pruned list: ties there fall either way
		for _, h := range got {
			byID[h.ID] = h
			if len(got) == req.Size && (floor == math.Inf(-1) || h.Score < floor) {
				floor = h.Score
			}
		}
		lost := 0
		for _, w := range want {
			g, ok := byID[w.ID]
			if !ok {
				lost++
				if w.Held > tune.MaxMissed+1e-9 && w.Score > floor*(1+1e-9) {
					t.Errorf("%q: %s (Held %.3f > %.2f) is not recalled", text, w.ID, w.Held, tune.MaxMissed)
				}
				continue
			}
			if math.Abs(g.Score-w.Score) > 1e-9*math.Max(1, w.Score) || g.Coverage != w.Coverage {
				t.Errorf("%q: %s scored %.6f / %.3f, with every key %.6f / %.3f", text, w.ID, g.Score, g.Coverage, w.Score, w.Coverage)
			}
		}
		if lost > 0 {
			missing += lost
			queries++
		}
	}
	t.Logf("%d of %d queries left out %d low-coverage hits of the full search's top 50", queries, len(texts), missing)
	if queries == 0 {
		t.Error("no query pruned anything: the test does not exercise requiredQuery")
	}
}
