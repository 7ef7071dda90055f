package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/bench"
	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/indexer"
	"github.com/techmatch/techmatch/internal/match"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

func loadTaxonomy(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tx, err := configs.FS.ReadFile("taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rg, err := configs.FS.ReadFile("regions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tax, err := taxonomy.Load(tx, rg)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func newGenerator(t testing.TB, src *bench.Source, seed uint64) *bench.Generator {
	t.Helper()
	rg, err := configs.FS.ReadFile("regions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	regions, err := bench.RegionCodes(rg)
	if err != nil {
		t.Fatal(err)
	}
	g, err := bench.NewGenerator(src, loadTaxonomy(t).Fields(), regions, seed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func demoSource(t testing.TB) *bench.Source {
	t.Helper()
	src, err := bench.ReadDemo(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"chinese stops", "第一句话在这里结束。第二句话也在这里结束；", []string{"第一句话在这里结束。", "第二句话也在这里结束；"}},
		{"decimal kept", "离子电导率达到8.2 mS/cm以上.结果良好但是很短", []string{"离子电导率达到8.2 mS/cm以上.", "结果良好但是很短"}},
		{"short fragment dropped", "短。这一句足够长可以保留下来。", []string{"这一句足够长可以保留下来。"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bench.Sentences(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	src := demoSource(t)
	encode := func(g *bench.Generator, n int) string {
		data, err := json.Marshal([]any{g.Supply(n), g.Demands(n)})
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	a, b, other := newGenerator(t, src, 7), newGenerator(t, src, 7), newGenerator(t, src, 8)
	if encode(a, 200) != encode(b, 200) {
		t.Error("two generators with seed 7 made different corpora")
	}
	if encode(a, 200) == encode(other, 200) {
		t.Error("seeds 7 and 8 made the same corpus")
	}
	// A small corpus is the start of a large one.
	small, large := a.Supply(50), a.Supply(300)
	if !reflect.DeepEqual(small, large[:50]) {
		t.Error("Supply(50) is not the first 50 records of Supply(300)")
	}
}

func TestGeneratedRecordsAreValidAndSized(t *testing.T) {
	g := newGenerator(t, demoSource(t), 1)
	const n = 2000
	kinds := map[domain.Kind]int{}
	ids := map[string]bool{}
	var bytes int
	for _, r := range g.Supply(n) {
		if err := r.Validate(); err != nil {
			t.Fatalf("%s %s: %v", r.RecordKind(), r.GetMeta().ID, err)
		}
		kinds[r.RecordKind()]++
		ids[r.GetMeta().ID] = true
		c := r.(domain.SupplyRecord).Common()
		if r.RecordKind() != domain.Experts {
			if runes := utf8.RuneCountInString(c.Title); runes < 20 || runes > 40 {
				t.Errorf("%s: title %q has %d characters, want 20–40", c.ID, c.Title, runes)
			}
		}
		bytes += len(c.Title) + len(c.Summary)
	}
	if len(ids) != n {
		t.Errorf("%d distinct ids in %d records", len(ids), n)
	}
	for _, k := range domain.SupplyKinds {
		if kinds[k] < n/20 {
			t.Errorf("%d %s in %d records, want a share of every supply kind: %v", kinds[k], k, n, kinds)
		}
	}
	if kinds[domain.Achievements] < n/2 {
		t.Errorf("achievements are %d of %d, want most", kinds[domain.Achievements], n)
	}
	if mean := bytes / n; mean < 500 || mean > 620 {
		t.Errorf("title + summary average %d bytes, want about 600", mean)
	}
	for _, d := range g.Demands(200) {
		if err := d.Validate(); err != nil {
			t.Fatalf("demand %s: %v", d.ID, err)
		}
	}
}

func TestReadPapers(t *testing.T) {
	dir := os.Getenv("TECHMATCH_CSL_DIR")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TECHMATCH_CSL_DIR is not set")
		}
		t.Skip("TECHMATCH_CSL_DIR is not set")
	}
	f, err := os.Open(filepath.Join(dir, "papers.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := bench.ReadPapers(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Papers) != 2000 {
		t.Errorf("%d papers, want 2000", len(src.Papers))
	}
	g := newGenerator(t, src, 1)
	for _, r := range g.Supply(500) {
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.GetMeta().ID, err)
		}
	}
}

func TestReadPapersRejects(t *testing.T) {
	tests := []struct{ name, input string }{
		{"not json", "{title"},
		{"no keywords", `{"title": "一种方法", "abstract": "这是一个足够长的句子。"}`},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bench.ReadPapers(strings.NewReader(tt.input)); err == nil {
				t.Error("no error")
			}
		})
	}
}

// env wires a techmatch over dir the way cmd/techmatch does.
func env(t *testing.T, dir string) bench.Env {
	t.Helper()
	e, closeEnv, err := openEnv(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeEnv() })
	return e
}

func openEnv(t *testing.T, dir string) (bench.Env, func() error, error) {
	ctx := context.Background()
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		return bench.Env{}, nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, "techmatch.db"))
	if err != nil {
		return bench.Env{}, nil, err
	}
	ix, _, err := index.Open(filepath.Join(dir, "index"), seg)
	if err != nil {
		st.Close()
		return bench.Env{}, nil, err
	}
	e := bench.Env{
		Store:      st,
		Indexer:    indexer.New(st, ix, indexer.Options{}),
		Matcher:    match.New(ix, st, loadTaxonomy(t), nil),
		Generation: ix.Generation,
		Profile:    match.DefaultProfile(),
		Settle:     ix.WaitSettled,
	}
	return e, func() error { return errors.Join(ix.Close(), st.Close()) }, nil
}

// one is the single SQLite side of a run over e, which the test closes.
func one(e bench.Env) []bench.Side {
	return []bench.Side{{Store: "sqlite", Open: func(context.Context) (bench.Env, func() error, error) {
		return e, func() error { return nil }, nil
	}}}
}

func TestRunReportsEveryFigure(t *testing.T) {
	dir := t.TempDir()
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	mem := cache.NewMemory(1000)
	defer mem.Close()
	opts := bench.Options{
		Docs: 300, Demands: 40,
		Caches:   []bench.NamedCache{{Name: "memory", Cache: mem}},
		Baseline: &bench.Baseline{Dir: filepath.Join(dir, "baseline"), Analyzer: index.AnalyzerSearch, Prepare: seg.AddAnalyzers},
	}
	rep, err := bench.Run(context.Background(), one(env(t, filepath.Join(dir, "data"))), newGenerator(t, demoSource(t), 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"index_docs_per_s", "baseline_index_docs_per_s", "index_cpu_s", "baseline_index_cpu_s", "rss_mb"} {
		if v, ok := got[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", key, got[key])
		}
	}
	if got["docs"] != 300.0 {
		t.Errorf("docs = %v, want 300", got["docs"])
	}
	for _, key := range []string{"match_ms", "cached_match_ms", "baseline_recall_ms"} {
		l, ok := got[key].(map[string]any)
		if !ok {
			t.Errorf("%s missing: %s", key, data)
			continue
		}
		p50, p95, p99 := l["p50"].(float64), l["p95"].(float64), l["p99"].(float64)
		if !(p50 >= 0 && p50 <= p95 && p95 <= p99) {
			t.Errorf("%s = %v, want 0 ≤ p50 ≤ p95 ≤ p99", key, l)
		}
		if key != "cached_match_ms" && p99 <= 0 {
			t.Errorf("%s = %v: a query took no time at all", key, l)
		}
	}
	if _, err := os.Stat(opts.Baseline.Dir); !os.IsNotExist(err) {
		t.Errorf("baseline index left behind in %s", opts.Baseline.Dir)
	}
}

func TestRunRejectsEmptyCorpus(t *testing.T) {
	_, err := bench.Run(context.Background(), one(bench.Env{}), newGenerator(t, demoSource(t), 1), bench.Options{Docs: 0, Demands: 10})
	if err == nil {
		t.Error("no error for --docs 0")
	}
}

// TestRunSettlesBothSides checks that Settle waits after indexing, on both sides, for the
// merges to finish before queries are timed, and that a cancelled context ends the wait.
func TestRunSettlesBothSides(t *testing.T) {
	dir := t.TempDir()
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	opts := bench.Options{
		Docs: 50, Demands: 5, Settle: time.Minute, Progress: &progress,
		Baseline: &bench.Baseline{Dir: filepath.Join(dir, "baseline"), Analyzer: index.AnalyzerSearch, Prepare: seg.AddAnalyzers},
	}
	if _, err := bench.Run(context.Background(), one(env(t, filepath.Join(dir, "data"))), newGenerator(t, demoSource(t), 1), opts); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"baseline", "techmatch"} {
		if !strings.Contains(progress.String(), side+": merges settled after") {
			t.Errorf("no settled merges reported for %s:\n%s", side, progress.String())
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	e := env(t, filepath.Join(dir, "data2"))
	e.Settle = func(ctx context.Context, max time.Duration) (time.Duration, bool, error) {
		cancel()
		<-ctx.Done()
		return 0, false, ctx.Err()
	}
	opts = bench.Options{Docs: 50, Demands: 5, Settle: time.Hour, Progress: &progress}
	if _, err := bench.Run(ctx, one(e), newGenerator(t, demoSource(t), 1), opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the wait: err = %v, want context.Canceled", err)
	}
}

// TestRunComparesStores measures two sides in one run, each opened once the one before is
// closed, and reports and prints them side by side.
func TestRunComparesStores(t *testing.T) {
	dir := t.TempDir()
	var open []string // the sides open at each Open
	var opened []string
	side := func(name string) bench.Side {
		return bench.Side{Store: name, Open: func(context.Context) (bench.Env, func() error, error) {
			opened = append(opened, strings.Join(open, ","))
			open = append(open, name)
			e, closeEnv, err := openEnv(t, filepath.Join(dir, name))
			return e, func() error {
				open = slices.DeleteFunc(open, func(s string) bool { return s == name })
				return closeEnv()
			}, err
		}}
	}
	mem := cache.NewMemory(1000)
	defer mem.Close()
	opts := bench.Options{Docs: 200, Demands: 20, LongDemands: 5, Caches: []bench.NamedCache{{Name: "memory", Cache: mem}}}
	rep, err := bench.Run(context.Background(), []bench.Side{side("sqlite"), side("other")}, newGenerator(t, demoSource(t), 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opened, []string{"", ""}) || len(open) != 0 {
		t.Errorf("sides open when each was opened: %q, left open: %q; want none, none", opened, open)
	}
	stores := rep.Stores()
	if len(stores) != 2 || stores[0].Store != "sqlite" || stores[1].Store != "other" {
		t.Fatalf("stores %+v, want sqlite then other", stores)
	}
	for _, f := range stores {
		if f.IndexDocsPerS <= 0 || f.MatchMS.P95 <= 0 || f.LongMatchMS == nil || f.LongMatchMS.P95 <= 0 || f.RSSMB <= 0 {
			t.Errorf("%s: %+v, want every figure measured", f.Store, f)
		}
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Store    string           `json:"store"`
		Compared []map[string]any `json:"compared"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Store != "sqlite" || len(got.Compared) != 1 || got.Compared[0]["store"] != "other" {
		t.Errorf("JSON %s: want the first store at the top level and the other in compared", data)
	}
	var out strings.Builder
	rep.Print(&out)
	for _, want := range []string{"sqlite", "other", "sqlite: uncached match p95", "other: uncached match p95", " on other"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, out.String())
		}
	}
}
