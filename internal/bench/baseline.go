package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// Baseline is plain bleve as the targets are stated against: an on-disk scorch index with unsafe batches,
// BM25, one text field of title + summary under one analyzer, a top-200 MatchQuery.
type Baseline struct {
	Dir      string // created for the run and removed after
	Analyzer string
	// Prepare, when not nil, defines Analyzer in the mapping (jieba's custom analyzers).
	Prepare func(*mapping.IndexMappingImpl) error
}

const (
	baselineBatch  = 1000
	baselineRecall = 200
)

func (b *Baseline) mapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if b.Prepare != nil {
		if err := b.Prepare(m); err != nil {
			return nil, fmt.Errorf("bench: baseline analyzer: %w", err)
		}
	}
	m.ScoringModel = "bm25"
	doc := bleve.NewDocumentStaticMapping()
	f := mapping.NewTextFieldMapping()
	f.Analyzer = b.Analyzer
	f.Store = false
	f.IncludeTermVectors = false
	doc.AddFieldMappingsAt("text", f)
	m.DefaultMapping = doc
	m.DefaultAnalyzer = b.Analyzer
	return m, nil
}

// run indexes records 0..n-1 of g and times a MatchQuery per demand; it returns the import's
// timing and the query latency.
func (b *Baseline) run(ctx context.Context, g *Generator, n int, demands []*domain.Demand, wait time.Duration, progress io.Writer) (indexing, Latency, error) {
	m, err := b.mapping()
	if err != nil {
		return indexing{}, Latency{}, err
	}
	idx, err := bleve.NewUsing(b.Dir, m, scorch.Name, scorch.Name, map[string]any{"unsafe_batch": true})
	if err != nil {
		return indexing{}, Latency{}, fmt.Errorf("bench: baseline index: %w", err)
	}
	defer os.RemoveAll(b.Dir)
	defer idx.Close()

	ix := startIndexing(n)
	batch := idx.NewBatch()
	for i := range n {
		c := g.SupplyRecord(i).(domain.SupplyRecord).Common()
		if err := batch.Index(c.ID, map[string]any{"text": c.Title + " " + c.Summary}); err != nil {
			return indexing{}, Latency{}, fmt.Errorf("bench: baseline index %s: %w", c.ID, err)
		}
		if batch.Size() >= baselineBatch || i == n-1 {
			if err := idx.Batch(batch); err != nil {
				return indexing{}, Latency{}, fmt.Errorf("bench: baseline batch at %d: %w", i, err)
			}
			batch.Reset()
		}
	}
	ix = ix.done()
	if err := settle(ctx, progress, "baseline", func(ctx context.Context, max time.Duration) (time.Duration, bool, error) {
		return index.WaitSettled(ctx, idx, max)
	}, wait); err != nil {
		return indexing{}, Latency{}, err
	}

	search := func(d *domain.Demand) error {
		q := bleve.NewMatchQuery(demandText(d))
		q.SetField("text")
		_, err := idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, baselineRecall, 0, false))
		return err
	}
	for _, d := range demands[:min(warmup, len(demands))] {
		if err := search(d); err != nil {
			return indexing{}, Latency{}, fmt.Errorf("bench: baseline query %s: %w", d.ID, err)
		}
	}
	lat := make([]time.Duration, 0, len(demands))
	for _, d := range demands {
		start := time.Now()
		if err := search(d); err != nil {
			return indexing{}, Latency{}, fmt.Errorf("bench: baseline query %s: %w", d.ID, err)
		}
		lat = append(lat, time.Since(start))
	}
	return ix, latencyOf(lat), nil
}

// demandText is what techmatch recalls a demand by: title, keywords, description.
func demandText(d *domain.Demand) string {
	return strings.Join(append(append([]string{d.Title}, d.Keywords...), d.Description), " ")
}

// peakRSSMB is the process's peak resident set (VmHWM) in MiB; 0 where /proc is missing.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return 0
			}
			return round1(kb / 1024)
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux: "5" to clear_refs), so that the next
// peak is techmatch's own. Where that is not allowed the peak stays cumulative, which can only
// overstate techmatch's memory.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
