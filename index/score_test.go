package index_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

func TestAbbreviations(t *testing.T) {
	seg := segmenter(t)
	for _, tc := range []struct {
		text string
		want []index.Abbreviation
	}{
		{"利用合成孔径雷达(SAR)进行成像", []index.Abbreviation{{Short: "sar", Long: "合成孔径雷达"}}},
		{"采用高效液相色谱（HPLC）测定含量", []index.Abbreviation{{Short: "hplc", Long: "高效液相色谱"}}},
		{"质子交换膜燃料电池(PEMFC)与固体氧化物燃料电池(SOFC)", []index.Abbreviation{
			{Short: "pemfc", Long: "质子交换膜燃料电池"}, {Short: "sofc", Long: "固体氧化物燃料电池"}}},
		{"厚度(10mm)的板材", nil}, // a measure, not an abbreviation
		{"修正的参数(MRP)", nil},  // two runes cannot stand for three letters
		{"在图像(v2)中", nil},    // one capital letter is no abbreviation
		{"合成孔径雷达(SAR)，合成孔径雷达(SAR)", []index.Abbreviation{{Short: "sar", Long: "合成孔径雷达"}}},
	} {
		got := seg.Abbreviations(tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestRecallAbbreviations: a record that defines 合成孔径雷达(SAR) makes SAR and 合成孔径雷达
// forms of each other, so a query for either finds the records that say the other, and names
// the form each record holds.
func TestRecallAbbreviations(t *testing.T) {
	ctx := context.Background()
	mk := func(id, title, summary string) *domain.Achievement {
		a := &domain.Achievement{Supply: domain.Supply{Title: title, Summary: summary}}
		a.ID = id
		return a
	}
	recs := []domain.Record{
		mk("def", "星载成像处理", "本成果利用合成孔径雷达(SAR)获取地表图像。"),
		mk("long", "合成孔径雷达图像目标识别", "舰船目标的自动识别方法。"),
		mk("short", "SAR图像相干斑抑制", "基于小波的滤波。"),
		mk("other", "激光雷达点云分类", "道路场景的三维感知。"),
	}
	ix := memIndex(t)
	if err := ix.Apply(ctx, index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, id, named string }{
		{"SAR", "long", "合成孔径雷达"},
		{"合成孔径雷达", "short", "sar"},
	} {
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: tc.query, Kinds: []domain.Kind{domain.Achievements}})
		if err != nil {
			t.Fatal(err)
		}
		var found *index.Hit
		for i := range hits {
			if hits[i].ID == tc.id {
				found = &hits[i]
			}
			if hits[i].ID == "other" && len(hits[i].Matched) > 0 {
				t.Errorf("%s: %s shares only 雷达, yet holds %v", tc.query, hits[i].ID, hits[i].Matched)
			}
		}
		if found == nil || found.Coverage < 1 || !slices.Contains(found.Matched, tc.named) {
			t.Errorf("%s: %s = %+v, want it held whole, named %s", tc.query, tc.id, found, tc.named)
		}
	}
	// Deleting the only record that defines it takes the abbreviation away.
	if err := ix.Apply(ctx, nil, []index.DocKey{{Kind: domain.Achievements, ID: "def"}}, 2); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Recall(ctx, index.RecallRequest{Title: "SAR", Kinds: []domain.Kind{domain.Achievements}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.ID == "long" && h.Coverage == 1 {
			t.Errorf("SAR still holds 合成孔径雷达 once no record defines it: %+v", h)
		}
	}
}

func TestTextModel(t *testing.T) {
	m := index.TextModel{Keywords: index.Weights{Head: 0.6, BM25: 0.4}, Described: index.Weights{Body: 0.5, Lexical: 0.5}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	s := index.Signals{Head: 1, Body: 0.2, Lexical: 0.6, BM25: 0.5, Present: index.Present{Head: true}}
	if got, want := m.Combine(s), 0.6*1+0.4*0.5; math.Abs(got-want) > 1e-12 {
		t.Errorf("without a description: Text %v, want %v (its weights, its signals)", got, want)
	}
	s.Present.Body = true
	if got, want := m.Combine(s), 0.5*0.2+0.5*0.6; math.Abs(got-want) > 1e-12 {
		t.Errorf("with a description: Text %v, want %v", got, want)
	}
	for _, bad := range []index.TextModel{
		{Keywords: index.Weights{Head: math.Inf(1)}, Described: index.Weights{Head: 1}},
		{Keywords: index.Weights{Head: math.NaN()}, Described: index.Weights{Head: 1}},
		{Keywords: index.Weights{Head: -1, BM25: 2}, Described: index.Weights{Head: 1}},
		{Keywords: index.Weights{Head: 1}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: valid, want an error", bad)
		} else if !strings.Contains(err.Error(), "text model") {
			t.Errorf("%+v: %v does not say where", bad, err)
		}
	}
}

// TestDescriptionAddsEvidence: a record that holds a demand's title well stays first, and is
// not dropped by the text floor, when the demand adds a long description of other words; the
// text floor judges a title-only record against what a record of its length could hold.
func TestDescriptionAddsEvidence(t *testing.T) {
	ctx := context.Background()
	recs := []domain.Record{
		titled("fire", "智慧消防关键技术研究系统研发"),
		titled("water", "城市供水管网漏损检测"),
		titled("coal", "煤矿井下人员定位系统"),
		titled("battery", "锂离子电池热失控预警"),
	}
	ix := memIndex(t)
	if err := ix.Apply(ctx, index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	title := "恒华智慧消防系统"
	desc := strings.Repeat("随着城市建设的不断发展，高层建筑、大型商业综合体和地下空间不断增多，火灾隐患点多面广，"+
		"传统的人工巡检方式效率低、响应慢，难以及时发现电气线路老化、消防通道堵塞、消防水压不足等问题。"+
		"企业希望建设物联网感知、云平台监控和移动端处置相结合的系统，实现火情早发现、早处置。", 3)
	for _, body := range []string{"", desc} {
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: title, Body: body, Kinds: []domain.Kind{domain.Achievements}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].ID != "fire" {
			t.Fatalf("description %d runes: hits %v, want fire first", len([]rune(body)), ids(hits))
		}
		if hits[0].Coverage < 0.1 {
			t.Errorf("description %d runes: fire's Coverage %.3f, under the default text floor", len([]rune(body)), hits[0].Coverage)
		}
	}
}

// TestCharsSignal: the characters signal is in (0, 1] and orders records by how much of the
// demand's characters they hold, weighed by rarity: near holds 钢包内衬, 镁碳 and the 耐 and 材 of
// the title 耐火材料 (with which it shares no bigram), some holds 高温 and 炉, far only 新型 (which
// recalls it).
func TestCharsSignal(t *testing.T) {
	ctx := context.Background()
	recs := []domain.Record{
		titled("far", "新型城市道路交通信号配时优化"),
		titled("near", "钢包内衬用镁碳耐材的研制"),
		titled("some", "高温窑炉节能控制系统"),
	}
	for i := range 20 { // other records, for the characters' idf
		recs = append(recs, titled(fmt.Sprint("o", i), fmt.Sprintf("第%d代移动通信网络规划方法", i)))
	}
	ix := memIndex(t)
	if err := ix.Apply(ctx, index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Recall(ctx, index.RecallRequest{Title: "耐火材料", Body: "炼钢用钢包耐火内衬寿命短，需要新型镁碳质耐材提高抗侵蚀性，降低高温炉衬消耗。",
		Kinds: []domain.Kind{domain.Achievements}})
	if err != nil {
		t.Fatal(err)
	}
	chars := map[string]float64{}
	for _, h := range hits {
		chars[h.ID] = h.Signals.Chars
	}
	for _, id := range []string{"near", "some", "far"} {
		if c, ok := chars[id]; !ok || c <= 0 || c > 1 {
			t.Errorf("%s: chars signal %v (recalled: %v), want it recalled with one in (0, 1]", id, c, ok)
		}
	}
	if !(chars["near"] > chars["some"] && chars["some"] > chars["far"]) {
		t.Errorf("chars signals %v: want near > some > far", chars)
	}
}

// titled is an achievement of a title only.
func titled(id, title string) *domain.Achievement {
	a := &domain.Achievement{Supply: domain.Supply{Title: title}}
	a.ID = id
	return a
}
