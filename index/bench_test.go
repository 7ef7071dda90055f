package index_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/registry"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

const benchText = "本成果研制了高能量密度锂离子电池硅碳复合负极材料，采用合成孔径雷达(SAR)图像的目标识别方法，" +
	"基于Lyapunov函数设计镇定控制器，循环寿命超过2000次，适用于新能源汽车与储能电站。"

func BenchmarkTokenize(b *testing.B) {
	seg := segmenter(b)
	for _, mode := range []struct {
		name   string
		search bool
	}{{"exact", false}, {"search", true}} {
		tok := seg.Tokenizer(mode.search)
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchText)))
			for b.Loop() {
				tok.Tokenize([]byte(benchText))
			}
		})
	}
}

// BenchmarkAnalyzeText analyses a record's text with bleve's cjk analyzer and with the text
// fields' analyzer, which gives the same tokens in one pass (bigram.go).
func BenchmarkAnalyzeText(b *testing.B) {
	c := registry.NewCache()
	for _, name := range []string{cjk.AnalyzerName, index.AnalyzerBigram} {
		a, err := c.AnalyzerNamed(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(benchText)))
			b.ReportAllocs()
			for b.Loop() {
				a.Analyze([]byte(benchText))
			}
		})
	}
}

// BenchmarkApply indexes the CSL corpus; the baseline is plain bleve with one jieba field.
func BenchmarkApply(b *testing.B) {
	docs := readJSONL[corpusDoc](b, filepath.Join(cslDir(b), "eval", "corpus.jsonl"))
	recs := corpusRecords(docs)
	seg := segmenter(b)
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			ix, err := index.OpenMem(seg)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(recs); i += 500 {
				if err := ix.Apply(context.Background(), index.Docs(recs[i:min(i+500, len(recs))]), nil, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			ix.Close()
		}
		b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	b.Run("plain-bleve-jieba", func(b *testing.B) {
		for b.Loop() {
			im := bleve.NewIndexMapping()
			im.ScoringModel = bindex.BM25Scoring
			if err := seg.AddAnalyzers(im); err != nil {
				b.Fatal(err)
			}
			im.DefaultAnalyzer = index.AnalyzerSearch
			bi, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(docs); i += 500 {
				batch := bi.NewBatch()
				for _, d := range docs[i:min(i+500, len(docs))] {
					if err := batch.Index(d.ID, map[string]string{"text": d.Title + " " + d.Summary}); err != nil {
						b.Fatal(err)
					}
				}
				if err := bi.Batch(batch); err != nil {
					b.Fatal(err)
				}
			}
			bi.Close()
		}
		b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}

// BenchmarkRecall runs dev kw2 queries and a demand-like query against the CSL corpus.
func BenchmarkRecall(b *testing.B) {
	dir := cslDir(b)
	docs := readJSONL[corpusDoc](b, filepath.Join(dir, "eval", "corpus.jsonl"))
	queries := readJSONL[evalQuery](b, filepath.Join(dir, "eval", "queries_dev_kw2.jsonl"))
	ix := memIndex(b)
	loadCorpus(b, ix, docs)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  func(i int) index.RecallRequest
	}{
		{"keywords", func(i int) index.RecallRequest {
			return index.RecallRequest{Title: queries[i%len(queries)].Text, Kinds: []domain.Kind{domain.Achievements}}
		}},
		{"demand", func(i int) index.RecallRequest {
			d := docs[i%len(docs)]
			return index.RecallRequest{Title: d.Title, Body: d.Summary, Kinds: []domain.Kind{domain.Achievements}}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := ix.Recall(ctx, tc.req(i)); err != nil {
					b.Fatal(fmt.Sprint(err))
				}
				i++
			}
		})
	}
}

// BenchmarkHighlights marks six terms in a summary of ~400 bytes, as a listed match or a search
// hit does for its title and summary: Chinese text with full-width punctuation, so the spans
// found in the folded text are mapped back to the record's offsets.
func BenchmarkHighlights(b *testing.B) {
	const summary = "以氧化石墨烯浆料刮涂成膜，经低温还原、2800℃石墨化与压延致密化，制得厚度25–100 μm的石墨烯导热膜，" +
		"面内热导率1500 W/(m·K)以上，耐弯折10万次无开裂。已建成年产10万平方米产线，可用于手机、平板电脑和动力电池模组散热。" +
		"采用Li6PS5Cl型硫化物固态电解质，室温离子电导率8.2 mS/cm。"
	terms := []string{"石墨烯", "导热膜", "热导率", "厚度", "散热", "li6ps5cl"}
	b.SetBytes(int64(len(summary)))
	for b.Loop() {
		index.Highlights("高导热石墨烯膜规模化制备技术", summary, terms)
	}
}
