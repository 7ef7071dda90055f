package indexer_test

import (
	"context"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/indexer"
)

// An expert is found by the titles of the achievements it links: the indexer builds its
// document with them. When a linked achievement is renamed or deleted, the expert is indexed
// again with it.
func TestLinkedRecordChangesReachTheExpert(t *testing.T) {
	ctx := context.Background()
	st, ix, _ := setupWith(t, nil)
	x := indexer.New(st, ix, indexer.Options{})
	drain := func() {
		t.Helper()
		if err := x.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	experts := func(text string) []string {
		t.Helper()
		hits, err := ix.Recall(ctx, index.RecallRequest{Title: text, Kinds: []domain.Kind{domain.Experts}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
		return ids
	}

	// The expert is written before the achievement it links exists, as imports often do.
	e := &domain.Expert{}
	e.ID, e.Title, e.Status, e.AchievementIDs = "e1", "张教授", "active", []string{"a1"}
	put(t, st, e)
	drain()
	put(t, st, ach("a1", "钙钛矿光伏组件"))
	drain()
	if got := experts("钙钛矿光伏组件"); len(got) != 1 {
		t.Fatalf("experts for the linked title once it exists: %v, want [e1]", got)
	}

	put(t, st, ach("a1", "固态电解质"))
	drain()
	if got := experts("固态电解质"); len(got) != 1 {
		t.Errorf("experts for the renamed title: %v, want [e1]", got)
	}
	if got := experts("钙钛矿光伏组件"); len(got) != 0 {
		t.Errorf("experts for the old title: %v, want none", got)
	}

	if err := st.Delete(ctx, domain.Achievements, "a1"); err != nil {
		t.Fatal(err)
	}
	drain()
	if got := experts("固态电解质"); len(got) != 0 {
		t.Errorf("experts for a deleted achievement's title: %v, want none", got)
	}
}
