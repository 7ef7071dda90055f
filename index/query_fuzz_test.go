package index_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// FuzzQuery: any text a caller can send, as a search query or as a demand's title, keywords
// and description, builds a query that runs without error or panic, and every hit is a record
// of a requested kind with a text relevance in [0, 1]. Query-syntax characters are plain text.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"锂离子电池", "锂电池 负极", `+title:锂 -summary:"电池" AND OR NOT`, `*?~^2 /re.*gex/ [1 TO 5] {a:b}`,
		`\ "unterminated`, "电池\x00材料", "\xff\xfe", "   ", "a", "的的的的的的的的", "title:*",
	} {
		f.Add(seed, "负极材料", uint8(0))
	}
	// With variants, so that terms and words of them grow other forms (WithVariants), some of
	// which no analysis keeps (a form of punctuation only).
	ix := memIndex(f, index.WithVariants([][]string{{"锂电池", "锂离子电池", "锂电"}, {"负极", "负极材料"}, {"a", "的的"}, {"电池", "，，"}}))
	var recs []domain.Record
	for i, text := range []string{"高能量密度锂离子电池负极材料", "钠离子电池正极材料的制备方法", "船舶压载水处理装置", "title:电池 AND 材料"} {
		a := &domain.Achievement{Supply: domain.Supply{Title: text, Summary: text + "，适用于储能。", Status: "active", Region: "320100", TRL: 6}}
		a.ID = "a" + string(rune('0'+i))
		a.UpdatedAt = time.Date(2025, 1, i+1, 0, 0, 0, 0, time.UTC)
		recs = append(recs, a)
	}
	d := &domain.Demand{Title: "寻求锂离子电池负极材料技术", Status: "open"}
	d.ID = "d1"
	recs = append(recs, d)
	if err := ix.Apply(context.Background(), index.Docs(recs), nil, 1); err != nil {
		f.Fatal(err)
	}
	byKey := recordsOf(recs)
	f.Fuzz(func(t *testing.T, text, keyword string, pick uint8) {
		ctx := context.Background()
		kinds := [][]domain.Kind{nil, {domain.Achievements}, {domain.Patents, domain.Experts}, {domain.Demands}}[int(pick)%4]
		res, err := ix.Search(ctx, index.SearchRequest{Query: text, Kinds: kinds, Size: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		res.Highlight(byKey)
		checkHits(t, "Search", res.Hits, kinds, false)
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: text, Keywords: []string{keyword, text}, Body: keyword + text, Kinds: kinds, Size: 10})
		if err != nil {
			t.Fatalf("Recall(%q, %q): %v", text, keyword, err)
		}
		checkHits(t, "Recall", hits, kinds, true)
	})
}

func checkHits(t *testing.T, what string, hits []index.Hit, kinds []domain.Kind, recall bool) {
	t.Helper()
	for _, h := range hits {
		if len(kinds) > 0 && !slices.Contains(kinds, h.Kind) {
			t.Fatalf("%s: hit %s/%s is not of the requested kinds %v", what, h.Kind, h.ID, kinds)
		}
		if len(kinds) == 0 && !recall && h.Kind == domain.Demands {
			t.Fatalf("%s: a demand among supply hits", what)
		}
		if h.Text < 0 || h.Text > 1 {
			t.Fatalf("%s: hit %s text relevance %v outside [0, 1]", what, h.ID, h.Text)
		}
	}
}
