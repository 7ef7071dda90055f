package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

func achievement(id, title, summary string) *domain.Achievement {
	a := &domain.Achievement{}
	a.ID, a.Title, a.Summary, a.Status = id, title, summary, "active"
	a.UpdatedAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return a
}

func TestOpenCreatesAndReopens(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	ix, rebuilt, err := index.Open(dir, segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	if !rebuilt || ix.Position() != 0 {
		t.Fatalf("new index: rebuilt=%v position=%d, want true and 0", rebuilt, ix.Position())
	}
	p := &domain.Patent{}
	p.ID, p.Title = "p1", "一种锂电池隔膜"
	puts := []domain.Record{achievement("a1", "锂电池负极材料", ""), achievement("a2", "钠电池", ""), p}
	if err := ix.Apply(ctx, index.Docs(puts), nil, 7); err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, nil, []index.DocKey{{Kind: domain.Achievements, ID: "a2"}}, 9); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix, rebuilt, err = index.Open(dir, segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if rebuilt {
		t.Error("reopening a good index rebuilt it")
	}
	if got := ix.Position(); got != 9 {
		t.Errorf("Position = %d, want 9", got)
	}
	for k, want := range map[domain.Kind]uint64{domain.Achievements: 9, domain.Patents: 7, domain.Experts: 0, domain.Demands: 0} {
		if got := ix.Generation(k); got != want {
			t.Errorf("Generation(%s) = %d, want %d", k, got, want)
		}
	}
	counts, err := ix.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[domain.Kind]uint64{domain.Achievements: 1, domain.Patents: 1, domain.Experts: 0, domain.Demands: 0}; !reflect.DeepEqual(counts, want) {
		t.Errorf("Count = %v, want %v", counts, want)
	}
	ids, err := ix.IDs(ctx, domain.Achievements)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"a1"}) {
		t.Errorf("IDs = %v, want [a1]", ids)
	}
}

func TestOpenRebuilds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"missing dir", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"wrong schema version", func(t *testing.T, dir string) {
			// Rewrite the stored version through bleve itself, as an older build would have left it.
			setInternal(t, dir, "techmatch:schema", "0")
		}},
		{"schema version 1, which stored title and summary", func(t *testing.T, dir string) {
			setInternal(t, dir, "techmatch:schema", "1")
		}},
		{"other dictionaries", func(t *testing.T, dir string) { setInternal(t, dir, "techmatch:segmenter", "jieba-other") }},
		{"corrupt meta", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{not json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt store", func(t *testing.T, dir string) {
			store := filepath.Join(dir, "store")
			entries, err := os.ReadDir(store)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if err := os.WriteFile(filepath.Join(store, e.Name()), []byte("garbage"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"not an index", func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			if err := os.WriteFile(dir, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "index")
			ix, _, err := index.Open(dir, segmenter(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Apply(ctx, index.Docs([]domain.Record{achievement("a1", "锂电池", "")}), nil, 3); err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, dir)
			ix, rebuilt, err := index.Open(dir, segmenter(t))
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			counts, err := ix.Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !rebuilt || ix.Position() != 0 || counts[domain.Achievements] != 0 {
				t.Errorf("rebuilt=%v position=%d achievements=%d, want a new empty index", rebuilt, ix.Position(), counts[domain.Achievements])
			}
		})
	}
}

func TestApplyCanceled(t *testing.T) {
	ix := memIndex(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Apply(ctx, index.Docs([]domain.Record{achievement("a1", "锂电池", "")}), nil, 1); err == nil {
		t.Fatal("Apply with a canceled context succeeded")
	}
	if ix.Position() != 0 {
		t.Errorf("Position = %d after a failed Apply", ix.Position())
	}
}

// TestDocExtra checks that a document's extra text, what other records lend it, finds it.
func TestDocExtra(t *testing.T) {
	ctx := context.Background()
	ix, err := index.OpenMem(segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	e := &domain.Expert{}
	e.ID, e.Title, e.Status = "e1", "张三", "active"
	if err := ix.Apply(ctx, []index.Doc{{Record: e, Extra: "固态电解质界面研究"}}, nil, 1); err != nil {
		t.Fatal(err)
	}
	hits, err := ix.Recall(ctx, index.RecallRequest{Title: "固态电解质", Kinds: []domain.Kind{domain.Experts}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].ID != "e1" {
		t.Errorf("Recall by enriched text = %+v, want e1", hits)
	}
}

func memIndex(t testing.TB, opts ...index.Option) *index.Index {
	t.Helper()
	ix, err := index.OpenMem(segmenter(t), append([]index.Option{index.WithTextModel(shippedModel(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func setInternal(t *testing.T, dir, key, value string) {
	t.Helper()
	if err := index.SetInternal(dir, key, value); err != nil {
		t.Fatal(err)
	}
}

// records is a map-backed index.Records: the records a test indexed, as the store returns them.
type records map[index.DocKey]domain.Record

func recordsOf(recs []domain.Record) records {
	rs := records{}
	for _, r := range recs {
		rs[index.DocKey{Kind: r.RecordKind(), ID: r.GetMeta().ID}] = r
	}
	return rs
}

func (rs records) GetMany(_ context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	out := make(map[string]domain.Record, len(ids))
	for _, id := range ids {
		if r, ok := rs[index.DocKey{Kind: k, ID: id}]; ok {
			out[id] = r
		}
	}
	return out, nil
}

// TestApplyOneBatchSemantics applies a large batch and checks what Apply guarantees: a later
// put of an id wins over an earlier one, a delete wins over a put, and the position is persisted
// with the documents.
func TestApplyOneBatchSemantics(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	ix, _, err := index.Open(dir, segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Apply(ctx, index.Docs([]domain.Record{achievement("old", "旧成果", "")}), nil, 1); err != nil {
		t.Fatal(err)
	}
	puts := []domain.Record{achievement("a0", "钙钛矿光伏", "")}
	for i := 1; i < 1500; i++ {
		puts = append(puts, achievement(fmt.Sprintf("a%d", i), fmt.Sprintf("成果%d", i), ""))
	}
	puts = append(puts, achievement("a0", "固态电解质", ""))
	deletes := []index.DocKey{{Kind: domain.Achievements, ID: "a7"}, {Kind: domain.Achievements, ID: "old"}}
	if err := ix.Apply(ctx, index.Docs(puts), deletes, 42); err != nil {
		t.Fatal(err)
	}
	check := func(ix *index.Index) {
		t.Helper()
		if ix.Position() != 42 || ix.Generation(domain.Achievements) != 42 {
			t.Errorf("position %d, generation %d, want 42", ix.Position(), ix.Generation(domain.Achievements))
		}
		counts, err := ix.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[domain.Achievements] != 1499 {
			t.Errorf("%d achievements, want 1499 (a0–a1499 without a7)", counts[domain.Achievements])
		}
		for title, want := range map[string]int{"固态电解质": 1, "钙钛矿光伏": 0} {
			hits, err := ix.Recall(ctx, index.RecallRequest{Title: title, Kinds: []domain.Kind{domain.Achievements}})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != want {
				t.Errorf("%s: %d hits, want %d", title, len(hits), want)
			}
		}
	}
	check(ix)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, rebuilt, err := index.Open(dir, segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if rebuilt {
		t.Fatal("reopening rebuilt the index")
	}
	check(ix)
}

// shippedModel is configs/text_model.json, the text model the server ranks with.
func shippedModel(t testing.TB) index.TextModel {
	t.Helper()
	data, err := os.ReadFile("../configs/text_model.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := index.ParseTextModel(data)
	if err != nil {
		t.Fatalf("configs/text_model.json: %v", err)
	}
	return m
}
