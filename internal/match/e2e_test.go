package match_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// records is a map-backed Records over the demo data.
type records map[domain.Kind]map[string]domain.Record

func (r records) GetMany(_ context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	out := make(map[string]domain.Record, len(ids))
	for _, id := range ids {
		if rec, ok := r[k][id]; ok {
			out[id] = rec
		}
	}
	return out, nil
}

var _ match.Searcher = (*index.Index)(nil)

type demo struct {
	svc  *match.Service
	recs records
	ix   *index.Index
	tax  *taxonomy.Taxonomy
}

var (
	demoOnce sync.Once
	demoEnv  demo
	demoErr  error
)

// loadDemo indexes configs/demo in memory once for all tests: jieba costs ~0.5 s to load.
func loadDemo(t testing.TB) demo {
	t.Helper()
	demoOnce.Do(func() { demoEnv, demoErr = buildDemo(loadTaxonomy(t)) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoEnv
}

func buildDemo(tax *taxonomy.Taxonomy) (demo, error) {
	recs := records{}
	var all []domain.Record
	for _, k := range domain.AllKinds {
		data, err := os.ReadFile(filepath.Join("../../configs/demo", string(k)+".ndjson"))
		if err != nil {
			return demo{}, err
		}
		recs[k] = map[string]domain.Record{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			rec, err := domain.DecodeRecord(k, sc.Bytes())
			if err != nil {
				return demo{}, fmt.Errorf("%s line %d: %w", k, n, err)
			}
			// The store sets updated_at; a fixed age keeps freshness, and so the golden files, stable.
			rec.GetMeta().UpdatedAt = clock.AddDate(0, -3, 0)
			recs[k][rec.GetMeta().ID] = rec
			all = append(all, rec)
		}
	}
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		return demo{}, err
	}
	ix, err := index.OpenMem(seg, index.WithVariants(demoVariants()))
	if err != nil {
		return demo{}, err
	}
	docs := index.Docs(all)
	for i, d := range docs {
		if e, ok := d.Record.(*domain.Expert); ok {
			docs[i].Extra, _ = index.ExpertLinkedText(context.Background(), recs, e)
		}
	}
	if err := ix.Apply(context.Background(), docs, nil, 1); err != nil {
		return demo{}, err
	}
	svc := match.New(ix, recs, tax, demoNoise()).WithClock(func() time.Time { return clock })
	return demo{svc: svc, recs: recs, ix: ix, tax: tax}, nil
}

// demoNoise is the demand-noise words the server gives the matcher.
func demoNoise() []string { return configs.MustWordList("demand_noise.txt") }

// demoVariants reads the configured groups of variant terms, as the server does.
func demoVariants() [][]string {
	var groups [][]string
	for _, l := range configLines("variants.txt") {
		groups = append(groups, strings.Fields(l))
	}
	return groups
}

// configLines reads the lines of a file of configs/dict, less blanks and # comments; none when
// it does not exist. Variants are groups, one a line, not words (configs.WordList).
func configLines(name string) []string {
	data, err := os.ReadFile(filepath.Join("../../configs/dict", name))
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if w := strings.TrimSpace(l); w != "" && !strings.HasPrefix(w, "#") {
			lines = append(lines, w)
		}
	}
	return lines
}

// goldenMatch is what the golden files pin: the order and what an agent reads. Scores, the
// matched keywords and exclusion counts are left out: they follow the index's text relevance,
// which is tuned separately, and a golden diff should mean the ranking or a reason changed.
type goldenMatch struct {
	Kind    domain.Kind `json:"kind"`
	ID      string      `json:"id"`
	Title   string      `json:"title"`
	Reasons []string    `json:"reasons"`
}

type goldenList struct {
	Query    string        `json:"query"`
	Inferred []string      `json:"inferred,omitempty"`
	Top      []goldenMatch `json:"top"`
}

func golden(query string, l *domain.MatchList, n int) goldenList {
	g := goldenList{Query: query, Inferred: l.Inferred, Top: []goldenMatch{}}
	for _, m := range l.Matches[:min(n, len(l.Matches))] {
		var reasons []string
		for _, r := range m.Reasons {
			if !strings.HasPrefix(r, "匹配关键词：") {
				reasons = append(reasons, r)
			}
		}
		g.Top = append(g.Top, goldenMatch{m.Kind, m.ID, m.Title, reasons})
	}
	return g
}

func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff:\n%s", path, data)
	}
}

// goldenDemands are demo demands a technology-transfer agent would recognise: structured ones,
// plain sentences (dem-001, dem-010, dem-023) and different fields.
var goldenDemands = []string{"dem-001", "dem-004", "dem-010", "dem-011", "dem-017", "dem-023", "dem-026", "dem-036"}

func TestGoldenDemandMatches(t *testing.T) {
	env := loadDemo(t)
	var got []goldenList
	for _, id := range goldenDemands {
		d := env.recs[domain.Demands][id].(*domain.Demand)
		l, err := env.svc.MatchDemand(context.Background(), d, nil, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.DemandID != id || len(l.Matches) == 0 {
			t.Fatalf("%s: demand_id %q, %d matches", id, l.DemandID, len(l.Matches))
		}
		got = append(got, golden(id+" "+d.Title, l, 3))
	}
	checkGolden(t, "demand_matches.golden.json", got)
}

func TestGoldenSupplyMatches(t *testing.T) {
	env := loadDemo(t)
	var got []goldenList
	for _, key := range []index.DocKey{{Kind: domain.Achievements, ID: "ach-001"}, {Kind: domain.Patents, ID: "pat-001"}, {Kind: domain.Experts, ID: "exp-001"}} {
		rec := env.recs[key.Kind][key.ID].(domain.SupplyRecord)
		l, err := env.svc.MatchSupply(context.Background(), rec, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.SupplyID != key.ID || l.DemandID != "" {
			t.Fatalf("%s: supply_id %q demand_id %q", key.ID, l.SupplyID, l.DemandID)
		}
		for _, m := range l.Matches {
			if m.Kind != domain.Demands {
				t.Fatalf("%s: reverse match lists a %s", key.ID, m.Kind)
			}
		}
		got = append(got, golden(key.ID+" "+rec.Common().Title, l, 3))
	}
	checkGolden(t, "supply_matches.golden.json", got)
}

// TestEveryListedMatchSaysWhatTextItShares runs every demo demand's list and every supply
// item's reverse list at limit 10 and checks that each listed match names a term or a word of
// one it shares with the other side (匹配关键词 or 部分匹配). A record sharing only a generic word
// is no text match: dem-021, a bird-flu vaccine demand, listed a rare-earth magnet and a licorice
// extract that share only 生产 with it, their field, budget and TRL scores carrying them in.
func TestEveryListedMatchSaysWhatTextItShares(t *testing.T) {
	env := loadDemo(t)
	ctx := context.Background()
	says := func(what string, m domain.Match) {
		for _, r := range m.Reasons {
			if strings.HasPrefix(r, "匹配关键词：") || strings.HasPrefix(r, "部分匹配：") {
				return
			}
		}
		t.Errorf("%s lists %s %s (text %.3f) naming nothing it shares: %q", what, m.ID, m.Title, m.Components["text"], m.Reasons)
	}
	listed := 0
	for id, r := range env.recs[domain.Demands] {
		l, err := env.svc.MatchDemand(ctx, r.(*domain.Demand), nil, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range l.Matches {
			says(id, m)
		}
		listed += len(l.Matches)
	}
	for _, k := range domain.SupplyKinds {
		for id, r := range env.recs[k] {
			l, err := env.svc.MatchSupply(ctx, r.(domain.SupplyRecord), 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range l.Matches {
				says(id, m)
			}
			listed += len(l.Matches)
		}
	}
	if listed < 400 {
		t.Fatalf("only %d matches listed; the demo data should give more", listed)
	}
}

// TestPlanIsDemandTalk: 方案 in a demand is talk (…的方案, 降本方案), not a technology. Matched,
// it listed an offshore-wind anticorrosion method and a language-model expert, whose texts say
// 方案, for a cement plant's carbon-emission demand, and the same expert for dem-006.
func TestPlanIsDemandTalk(t *testing.T) {
	env := loadDemo(t)
	for _, tt := range []struct {
		d   *domain.Demand
		not []string
	}{
		{&domain.Demand{Title: "想要一个能降低水泥生产碳排放的方案，预算500万以内"}, []string{"ach-054", "exp-025"}},
		{env.recs[domain.Demands]["dem-006"].(*domain.Demand), []string{"exp-025"}},
	} {
		l, err := env.svc.MatchDemand(context.Background(), tt.d, nil, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range l.Matches {
			if slices.Contains(tt.not, m.ID) || slices.ContainsFunc(m.Reasons, func(r string) bool { return strings.Contains(r, "方案") }) {
				t.Errorf("%q lists %s %s: %q", tt.d.Title, m.ID, m.Title, m.Reasons)
			}
		}
	}
}

// TestVariantsAreNamedAsHeld: an enterprise types 钠电池 and 锂电池 where the records say
// 钠离子电池 and 锂离子电池 (configs/dict/variants.txt). The records are matched as holding the
// term, and the reasons name the form the record holds, which its text has verbatim.
func TestVariantsAreNamedAsHeld(t *testing.T) {
	env := loadDemo(t)
	for _, tt := range []struct{ title, id, named string }{
		{"钠电池 正极材料", "ach-008", "匹配关键词：钠离子电池"},
		{"锂电池 热失控", "ach-004", "匹配关键词：锂离子电池"},
	} {
		l, err := env.svc.MatchDemand(context.Background(), &domain.Demand{Title: tt.title}, nil, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(l.Matches, func(m domain.Match) bool { return m.ID == tt.id })
		if i < 0 {
			t.Errorf("%q: %s not in the top 3: %v", tt.title, tt.id, l.Matches)
			continue
		}
		if !slices.ContainsFunc(l.Matches[i].Reasons, func(r string) bool { return strings.Contains(r, tt.named) }) {
			t.Errorf("%q → %s: reasons %q name no %s", tt.title, tt.id, l.Matches[i].Reasons, tt.named)
		}
	}
}

// TestReverseScoresAsForward: a pair's text relevance is one number whichever side is matched.
// Every demand a supply item's reverse list names carries the Text, and the text reason, that
// the supply item has in the demand's forward list.
func TestReverseScoresAsForward(t *testing.T) {
	d := loadDemo(t)
	ctx := context.Background()
	p := domain.TextOnlyProfile()
	checked := 0
	for _, k := range domain.SupplyKinds {
		for _, id := range slices.Sorted(maps.Keys(d.recs[k])) {
			sup := d.recs[k][id].(domain.SupplyRecord)
			rev, err := d.svc.MatchSupply(ctx, sup, 10, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range rev.Matches {
				dem := d.recs[domain.Demands][m.ID].(*domain.Demand)
				fwd, err := d.svc.MatchDemand(ctx, dem, []domain.Kind{k}, match.MaxLimit, p)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(fwd.Matches, func(f domain.Match) bool { return f.ID == id })
				if i < 0 {
					t.Errorf("%s %s lists %s (text %.4f), whose own list does not hold it", k, id, m.ID, m.Components["text"])
					continue
				}
				if f := fwd.Matches[i]; f.Components["text"] != m.Components["text"] {
					t.Errorf("%s %s ↔ %s: text %.4f reverse, %.4f forward", k, id, m.ID, m.Components["text"], f.Components["text"])
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d pairs checked: the demo should give more", checked)
	}
	t.Logf("%d pairs scored alike both ways", checked)
}
