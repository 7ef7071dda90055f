package index_test

import (
	"context"
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
	hits, err := ix.Recall(context.Background(), index.RecallRequest{Title: "锂离子电池 负极材料", Kinds: []domain.Kind{domain.Achievements}, Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ID != "a1" || hits[0].Coverage != 1 {
		t.Fatalf("first hit %+v, want a1 with Coverage 1", hits)
	}
	if len(hits[0].Matched) != 2 || hits[0].Highlights["title"] == nil {
		t.Errorf("a1: Matched %q, highlights %v", hits[0].Matched, hits[0].Highlights)
	}
	for i, h := range hits {
		if h.Text < 0 || h.Text > h.Coverage || h.Coverage > 1 {
			t.Errorf("%s: Text %v, Coverage %v: want 0 ≤ Text ≤ Coverage ≤ 1", h.ID, h.Text, h.Coverage)
		}
		if i > 0 && h.Text > hits[i-1].Text {
			t.Errorf("hits not ordered by Text: %v after %v", h.Text, hits[i-1].Text)
		}
		if h.ID == "a2" && h.Text >= 0.6 {
			t.Errorf("a2 (钠离子电池正极材料) Text %v: a partial match should stay low", h.Text)
		}
	}
}
