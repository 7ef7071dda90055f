package index_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// TestRecallRestrictionsDoNotScore indexes the same text as an achievement, a patent, an expert
// and two demands, among achievements of other text (so that the kinds differ in rarity), and
// checks that a hit's BM25 score depends on its text only: not on its kind or status, nor on
// which kinds or statuses the request restricts to. (Demands are compared among themselves:
// their title is not indexed for the title clause.)
func TestRecallRestrictionsDoNotScore(t *testing.T) {
	ctx := context.Background()
	ix := memIndex(t)
	const title, summary = "固态电池电解质界面改性技术", "采用原位聚合方法改善固态电解质与电极的界面接触。"
	sup := func(id string) domain.Supply {
		s := domain.Supply{Title: title, Summary: summary, Status: "active"}
		s.ID = id
		return s
	}
	recs := []domain.Record{
		&domain.Achievement{Supply: sup("same-a")},
		&domain.Patent{Supply: sup("same-p")},
		&domain.Expert{Supply: sup("same-e")},
	}
	for i := range 8 {
		recs = append(recs, achievement(fmt.Sprintf("other-%d", i), "纺织印染废水处理工艺", "膜生物反应器处理印染废水。"))
	}
	for _, d := range []struct{ id, status string }{{"open", "open"}, {"closed", "closed"}} {
		dem := &domain.Demand{Title: title, Description: summary, Status: d.status}
		dem.ID = d.id
		recs = append(recs, dem)
	}
	if err := ix.Apply(ctx, index.Docs(recs), nil, 1); err != nil {
		t.Fatal(err)
	}
	score := func(req index.RecallRequest, id string) float64 {
		t.Helper()
		req.Title = title
		hits, err := ix.Recall(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.ID == id {
				return h.Score
			}
		}
		t.Fatalf("Recall(%+v) did not find %s: %v", req, id, ids(hits))
		return 0
	}
	same := func(what string, a, b float64) {
		t.Helper()
		if math.Abs(a-b) > 1e-9*math.Max(a, b) || a == 0 {
			t.Errorf("%s: scores %v and %v, want the same positive score", what, a, b)
		}
	}
	all := index.RecallRequest{Kinds: domain.SupplyKinds}
	ach := score(all, "same-a")
	same("a patent and an achievement of the same text", ach, score(all, "same-p"))
	same("an expert and an achievement of the same text", ach, score(all, "same-e"))
	same("an achievement, asked among all supply or alone", ach, score(index.RecallRequest{Kinds: []domain.Kind{domain.Achievements}}, "same-a"))
	same("a patent, asked among all supply or with experts", score(all, "same-p"),
		score(index.RecallRequest{Kinds: []domain.Kind{domain.Patents, domain.Experts}}, "same-p"))
	demands := index.RecallRequest{Kinds: []domain.Kind{domain.Demands}}
	open := demands
	open.OnlyOpen = true
	same("an open demand, asked among open ones or all", score(open, "open"), score(demands, "open"))
	same("an open and a closed demand of the same text", score(demands, "open"), score(demands, "closed"))
}

// TestRecallReadsHeldTokensAsPerDocument checks that Recall, which reads the tokens its top hits
// hold by walking each token's postings through them, ranks exactly as when each hit's tokens
// are looked up one search at a time: same hits, order, scores, coverage and matched terms.
func TestRecallReadsHeldTokensAsPerDocument(t *testing.T) {
	ctx := context.Background()
	ix := fixture(t)
	for _, req := range []index.RecallRequest{
		{Title: "锂离子电池负极材料", Kinds: domain.SupplyKinds},
		{Title: "高能量密度锂离子电池", Keywords: []string{"负极", "硅碳复合"}, Body: "循环寿命与能量密度", Kinds: domain.SupplyKinds},
		{Title: "钠离子电池正极", Kinds: []domain.Kind{domain.Achievements}, Size: 2},
		{Keywords: []string{"隔膜"}, Body: "聚烯烃涂层", Kinds: []domain.Kind{domain.Patents, domain.Experts}},
		{Title: "锂离子电池负极材料改性", Kinds: []domain.Kind{domain.Demands}, OnlyOpen: true},
	} {
		got, err := ix.Recall(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want, err := index.RecallPerDocument(ctx, ix, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("Recall(%+v):\n got %+v\nwant %+v", req, got, want)
		}
	}
}
