package index_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

func TestRecall(t *testing.T) {
	ix := fixture(t)
	for _, tc := range []struct {
		name string
		req  index.RecallRequest
		want []string
	}{
		{"supply", index.RecallRequest{Title: "锂离子电池负极材料", Kinds: domain.SupplyKinds},
			[]string{"achievements/a1", "achievements/a2", "achievements/a3", "patents/p1", "experts/e1"}},
		{"exclude", index.RecallRequest{Title: "锂离子电池负极材料", Kinds: []domain.Kind{domain.Achievements},
			Exclude: []index.DocKey{{Kind: domain.Achievements, ID: "a1"}}}, []string{"achievements/a2", "achievements/a3"}},
		{"reverse, only open", index.RecallRequest{Title: "高能量密度锂离子电池负极材料", Kinds: []domain.Kind{domain.Demands}, OnlyOpen: true},
			[]string{"demands/d1"}},
		{"reverse, all", index.RecallRequest{Title: "高能量密度锂离子电池负极材料", Kinds: []domain.Kind{domain.Demands}},
			[]string{"demands/d1", "demands/d2"}},
		{"size", index.RecallRequest{Title: "锂离子电池", Kinds: domain.SupplyKinds, Size: 1}, []string{"achievements/a1"}},
		{"keywords and body", index.RecallRequest{Keywords: []string{"隔膜"}, Body: "聚烯烃涂层", Kinds: domain.SupplyKinds}, []string{"patents/p1"}},
		{"nothing to match", index.RecallRequest{Title: "，。", Kinds: domain.SupplyKinds}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := ix.Recall(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(hits)
			if tc.req.Size == 1 {
				if len(got) != 1 {
					t.Errorf("got %v, want one hit", got)
				}
				return
			}
			if !sameSet(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRecallText checks the text feature: Coverage 1 for a hit holding every term, low for a
// hit sharing only part of the query; Text in [0, Coverage], and hits ordered by it.
func TestRecallText(t *testing.T) {
	ix := fixture(t)
	hits, err := ix.Recall(context.Background(), index.RecallRequest{Title: "锂离子电池 负极材料", Kinds: []domain.Kind{domain.Achievements}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ID != "a1" || hits[0].Coverage != 1 {
		t.Fatalf("first hit %+v, want a1 with Coverage 1", hits)
	}
	if len(hits[0].Matched) != 2 {
		t.Errorf("a1: Matched %q, want both terms", hits[0].Matched)
	}
	for i, h := range hits {
		if h.Text < 0 || h.Text > 1 || h.Coverage < 0 || h.Coverage > 1 {
			t.Errorf("%s: Text %v, Coverage %v: want both in [0, 1]", h.ID, h.Text, h.Coverage)
		}
		if i > 0 && h.Text > hits[i-1].Text {
			t.Errorf("hits not ordered by Text: %v after %v", h.Text, hits[i-1].Text)
		}
		if h.ID == "a2" && h.Text >= 0.6 {
			t.Errorf("a2 (钠离子电池正极材料) Text %v: a partial match should stay low", h.Text)
		}
	}
}

// TestRecallBigramCredit: a term jieba keeps whole and cannot tile with sub-words (管幕法) still
// earns some credit from a record holding one of its bigrams (管幕工法), so the matcher's text
// floor does not drop the only record about it; less than a term's jieba words would earn.
func TestRecallBigramCredit(t *testing.T) {
	s := segmenter(t)
	if w := s.Cut("管幕法"); len(w) != 1 || len(s.SubWords("管幕法")) > 1 {
		t.Skipf("jieba now splits 管幕法 (%q): the case needs another term", w)
	}
	ix, err := index.OpenMem(s)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	a := &domain.Achievement{}
	a.ID, a.Title, a.Summary, a.Status = "a1", "拱北隧道方案论证", "提出了封闭管幕保护下的浅埋暗挖方案，研究了管幕工法的设计施工要点。", "active"
	b := &domain.Achievement{}
	b.ID, b.Title, b.Summary, b.Status = "a2", "盾构隧道施工", "研究了盾构法隧道的沉降控制。", "active"
	if err := ix.Apply(context.Background(), index.Docs([]domain.Record{a, b}), nil, 1); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Recall(context.Background(), index.RecallRequest{Title: "管幕法", Kinds: []domain.Kind{domain.Achievements}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ID != "a1" {
		t.Fatalf("hits %+v, want a1 first", hits)
	}
	if c := hits[0].Coverage; c <= 0.05 || c >= 0.5 {
		t.Errorf("a1 Coverage %v, want above the matcher's floor (0.05) and below 0.5", c)
	}
	// What it shares of the term is told: the matcher lists no record sharing nothing it can name.
	if !slices.Equal(hits[0].Parts, []string{"管幕"}) {
		t.Errorf("a1 Parts %q, want [管幕]", hits[0].Parts)
	}
}

// TestPhraseCountsOfAReplacedSnapshotAreNotCached analyses a query while a batch adds documents
// holding its phrase: that query counts on the snapshot it started with (every count and the
// document total from one snapshot), and the next query counts on the new one, not on a count
// the racing query left in the cache.
func TestPhraseCountsOfAReplacedSnapshotAreNotCached(t *testing.T) {
	ctx := context.Background()
	ix := fixture(t) // 7 documents, none with 固态电解质
	const phrase = "固态电解质"
	add := func() error {
		var recs []domain.Record
		for _, id := range []string{"s1", "s2", "s3"} {
			a := &domain.Achievement{Supply: domain.Supply{Title: "硫化物固态电解质", Status: "active"}}
			a.ID = id
			recs = append(recs, a)
		}
		return ix.Apply(ctx, index.Docs(recs), nil, 2)
	}
	idf := func(n, df float64) float64 { return math.Log(1 + (n-df+0.5)/(df+0.5)) }
	racing, err := index.PhraseIDF(ctx, ix, phrase, add)
	if err != nil {
		t.Fatal(err)
	}
	if want := idf(7, 0); math.Abs(racing-want) > 1e-12 {
		t.Errorf("query racing the batch: idf %v, want %v (7 documents, none holding it)", racing, want)
	}
	next, err := index.PhraseIDF(ctx, ix, phrase, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := idf(10, 3); math.Abs(next-want) > 1e-12 {
		t.Errorf("next query: idf %v, want %v (10 documents, 3 holding it)", next, want)
	}
}

// TestWholeTerms: a term is held whole where the text holds it verbatim, after the text field's
// width folding and lower-casing; its bigrams apart, or across a break, do not count.
func TestWholeTerms(t *testing.T) {
	got := index.WholeTerms("锂电材料与燃料电池\nＬＩＤＡＲ测距；锂离，子电", []string{"锂电池", "燃料电池", "锂电", "lidar", "材料与", "料燃", "锂离子"})
	if want := []string{"燃料电池", "锂电", "lidar", "材料与"}; !slices.Equal(got, want) {
		t.Errorf("WholeTerms = %q, want %q", got, want)
	}
}

// TestRecallBodySearchesTellingWords checks what a description is searched for: not its stop
// words (WithBodyStopWords), lone characters, bare numbers or units, which by themselves
// recalled a cancer test for a graphene film demand; a title or keyword keeps such words.
func TestRecallBodySearchesTellingWords(t *testing.T) {
	ctx := context.Background()
	ix := memIndex(t, index.WithBodyStopWords([]string{"用于", "以下"}))
	recs := []domain.Record{
		achievement("film", "高导热石墨烯膜", "面内热导率1500 W/(m·K)，厚度25 μm，用于手机散热。"),
		achievement("prose", "肝癌早期筛查试剂盒", "用于体检中心，费用在500元以下。"),
		achievement("figures", "水下航行器", "航程1200 km，耐压W级，下潜50 m，精度5 mm。"),
	}
	if err := ix.Apply(ctx, index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	ids := func(r index.RecallRequest) []string {
		t.Helper()
		r.Kinds = []domain.Kind{domain.Achievements}
		hits, err := ix.Recall(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.ID)
		}
		return out
	}
	body := "面内热导率1200 W/(m·K)以上、厚度50 μm，用于智能手机，误差5 mm以下"
	if got := ids(index.RecallRequest{Title: "石墨烯导热膜", Body: body}); !slices.Equal(got, []string{"film"}) {
		t.Errorf("recall with the description: %q, want [film] only", got)
	}
	if got := ids(index.RecallRequest{Title: "用于", Keywords: []string{"1200"}}); len(got) != 3 {
		t.Errorf("recall with 用于 as the title and 1200 as a keyword: %q, want all three records", got)
	}
}

// TestRecallVariants: with WithVariants, a term or a word of one is held by a record holding any
// form of its group whole, the hit names the form it holds, and search marks that form; without,
// the same record holds only a part of the term.
func TestRecallVariants(t *testing.T) {
	var all []domain.Record
	add := func(id, title, summary string) {
		a := &domain.Achievement{}
		a.ID, a.Title, a.Summary, a.Status = id, title, summary, "active"
		all = append(all, a)
	}
	add("a1", "高电压锂离子电池电解液", "一种用于锂离子电池的成膜添加剂。")
	add("a2", "锂电池回收", "退役锂电池的拆解与材料回收。")
	add("a3", "钠离子电池正极材料", "层状氧化物正极，适用于储能电池。")
	add("a4", "退役锂离子电池的湿法回收利用", "回收镍钴锰。")
	open := func(opts ...index.Option) *index.Index {
		ix := memIndex(t, opts...)
		if err := ix.Apply(context.Background(), index.Docs(all), nil, 1); err != nil {
			t.Fatal(err)
		}
		return ix
	}
	groups := index.WithVariants([][]string{{"锂离子电池", "锂电池", "锂电"}})
	with, without := open(groups), open()
	ctx := context.Background()
	hit := func(ix *index.Index, q, id string) index.Hit {
		t.Helper()
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: q, Kinds: []domain.Kind{domain.Achievements}})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.ID == id {
				return h
			}
		}
		t.Fatalf("%q: %s not recalled: %v", q, id, hits)
		return index.Hit{}
	}
	if h := hit(with, "锂电池", "a1"); h.Coverage != 1 || !slices.Equal(h.Matched, []string{"锂离子电池"}) {
		t.Errorf("锂电池 → a1: Coverage %v, Matched %q; want 1 and the form it holds, 锂离子电池", h.Coverage, h.Matched)
	}
	if h := hit(with, "锂电池", "a2"); h.Coverage != 1 || !slices.Equal(h.Matched, []string{"锂电池"}) {
		t.Errorf("锂电池 → a2: Coverage %v, Matched %q; want 1 and 锂电池", h.Coverage, h.Matched)
	}
	if h := hit(without, "锂电池", "a1"); h.Coverage >= 1 || len(h.Matched) != 0 {
		t.Errorf("without variants, 锂电池 → a1: Coverage %v, Matched %q; want a part only", h.Coverage, h.Matched)
	}
	// A word of a longer term: 锂电池 of 锂电池回收 is held by a4 as 锂离子电池.
	w, wo := hit(with, "锂电池回收", "a4"), hit(without, "锂电池回收", "a4")
	if !slices.Contains(w.Parts, "锂离子电池") || !slices.Contains(w.Parts, "回收") || w.Coverage <= wo.Coverage {
		t.Errorf("锂电池回收 → a4: Parts %q, Coverage %v (without variants %v); want 锂离子电池 and 回收 held, more coverage", w.Parts, w.Coverage, wo.Coverage)
	}
	if h := hit(with, "锂电池", "a3"); h.Coverage >= 0.5 {
		t.Errorf("锂电池 → a3 (钠离子电池): Coverage %v, want a part only", h.Coverage)
	}
	res := highlighted(t, with, recordsOf(all), index.SearchRequest{Query: "锂电池", Kinds: []domain.Kind{domain.Achievements}})
	i := slices.IndexFunc(res.Hits, func(h index.Hit) bool { return h.ID == "a1" })
	if i < 0 {
		t.Fatalf("search 锂电池 misses a1: %v", ids(res.Hits))
	}
	if got, want := res.Hits[i].Highlights["title"], []string{"高电压<mark>锂离子电池</mark>电解液"}; !slices.Equal(got, want) {
		t.Errorf("search 锂电池, a1's title %q, want %q", got, want)
	}
}
