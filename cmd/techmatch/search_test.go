package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	evalpkg "github.com/techmatch/techmatch/internal/eval"
)

type searchAnswer struct {
	Total  int
	Hits   []searchHit
	Facets map[string][]struct {
		Value string
		Count int
	}
}

type searchHit struct {
	Kind       string
	ID         string
	Title      string
	Score      float64
	Highlights map[string][]string
	Inactive   string
	Item       map[string]any
}

func search(t *testing.T, s *server, query string) searchAnswer {
	t.Helper()
	r := s.do("GET", "/v1/search?"+query, nil, "")
	if r.Status != 200 {
		t.Fatalf("search %s: %d %s", query, r.Status, r.Body)
	}
	var a searchAnswer
	r.decode(t, &a)
	return a
}

func TestDemoSearch(t *testing.T) {
	s := startServer(t, "", []string{"--demo"})
	a := search(t, s, "q="+url.QueryEscape("锂电池"))
	if a.Total == 0 || len(a.Hits) == 0 {
		t.Fatalf("no hits for 锂电池")
	}
	// A hit shows why it was found: every hit is marked somewhere (title, summary, keywords,
	// fields, organisation, applicants…, an expert's linked records, or the pair of characters
	// it shares with a term).
	for _, q := range []string{"q=疫苗&kind=achievements", "q=储能&region=32&kind=achievements,patents", "q=传感器&trl_min=6&kind=achievements",
		"q=" + url.QueryEscape("检测") + "&field=" + url.QueryEscape("新材料") + "&kind=achievements,patents", "q=催化剂&kind=patents",
		// Experts found through their linked records, and patents sharing only 电池 of 锂电池.
		"q=" + url.QueryEscape("锂电池") + "&kind=experts", "q=" + url.QueryEscape("锂电池") + "&kind=patents"} {
		for _, h := range search(t, s, q).Hits {
			if len(h.Highlights) == 0 {
				t.Errorf("search %s: hit %s %q carries no highlight", q, h.ID, h.Title)
			}
		}
	}
	marked := false
	for _, h := range a.Hits {
		for _, frags := range h.Highlights {
			for _, f := range frags {
				if strings.Contains(f, "<mark>") {
					marked = true
				}
			}
		}
		if h.Item == nil || h.Title == "" {
			t.Errorf("hit without item or title: %+v", h)
		}
		if c, ok := h.Item["contact"].(map[string]any); ok {
			if p, _ := c["phone"].(string); p != "" && !strings.Contains(p, "****") {
				t.Errorf("anonymous search shows phone %q", p)
			}
		}
	}
	if !marked {
		t.Errorf("no <mark> highlight in %+v", a.Hits)
	}
	for _, f := range []string{"kind", "field", "region", "trl"} {
		if len(a.Facets[f]) == 0 {
			t.Errorf("facet %s missing: %+v", f, a.Facets)
		}
	}

	t.Run("filters", func(t *testing.T) {
		for _, h := range search(t, s, "q=电池&kind=patents&size=50").Hits {
			if h.Kind != "patents" {
				t.Errorf("kind filter let %s through", h.Kind)
			}
		}
		for _, h := range search(t, s, "q=技术&region=320100&size=50").Hits {
			if r, _ := h.Item["region"].(string); !strings.HasPrefix(r, "3201") {
				t.Errorf("region filter let %s through", r)
			}
		}
		for _, h := range search(t, s, "q=技术&region=32&size=50").Hits {
			if r, _ := h.Item["region"].(string); !strings.HasPrefix(r, "32") {
				t.Errorf("province filter let %s through", r)
			}
		}
		for _, h := range search(t, s, "q=技术&trl_min=7&size=50").Hits {
			if trl, _ := h.Item["trl"].(float64); trl < 7 {
				t.Errorf("trl_min let %v through", trl)
			}
		}
		for _, h := range search(t, s, "q=技术&mode=license&size=50").Hits {
			modes, _ := json.Marshal(h.Item["transfer_modes"])
			if !strings.Contains(string(modes), "license") {
				t.Errorf("mode filter let %s through", modes)
			}
		}
		for _, h := range search(t, s, "field="+url.QueryEscape("新材料")+"&size=50").Hits {
			fields, _ := json.Marshal(h.Item["fields"])
			if !strings.Contains(string(fields), "新材料") {
				t.Errorf("field filter let %s through", fields)
			}
		}
	})
	t.Run("pages", func(t *testing.T) {
		all := search(t, s, "q=技术&size=10")
		p2 := search(t, s, "q=技术&size=5&page=2")
		if all.Total < 10 || len(p2.Hits) != 5 {
			t.Fatalf("total %d, page 2 has %d", all.Total, len(p2.Hits))
		}
		for i, h := range p2.Hits {
			if h.ID != all.Hits[5+i].ID {
				t.Errorf("page 2 item %d = %s, want %s", i, h.ID, all.Hits[5+i].ID)
			}
		}
	})
	t.Run("cache", func(t *testing.T) {
		q := "/v1/search?q=" + url.QueryEscape("氢燃料电池")
		first := s.do("GET", q, nil, "")
		second := s.do("GET", q, nil, "")
		if first.Header.Get("X-Cache") != "miss" || second.Header.Get("X-Cache") != "hit" {
			t.Errorf("X-Cache %q then %q", first.Header.Get("X-Cache"), second.Header.Get("X-Cache"))
		}
	})
	t.Run("write visible", func(t *testing.T) {
		s.do("POST", "/v1/achievements", achievement("new-1", "钙钛矿叠层光伏组件封装工艺"), adminKey)
		eventually(t, "new record found", func() bool {
			for _, h := range search(t, s, "q="+url.QueryEscape("钙钛矿叠层")).Hits {
				if h.ID == "new-1" {
					return true
				}
			}
			return false
		})
		s.do("DELETE", "/v1/achievements/new-1", nil, adminKey)
		eventually(t, "deleted record gone", func() bool {
			for _, h := range search(t, s, "q="+url.QueryEscape("钙钛矿叠层")).Hits {
				if h.ID == "new-1" {
					return false
				}
			}
			return true
		})
	})
	t.Run("health", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
			if r := s.do("GET", p, nil, ""); r.Status != 200 {
				t.Errorf("%s: %d", p, r.Status)
			}
		}
		r := s.do("GET", "/metrics", nil, "")
		if !strings.Contains(string(r.Body), "techmatch_http_requests_total") {
			t.Errorf("metrics lack request counter")
		}
		var doc struct{ Paths map[string]map[string]any }
		s.do("GET", "/openapi.json", nil, "").decode(t, &doc)
		for _, p := range []string{"/v1/search", "/v1/match", "/v1/demands/{id}/matches", "/v1/patents/{id}/demands", "/v1/profiles/{name}/rollback", "/v1/experts/import"} {
			if doc.Paths[p] == nil {
				t.Errorf("openapi lacks %s", p)
			}
		}
	})
}

func TestRestartKeepsData(t *testing.T) {
	s := startServer(t, "", nil)
	s.do("POST", "/v1/achievements", achievement("keep-1", "海水淡化反渗透膜"), adminKey)
	s.restart()
	if r := s.do("GET", "/v1/achievements/keep-1", nil, ""); r.Status != 200 {
		t.Fatalf("after restart: %d", r.Status)
	}
	eventually(t, "searchable after restart", func() bool {
		return search(t, s, "q="+url.QueryEscape("反渗透膜")).Total == 1
	})
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil || !strings.Contains(out, "ok") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	// A deleted index is rebuilt from the store at start-up.
	if err := os.RemoveAll(filepath.Join(s.DataDir, "index")); err != nil {
		t.Fatal(err)
	}
	s.start()
	eventually(t, "searchable after rebuild", func() bool {
		return search(t, s, "q="+url.QueryEscape("反渗透膜")).Total == 1
	})
	s.stop()
	if out, err := runCLI(t, s.DataDir, "reindex"); err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check after reindex: %v\n%s", err, out)
	}
}

// bdci returns the BDCI data folder (TECHMATCH_BDCI_DIR), skipping (or failing in CI) when
// it is not there.
func bdci(t *testing.T) string {
	return sharedData(t, "TECHMATCH_BDCI_DIR", "BDCI", "queries_dev.jsonl")
}

// csl returns the CSL data folder (TECHMATCH_CSL_DIR), skipping (or failing in CI) when it is
// not there.
func csl(t *testing.T) string { return sharedData(t, "TECHMATCH_CSL_DIR", "CSL", "eval/corpus.jsonl") }

// sharedData returns the folder of ../shared/data that env names, holding probe.
func sharedData(t *testing.T, env, what, probe string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must run on the real %s data", env, what)
		}
		t.Skipf("%s not set", env)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(probe))); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s data missing: %v", what, err)
		}
		t.Skipf("%s data missing: %v", what, err)
	}
	return dir
}

func TestCSLSearchThroughAPI(t *testing.T) {
	dir := csl(t)
	s := startServer(t, "", nil)
	corpus, err := os.ReadFile(filepath.Join(dir, "eval", "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r := s.do("POST", "/v1/achievements/import", corpus, adminKey)
	var rep struct{ Accepted int }
	r.decode(t, &rep)
	if r.Status != 200 || rep.Accepted != 2000 {
		t.Fatalf("import: %d %s", r.Status, r.Body[:min(len(r.Body), 500)])
	}
	eventually(t, "corpus indexed", func() bool {
		r := s.do("GET", "/v1/search?size=1", nil, "")
		var a searchAnswer
		r.decode(t, &a)
		return a.Total == 2000
	})
	f, err := os.Open(filepath.Join(dir, "eval", "queries_dev_kw2.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, found := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct {
			Text     string
			Relevant map[string]int
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		n++
		for _, h := range search(t, s, "kind=achievements&size=10&q="+url.QueryEscape(q.Text)).Hits {
			if q.Relevant[h.ID] > 0 {
				found++
				break
			}
		}
	}
	recall := float64(found) / float64(n)
	t.Logf("CSL dev kw2 through /v1/search: Recall@10 = %.3f over %d queries (cjk baseline 0.955)", recall, n)
	if recall < 0.955 {
		t.Errorf("Recall@10 %.3f is below the cjk baseline 0.955", recall)
	}
}

// TestLongSearchThroughAPI: a long query pasted into the search box (a demand's title and
// description, cut at the 500-rune limit) ranks at least as well through /v1/search as plain
// BM25 (cjk bigrams) ranks the same cut text, on CSL long demands against title-only records
// and on BDCI's enterprise demands.
func TestLongSearchThroughAPI(t *testing.T) {
	cslDir, bdciDir := csl(t), bdci(t)
	ctx := context.Background()
	for _, set := range []struct{ name, corpus, queries string }{
		{"csl long", filepath.Join(cslDir, "eval", "corpus_titles.jsonl"), filepath.Join(cslDir, "eval", "queries_dev_long.jsonl")},
		{"bdci", filepath.Join(bdciDir, "corpus.jsonl"), filepath.Join(bdciDir, "queries_dev.jsonl")},
	} {
		t.Run(set.name, func(t *testing.T) {
			s := startServer(t, "", nil)
			corpus, err := os.ReadFile(set.corpus)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := evalpkg.ReadCorpus(bytes.NewReader(corpus), domain.Achievements)
			if err != nil {
				t.Fatal(err)
			}
			r := s.do("POST", "/v1/achievements/import", corpus, adminKey)
			var rep struct{ Accepted int }
			r.decode(t, &rep)
			if r.Status != 200 || rep.Accepted != len(recs) {
				t.Fatalf("import: %d %s", r.Status, r.Body[:min(len(r.Body), 500)])
			}
			eventually(t, "corpus indexed", func() bool {
				var a searchAnswer
				s.do("GET", "/v1/search?size=1", nil, "").decode(t, &a)
				return a.Total == len(recs)
			})
			qf, err := os.Open(set.queries)
			if err != nil {
				t.Fatal(err)
			}
			defer qf.Close()
			queries, err := evalpkg.ReadQueries(qf)
			if err != nil {
				t.Fatal(err)
			}
			var lists [][]string
			var relevant []map[string]int
			for i := range queries {
				q := &queries[i]
				if rs := []rune(q.Text); len(rs) > 500 {
					q.Text = string(rs[:500])
				}
				q.Demand = nil // the baseline and the search box both get the cut text alone
				var ids []string
				for _, h := range search(t, s, "kind=achievements&size=10&q="+url.QueryEscape(q.Text)).Hits {
					ids = append(ids, h.ID)
				}
				lists, relevant = append(lists, ids), append(relevant, q.Relevant)
			}
			got := evalpkg.ScoreLists(lists, relevant, 10)
			base, _, err := evalpkg.Baseline(ctx, "cjk", nil, recs, queries, 10)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s through /v1/search: MRR@10 %.3f Recall@10 %.3f NDCG@10 %.3f; cjk %.3f %.3f %.3f",
				set.name, got.MRR, got.Recall, got.NDCG, base.MRR, base.Recall, base.NDCG)
			if math.Round(got.MRR*1000) < math.Round(base.MRR*1000) || math.Round(got.NDCG*1000) < math.Round(base.NDCG*1000) {
				t.Errorf("%s: MRR@10 %.3f, NDCG@10 %.3f through /v1/search, below plain BM25's %.3f, %.3f", set.name, got.MRR, got.NDCG, base.MRR, base.NDCG)
			}
		})
	}
}
