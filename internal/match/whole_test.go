package match_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// fixedSearcher recalls the same hits for every request.
type fixedSearcher []index.Hit

func (s fixedSearcher) Recall(context.Context, index.RecallRequest) ([]index.Hit, error) {
	return s, nil
}

// TestReasonsNameOnlyTermsHeldWhole: recall counts a term as matched when a record holds all
// its bigrams, possibly apart; a reason names it only where the record's text holds it in a
// row, an expert's text including the titles of its linked achievements. A record naming no
// term names the words of them it holds verbatim, by the same check.
func TestReasonsNameOnlyTermsHeldWhole(t *testing.T) {
	whole := achievement(func(a *domain.Achievement) {
		a.ID, a.Title, a.Summary = "whole", "固态锂电池", "一种硫化物固态电解质。"
	})
	apart := achievement(func(a *domain.Achievement) {
		a.ID, a.Title, a.Summary = "apart", "锂电材料回收", "回收燃料电池催化剂，固态储氢；电解槽与介质。"
	})
	linked := achievement(func(a *domain.Achievement) { a.ID, a.Title = "linked", "高安全固态电解质" })
	e := &domain.Expert{Supply: domain.Supply{Meta: domain.Meta{ID: "e1", UpdatedAt: clock}, Title: "王教授",
		Summary: "长期研究锂电池。", Fields: []string{"新材料/电池材料"}, Region: "320100", Status: "active"}}
	e.AchievementIDs = []string{"linked"}
	recs := records{
		domain.Achievements: {"whole": whole, "apart": apart, "linked": linked},
		domain.Experts:      {"e1": e},
	}
	terms := []string{"锂电池", "固态电解质"}
	var hits fixedSearcher
	for _, r := range []domain.Record{whole, apart, e} {
		// Parts: the words recall says each holds; named (部分匹配) only where no term is, and
		// only those the text holds verbatim: "apart" has 电池 (燃料电池), not 电解质.
		hits = append(hits, index.Hit{Kind: r.RecordKind(), ID: r.GetMeta().ID, Score: 1, Text: 0.9, Coverage: 1, Matched: terms,
			Parts: []string{"电解质", "电池"}})
	}
	svc := match.New(hits, recs, loadTaxonomy(t), nil).WithClock(func() time.Time { return clock })
	list, err := svc.MatchDemand(context.Background(), demand(func(d *domain.Demand) { d.Title = "固态电解质 锂电池" }), nil, 10, profile())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"whole": "匹配关键词：锂电池、固态电解质",
		"apart": "部分匹配：电池",
		"e1":    "匹配关键词：锂电池、固态电解质",
	}
	if len(list.Matches) != len(want) {
		t.Fatalf("%d matches, want %d: excluded %v", len(list.Matches), len(want), list.Excluded.ByReason)
	}
	for _, m := range list.Matches {
		var got string
		for _, r := range m.Reasons {
			if strings.HasPrefix(r, "匹配关键词") || strings.HasPrefix(r, "部分匹配") {
				got = r
			}
		}
		if got != want[m.ID] {
			t.Errorf("%s: reason %q, want %q", m.ID, got, want[m.ID])
		}
	}
}
