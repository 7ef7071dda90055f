package index_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
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
				if err := ix.Apply(context.Background(), recs[i:min(i+500, len(recs))], nil, uint64(i)); err != nil {
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
	ix := memIndex(b, index.WithRecords(recordsOf(corpusRecords(docs))))
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
			return index.RecallRequest{Title: d.Title, Body: d.Summary, Kinds: []domain.Kind{domain.Achievements}, Highlight: true}
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
