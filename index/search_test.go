package index_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// fixture indexes a small mixed set of supply and demands.
func fixture(t *testing.T) *index.Index {
	t.Helper()
	ix, _ := fixtureRecords(t)
	return ix
}

// fixtureRecords is fixture, with the records it indexed, which its hits are highlighted in.
func fixtureRecords(t *testing.T) (*index.Index, records) {
	t.Helper()
	mk := func(id, title, summary, field, region string, trl int, modes []string, status string, day int) *domain.Supply {
		s := domain.Supply{Title: title, Summary: summary, Region: region, TRL: trl, TransferModes: modes, Status: status}
		s.ID = id
		if field != "" {
			s.Fields = []string{field}
		}
		s.UpdatedAt = time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC)
		return &s
	}
	a1 := &domain.Achievement{Supply: *mk("a1", "高能量密度锂离子电池负极材料", "本成果研制了硅碳复合负极材料，用于锂离子电池，循环寿命<长>。", "新材料/电池材料", "320100", 6, []string{"license"}, "active", 1)}
	a2 := &domain.Achievement{Supply: *mk("a2", "钠离子电池正极材料", "低成本钠离子电池正极材料的制备方法。", "新材料/电池材料", "350200", 4, []string{"transfer"}, "active", 2)}
	a3 := &domain.Achievement{Supply: *mk("a3", "锂离子电池回收工艺", "废旧锂离子电池的湿法回收。", "节能环保", "320500", 8, []string{"transfer", "license"}, "closed", 3)}
	p1 := &domain.Patent{Supply: *mk("p1", "一种锂离子电池隔膜", "聚烯烃隔膜涂层。", "新材料", "640100", 7, []string{"license"}, "active", 4)}
	e1 := &domain.Expert{Supply: *mk("e1", "李四", "从事锂离子电池电极材料研究。", "新材料/电池材料", "230100", 0, nil, "active", 5)}
	d1 := &domain.Demand{Title: "寻求锂离子电池负极材料技术", Description: "企业需要提升锂离子电池能量密度", Status: "open", Region: "320100"}
	d1.ID = "d1"
	d2 := &domain.Demand{Title: "锂离子电池负极材料改性", Status: "closed"}
	d2.ID = "d2"
	recs := []domain.Record{a1, a2, a3, p1, e1, d1, d2}
	rs := recordsOf(recs)
	ix := memIndex(t)
	if err := ix.Apply(context.Background(), index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	return ix, rs
}

// highlighted searches and highlights the page from rs, as the API does from the store.
func highlighted(t *testing.T, ix *index.Index, rs records, r index.SearchRequest) *index.SearchResult {
	t.Helper()
	res, err := ix.Search(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := index.LoadHits(context.Background(), rs, res.Hits)
	if err != nil {
		t.Fatal(err)
	}
	res.Highlight(recs)
	return res
}

func ids(hits []index.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, string(h.Kind)+"/"+h.ID)
	}
	return out
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestSearchFilters(t *testing.T) {
	ix := fixture(t)
	for _, tc := range []struct {
		name string
		req  index.SearchRequest
		want []string
	}{
		// 钠离子电池 shares the bigrams 离子 and 电池: a weak hit, ranked by a low Text.
		{"text over supply", index.SearchRequest{Query: "锂离子电池", IncludeInactive: true}, []string{"achievements/a1", "achievements/a2", "achievements/a3", "patents/p1", "experts/e1"}},
		{"kinds", index.SearchRequest{Query: "锂离子电池", Kinds: []domain.Kind{domain.Patents}}, []string{"patents/p1"}},
		{"demands when asked", index.SearchRequest{Query: "负极材料", Kinds: []domain.Kind{domain.Demands}}, []string{"demands/d1", "demands/d2"}},
		{"field prefix", index.SearchRequest{Field: "新材料"}, []string{"achievements/a1", "achievements/a2", "patents/p1", "experts/e1"}},
		{"field path", index.SearchRequest{Field: "新材料/电池材料", Kinds: []domain.Kind{domain.Achievements}}, []string{"achievements/a1", "achievements/a2"}},
		{"province", index.SearchRequest{RegionPrefix: "32", IncludeInactive: true}, []string{"achievements/a1", "achievements/a3"}},
		{"city as 6 digits", index.SearchRequest{RegionPrefix: "320100"}, []string{"achievements/a1"}},
		{"trl", index.SearchRequest{TRLMin: 7, IncludeInactive: true}, []string{"achievements/a3", "patents/p1"}},
		{"modes", index.SearchRequest{Modes: []string{"transfer"}, IncludeInactive: true}, []string{"achievements/a2", "achievements/a3"}},
		{"in service by default", index.SearchRequest{Query: "锂离子电池", Kinds: []domain.Kind{domain.Achievements}}, []string{"achievements/a1", "achievements/a2"}},
		{"inactive when asked", index.SearchRequest{Query: "锂离子电池", Kinds: []domain.Kind{domain.Achievements}, IncludeInactive: true}, []string{"achievements/a1", "achievements/a2", "achievements/a3"}},
		{"no match", index.SearchRequest{Query: "量子计算"}, []string{}},
		{"stop words only", index.SearchRequest{Query: "的，。"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); !sameSet(got, tc.want) || res.Total != uint64(len(tc.want)) {
				t.Errorf("hits %v (total %d), want %v", got, res.Total, tc.want)
			}
		})
	}
}

func TestSearchNewestFirstAndPages(t *testing.T) {
	ix := fixture(t)
	var got []string
	for from := 0; from < 6; from += 2 {
		res, err := ix.Search(context.Background(), index.SearchRequest{From: from, Size: 2, IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 5 {
			t.Errorf("Total = %d, want 5", res.Total)
		}
		got = append(got, ids(res.Hits)...)
	}
	want := []string{"experts/e1", "patents/p1", "achievements/a3", "achievements/a2", "achievements/a1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func TestSearchFacets(t *testing.T) {
	ix := fixture(t)
	res, err := ix.Search(context.Background(), index.SearchRequest{Query: "电池", IncludeInactive: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]index.FacetCount{
		"kind":   {{"achievements", 3}, {"experts", 1}, {"patents", 1}},
		"field":  {{"新材料/电池材料", 3}, {"新材料", 1}, {"节能环保", 1}},
		"region": {{"230100", 1}, {"320100", 1}, {"320500", 1}, {"350200", 1}, {"640100", 1}},
		"trl":    {{"4", 1}, {"6", 1}, {"7", 1}, {"8", 1}},
	}
	if !reflect.DeepEqual(res.Facets, want) {
		t.Errorf("facets = %v\nwant %v", res.Facets, want)
	}
}

func TestSearchHighlights(t *testing.T) {
	ix, rs := fixtureRecords(t)
	res := highlighted(t, ix, rs, index.SearchRequest{Query: "锂离子电池", Kinds: []domain.Kind{domain.Achievements}})
	if len(res.Hits) != 2 || res.Hits[0].ID != "a1" {
		t.Fatalf("hits = %v, want a1 first", ids(res.Hits))
	}
	// The weak hit (钠离子电池…) holds a word of the term, not the term: nothing is named as
	// matched, and the word it was found for is marked.
	if weak := res.Hits[1]; weak.Text >= res.Hits[0].Text || weak.Coverage >= 0.5 || len(weak.Matched) != 0 {
		t.Errorf("weak hit %s: Text %v (a1 %v), Coverage %v, Matched %q; want below a1, under half covered and nothing named",
			weak.ID, weak.Text, res.Hits[0].Text, weak.Coverage, weak.Matched)
	} else if got, want := weak.Highlights["title"], []string{"钠离子<mark>电池</mark>正极材料"}; !reflect.DeepEqual(got, want) {
		t.Errorf("weak hit %s: title highlight %q, want %q", weak.ID, got, want)
	}
	h := res.Hits[0]
	if got, want := h.Highlights["title"], []string{"高能量密度<mark>锂离子电池</mark>负极材料"}; !reflect.DeepEqual(got, want) {
		t.Errorf("title highlight = %q, want %q", got, want)
	}
	sum := strings.Join(h.Highlights["summary"], "")
	if !strings.Contains(sum, "<mark>锂离子电池</mark>") || !strings.Contains(sum, "&lt;长&gt;") {
		t.Errorf("summary highlight = %q: want the term marked and the rest escaped", sum)
	}
	if !reflect.DeepEqual(h.Matched, []string{"锂离子电池"}) || h.Coverage != 1 {
		t.Errorf("Matched = %q, Coverage = %v; want [锂离子电池] and 1", h.Matched, h.Coverage)
	}
}

// TestHighlightsReadRecords checks that highlights are made from the records the caller loads,
// not from text kept in the index: a changed title is marked as it now reads, a record gone
// from the store has nothing to mark, and a page not given its records has no highlights.
func TestHighlightsReadRecords(t *testing.T) {
	ctx := context.Background()
	ix, rs := fixtureRecords(t)
	a1 := rs[index.DocKey{Kind: domain.Achievements, ID: "a1"}].(*domain.Achievement)
	a1.Title = "锂离子电池负极材料（新版）"
	// a3 is closed: asked for, so that a hit beside a1 is highlighted.
	req := index.SearchRequest{Query: "锂离子电池", Kinds: []domain.Kind{domain.Achievements}, IncludeInactive: true}
	hit := func(res *index.SearchResult, id string) index.Hit {
		t.Helper()
		i := slices.IndexFunc(res.Hits, func(h index.Hit) bool { return h.ID == id })
		if i < 0 {
			t.Fatalf("%s not found: %v", id, ids(res.Hits))
		}
		return res.Hits[i]
	}
	res := highlighted(t, ix, rs, req)
	if got, want := hit(res, "a1").Highlights["title"], []string{"<mark>锂离子电池</mark>负极材料（新版）"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a1: title highlight %q, want %q", got, want)
	}
	delete(rs, index.DocKey{Kind: domain.Achievements, ID: "a1"})
	res = highlighted(t, ix, rs, req)
	if h := hit(res, "a1"); len(h.Highlights) != 0 {
		t.Errorf("a1 is gone from the store but highlighted: %q", h.Highlights)
	}
	if h := hit(res, "a3"); len(h.Highlights["title"]) != 1 {
		t.Errorf("a3: highlights %q, want its title marked", h.Highlights)
	}

	res, err := ix.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Highlights != nil {
		t.Errorf("a page not highlighted: hits %+v, want them without highlights", res.Hits)
	}
}

// TestSearchQuerySyntaxIsText checks that query-string operators in user text are plain text.
func TestSearchQuerySyntaxIsText(t *testing.T) {
	ix := fixture(t)
	for _, q := range []string{`+锂离子 -钠`, `title:锂`, `"锂离子电池`, `(电池) OR *`, `?~^2 \ / [ ] { } ! && ||`, `锂离子电池 AND NOT 钠`} {
		res, err := ix.Search(context.Background(), index.SearchRequest{Query: q})
		if err != nil {
			t.Errorf("Search(%q): %v", q, err)
			continue
		}
		for _, h := range res.Hits {
			if h.Text < 0 || h.Text > 1 {
				t.Errorf("Search(%q): Text %v outside [0,1]", q, h.Text)
			}
		}
	}
}

// TestHighlightsFold checks that highlights find terms as the analyzer folds them (full-width
// letters, any case) and mark the text as written, with byte offsets kept right around runes
// whose folded form is shorter, adjacent terms in one mark, and invalid UTF-8 left as it was.
func TestHighlightsFold(t *testing.T) {
	for _, tt := range []struct {
		title, summary string
		matched        []string
		want           map[string][]string
	}{
		{"车载ＬＩＤＡＲ点云", "", []string{"lidar", "点云"}, map[string][]string{"title": {"车载<mark>ＬＩＤＡＲ点云</mark>"}}},
		{"LiDAR与ｌｉｄａｒ", "", []string{"ＬＩＤＡＲ"}, map[string][]string{"title": {"<mark>LiDAR</mark>与<mark>ｌｉｄａｒ</mark>"}}},
		{"", "采用Ｓｉ\xffＣ涂层（ＳｉＣ）", []string{"sic"}, map[string][]string{"summary": {"采用Ｓｉ\xffＣ涂层（<mark>ＳｉＣ</mark>）"}}},
		{"Å级<b>", "", []string{"å级"}, map[string][]string{"title": {"<mark>Å级</mark>&lt;b&gt;"}}},
		{"锂电池", "", []string{"钠电池"}, map[string][]string{}},
	} {
		got := index.Highlights(tt.title, tt.summary, tt.matched)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Highlights(%q, %q, %q) = %q, want %q", tt.title, tt.summary, tt.matched, got, tt.want)
		}
	}
}

// TestFullWidthQueries checks that a query typed in full-width forms finds what its ASCII form
// finds, as the README promises, its term variants included: the query is folded as the text
// field's analyzer folds records before its terms are looked up.
func TestFullWidthQueries(t *testing.T) {
	a := &domain.Achievement{Supply: domain.Supply{Title: "车载激光雷达点云实时处理", Summary: "基于激光雷达的点云分割。", Status: "active"}}
	a.ID = "a-lidar"
	b := &domain.Patent{Supply: domain.Supply{Title: "一种ＳｉＣ功率器件封装结构", Status: "active"}}
	b.ID = "p-sic"
	ix := memIndex(t, index.WithVariants([][]string{{"激光雷达", "lidar"}}))
	if err := ix.Apply(context.Background(), index.Docs([]domain.Record{a, b}), nil, 1); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ ascii, wide, want string }{
		{"lidar", "ＬＩＤＡＲ", "achievements/a-lidar"},
		{"LiDAR 点云", "Ｌｉｄａｒ　点云", "achievements/a-lidar"},
		{"sic", "ＳＩＣ", "patents/p-sic"},
	} {
		for _, q := range []string{tt.ascii, tt.wide} {
			res, err := ix.Search(context.Background(), index.SearchRequest{Query: q, Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Hits); len(got) != 1 || got[0] != tt.want {
				t.Errorf("Search(%q) = %v, want [%s]", q, got, tt.want)
			}
		}
	}
}

// TestFieldLabelsInText checks that a record is found by its field's own label and not by the
// label of the group its field belongs to: 疫苗 does not find a goji record filed under
// 现代农业与兽医疫苗/特色作物与枸杞, and does find one filed under 现代农业与兽医疫苗/兽用疫苗.
func TestFieldLabelsInText(t *testing.T) {
	goji := &domain.Achievement{Supply: domain.Supply{Title: "早熟丰产新品种及配套栽培技术", Fields: []string{"现代农业与兽医疫苗/特色作物与枸杞"}, Status: "active"}}
	goji.ID = "goji"
	vet := &domain.Expert{Supply: domain.Supply{Title: "丁海军", Summary: "专注奶牛乳房炎综合防控。", Fields: []string{"现代农业与兽医疫苗/兽用疫苗"}, Status: "active"}}
	vet.ID = "vet"
	ix := memIndex(t)
	if err := ix.Apply(context.Background(), index.Docs([]domain.Record{goji, vet}), nil, 1); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{"疫苗": {"experts/vet"}, "枸杞": {"achievements/goji"}, "兽用疫苗": {"experts/vet"}} {
		res, err := ix.Search(context.Background(), index.SearchRequest{Query: q, Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(res.Hits); !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestHighlightsOfEveryPart: a hit found by a keyword, a field, its organisation or a
// patent's applicants shows it there, marked and escaped, when neither title nor summary
// holds the term; parts without the term are left out.
func TestHighlightsOfEveryPart(t *testing.T) {
	p := &domain.Patent{Supply: domain.Supply{Title: "一种负极材料", Summary: "提高循环寿命",
		Keywords: []string{"锂离子电池", "<b>硅碳</b>", "循环"}, Fields: []string{"新材料/锂离子电池材料"}, Org: "某锂离子电池研究院"},
		Applicants: []string{"甲锂离子电池公司", "乙大学"}}
	got := index.HighlightsOf(p, []string{"锂离子电池", "硅碳"})
	want := map[string][]string{
		"keywords":   {"<mark>锂离子电池</mark>", "&lt;b&gt;<mark>硅碳</mark>&lt;/b&gt;"},
		"fields":     {"新材料/<mark>锂离子电池</mark>材料"},
		"org":        {"某<mark>锂离子电池</mark>研究院"},
		"applicants": {"甲<mark>锂离子电池</mark>公司"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HighlightsOf = %q\nwant %q", got, want)
	}
	if got := index.HighlightsOf(nil, []string{"锂离子电池"}); len(got) != 0 {
		t.Errorf("a missing record has highlights %q", got)
	}
}
