package index_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

type evalQuery struct {
	ID       string         `json:"id"`
	Text     string         `json:"text"`
	Relevant map[string]int `json:"relevant"`
}

type corpusDoc struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Summary string   `json:"summary"`
	Fields  []string `json:"fields"`
}

// cslDir returns TECHMATCH_CSL_DIR; without it the test skips, or fails when CI=true.
func cslDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TECHMATCH_CSL_DIR")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TECHMATCH_CSL_DIR is not set")
		}
		t.Skip("TECHMATCH_CSL_DIR is not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "eval", "corpus.jsonl")); err != nil {
		t.Fatalf("TECHMATCH_CSL_DIR: %v", err)
	}
	return dir
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func corpusRecords(docs []corpusDoc) []domain.Record {
	recs := make([]domain.Record, len(docs))
	for i, d := range docs {
		a := &domain.Achievement{}
		a.ID, a.Title, a.Summary, a.Fields, a.Status = d.ID, d.Title, d.Summary, d.Fields, "active"
		recs[i] = a
	}
	return recs
}

// scores holds MRR@10 and Recall@10 over a query set.
type scores struct{ mrr, recall float64 }

func score(queries []evalQuery, rank func(q evalQuery) []string) scores {
	var s scores
	for _, q := range queries {
		ranked := rank(q)
		found := 0
		for i, id := range ranked[:min(10, len(ranked))] {
			if q.Relevant[id] > 0 {
				if found == 0 {
					s.mrr += 1 / float64(i+1)
				}
				found++
			}
		}
		s.recall += float64(found) / float64(len(q.Relevant))
	}
	n := float64(len(queries))
	return scores{s.mrr / n, s.recall / n}
}

func recallRanker(t testing.TB, ix *index.Index) func(evalQuery) []string {
	return func(q evalQuery) []string {
		hits, err := ix.Recall(context.Background(), index.RecallRequest{Title: q.Text, Kinds: []domain.Kind{domain.Achievements}, Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		return ids
	}
}

// cjkBaseline is plain bleve BM25 over one title+summary field with the cjk analyzer.
func cjkBaseline(t testing.TB, docs []corpusDoc) func(evalQuery) []string {
	im := bleve.NewIndexMapping()
	im.ScoringModel = bindex.BM25Scoring
	im.DefaultAnalyzer = cjk.AnalyzerName
	b, err := bleve.NewMemOnly(im)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	batch := b.NewBatch()
	for _, d := range docs {
		if err := batch.Index(d.ID, map[string]string{"text": d.Title + " " + d.Summary}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Batch(batch); err != nil {
		t.Fatal(err)
	}
	return func(q evalQuery) []string {
		m := query.NewMatchQuery(q.Text)
		m.SetField("text")
		res, err := b.Search(bleve.NewSearchRequestOptions(m, 10, 0, false))
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		return ids
	}
}

func loadCorpus(t testing.TB, ix *index.Index, docs []corpusDoc) {
	t.Helper()
	recs := corpusRecords(docs)
	for i := 0; i < len(recs); i += 500 {
		end := min(i+500, len(recs))
		if err := ix.Apply(context.Background(), index.Docs(recs[i:end]), nil, uint64(end)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRelevanceCSL(t *testing.T) {
	dir := cslDir(t)
	docs := readJSONL[corpusDoc](t, filepath.Join(dir, "eval", "corpus.jsonl"))
	kw2 := readJSONL[evalQuery](t, filepath.Join(dir, "eval", "queries_dev_kw2.jsonl"))
	kw1 := readJSONL[evalQuery](t, filepath.Join(dir, "eval", "queries_dev_kw1.jsonl"))
	ix := memIndex(t)
	loadCorpus(t, ix, docs)

	base := cjkBaseline(t, docs)
	b2, b1 := score(kw2, base), score(kw1, base)
	r2, r1 := score(kw2, recallRanker(t, ix)), score(kw1, recallRanker(t, ix))
	t.Logf("cjk baseline: kw2 MRR@10 %.3f Recall@10 %.3f; kw1 MRR@10 %.3f Recall@10 %.3f", b2.mrr, b2.recall, b1.mrr, b1.recall)
	t.Logf("index.Recall: kw2 MRR@10 %.3f Recall@10 %.3f; kw1 MRR@10 %.3f Recall@10 %.3f", r2.mrr, r2.recall, r1.mrr, r1.recall)
	// Compare at the three decimals the figures are quoted with. The floors: the cjk baseline
	// quoted in the data README and measured in this run, and the figures reached
	// (docs/relevance.md: kw2 0.906 / 0.956, kw1 0.639 / 0.800) less a margin of 0.002–0.003.
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"kw2 MRR@10 vs the cjk baseline in this run", r2.mrr, b2.mrr},
		{"kw2 Recall@10 vs the cjk baseline in this run", r2.recall, b2.recall},
		{"kw1 MRR@10 vs the cjk baseline in this run", r1.mrr, b1.mrr},
		{"kw1 Recall@10 vs the cjk baseline in this run", r1.recall, b1.recall},
		{"kw2 MRR@10 vs the quoted cjk baseline", r2.mrr, 0.900},
		{"kw2 Recall@10 vs the quoted cjk baseline", r2.recall, 0.955},
		{"kw2 MRR@10 reached", r2.mrr, 0.903},
		{"kw1 MRR@10 reached", r1.mrr, 0.636},
		{"kw1 Recall@10 reached", r1.recall, 0.797},
	} {
		if math.Round(c.got*1000) < math.Round(c.want*1000) {
			t.Errorf("%s: %.3f < %.3f", c.what, c.got, c.want)
		}
	}
}

// TestRelevanceVariants measures the knobs behind docs/relevance.md; it runs only when
// TECHMATCH_RELEVANCE_VARIANTS=1 because it indexes the corpus once per variant.
func TestRelevanceVariants(t *testing.T) {
	if os.Getenv("TECHMATCH_RELEVANCE_VARIANTS") != "1" {
		t.Skip("set TECHMATCH_RELEVANCE_VARIANTS=1 to measure variants")
	}
	dir := cslDir(t)
	docs := readJSONL[corpusDoc](t, filepath.Join(dir, "eval", "corpus.jsonl"))
	kw2 := readJSONL[evalQuery](t, filepath.Join(dir, "eval", "queries_dev_kw2.jsonl"))
	kw1 := readJSONL[evalQuery](t, filepath.Join(dir, "eval", "queries_dev_kw1.jsonl"))
	seg := segmenter(t)
	base := index.DefaultTuning()
	with := func(f func(*index.Tuning)) index.Tuning { v := base; f(&v); return v }
	for _, v := range []struct {
		name string
		tune index.Tuning
	}{
		{"default", base},
		{"no sub-word parts", with(func(v *index.Tuning) { v.SubParts = false })},
		{"no BM25 in Text", with(func(v *index.Tuning) { v.BM25Share = 0 })},
		{"BM25 share 0.5", with(func(v *index.Tuning) { v.BM25Share = 0.5 })},
		{"BM25 saturation 0.3", with(func(v *index.Tuning) { v.BM25Sat = 0.3 })},
		{"every key selects", with(func(v *index.Tuning) { v.KeyShare = 0 })},
		{"common keys 2%, 0.5", with(func(v *index.Tuning) { v.KeyShare, v.MaxMissed = 0.02, 0.5 })},
		{"common keys 5%, 1", with(func(v *index.Tuning) { v.MaxMissed = 1 })},
		{"pruned lists filled", with(func(v *index.Tuning) { v.MinFill = 1 })},
	} {
		ix, err := index.OpenMem(seg, index.WithTune(v.tune))
		if err != nil {
			t.Fatal(err)
		}
		loadCorpus(t, ix, docs)
		r2, r1 := score(kw2, recallRanker(t, ix)), score(kw1, recallRanker(t, ix))
		t.Logf("%-18s kw2 MRR@10 %.3f Recall@10 %.3f; kw1 MRR@10 %.3f Recall@10 %.3f", v.name, r2.mrr, r2.recall, r1.mrr, r1.recall)
		ix.Close()
	}
}
