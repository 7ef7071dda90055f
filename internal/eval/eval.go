package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk" // the cjk baseline analyzer
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/techmatch/techmatch/internal/domain"
)

// Writer stores records through the same write path as the server.
type Writer interface {
	PutMany(ctx context.Context, recs []domain.Record) error
}

// Drainer brings the index up to date with the store.
type Drainer interface {
	Drain(ctx context.Context) error
}

// Matcher ranks supply for a demand.
type Matcher interface {
	MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error)
}

// Env is a throw-away techmatch: store, indexer and matcher over a temporary data dir.
type Env struct {
	Store   Writer
	Indexer Drainer
	Matcher Matcher
}

// Report is what eval prints; --json prints it as is.
type Report struct {
	K         int                `json:"k"`
	Queries   int                `json:"queries"`
	Docs      int                `json:"docs"`
	Profile   string             `json:"profile"`
	MRR       float64            `json:"mrr"`
	Recall    float64            `json:"recall"`
	NDCG      float64            `json:"ndcg"`
	Empty     float64            `json:"empty"` // share of queries whose list came back empty
	Latency   map[string]float64 `json:"latency_ms"`
	Baselines map[string]Scores  `json:"baselines,omitempty"`
	// PerQuery is how each query fared, in the order of the queries (eval --per-query).
	PerQuery []Ranked `json:"-"`
}

// ReadCorpus decodes NDJSON records of kind k, validating each as the API would.
func ReadCorpus(r io.Reader, k domain.Kind) ([]domain.Record, error) {
	var out []domain.Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), domain.MaxRecordSize)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		rec, err := domain.DecodeRecord(k, sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("corpus line %d: %w", line, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

// ReadQueries decodes a queries file: one {"id","text","relevant","demand"} per line.
func ReadQueries(r io.Reader) ([]Query, error) {
	var out []Query
	dec := json.NewDecoder(r)
	for line := 1; ; line++ {
		var q Query
		if err := dec.Decode(&q); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("queries line %d: %w", line, err)
		}
		if q.Text == "" && q.Demand == nil {
			return nil, fmt.Errorf("queries line %d: neither text nor demand", line)
		}
		out = append(out, q)
	}
}

// DemandOf turns a query into the ad-hoc demand it is run as.
func DemandOf(q Query) (*domain.Demand, error) {
	d := &domain.Demand{}
	if q.Demand != nil {
		data, err := json.Marshal(q.Demand)
		if err != nil {
			return nil, err
		}
		if err := domain.DecodeJSON(data, d); err != nil {
			return nil, fmt.Errorf("query %s: demand: %w", q.ID, err)
		}
	}
	if d.Title == "" {
		d.Title = q.Text
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("query %s: %w", q.ID, err)
	}
	return d, nil
}

// Load writes the corpus through env's store and waits until it is indexed.
func Load(ctx context.Context, env Env, recs []domain.Record) error {
	const batch = 500
	for i := 0; i < len(recs); i += batch {
		if err := env.Store.PutMany(ctx, recs[i:min(i+batch, len(recs))]); err != nil {
			return err
		}
	}
	return env.Indexer.Drain(ctx)
}

// Run scores every query as an ad-hoc demand against kind k, under profile p.
func Run(ctx context.Context, env Env, k domain.Kind, queries []Query, p *domain.Profile, topK int) (*Report, error) {
	acc := accumulator{k: topK}
	lat := make([]time.Duration, 0, len(queries))
	per := make([]Ranked, 0, len(queries))
	for _, q := range queries {
		d, err := DemandOf(q)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		ml, err := env.Matcher.MatchDemand(ctx, d, []domain.Kind{k}, topK, p)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(start))
		ids := make([]string, len(ml.Matches))
		for i, m := range ml.Matches {
			ids[i] = m.ID
		}
		per = append(per, acc.add(ids, q.Relevant))
	}
	s := acc.scores()
	p50, p95, p99 := Percentiles(lat)
	return &Report{K: topK, Queries: len(queries), Profile: p.Name, MRR: s.MRR, Recall: s.Recall, NDCG: s.NDCG, Empty: s.Empty,
		Latency: map[string]float64{"p50": p50, "p95": p95, "p99": p99}, PerQuery: per}, nil
}

// Baseline scores plain bleve: BM25, one text field of title + summary analysed by analyzer,
// a MatchQuery of the query text, top k. It is the obvious alternative techmatch must beat.
// prepare, when not nil, defines the analyzer in the mapping (custom analyzers such as jieba's).
// It also returns how each query fared, in the order of the queries.
func Baseline(ctx context.Context, analyzer string, prepare func(*mapping.IndexMappingImpl) error, recs []domain.Record, queries []Query, topK int) (Scores, []Ranked, error) {
	m := bleve.NewIndexMapping()
	if prepare != nil {
		if err := prepare(m); err != nil {
			return Scores{}, nil, err
		}
	}
	m.ScoringModel = "bm25"
	doc := bleve.NewDocumentStaticMapping()
	f := mapping.NewTextFieldMapping()
	f.Analyzer = analyzer
	f.Store = false
	f.IncludeTermVectors = false
	doc.AddFieldMappingsAt("text", f)
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzer
	idx, err := bleve.NewMemOnly(m)
	if err != nil {
		return Scores{}, nil, fmt.Errorf("baseline %s: %w", analyzer, err)
	}
	defer idx.Close()
	b := idx.NewBatch()
	for _, r := range recs {
		s, ok := r.(domain.SupplyRecord)
		if !ok {
			continue
		}
		c := s.Common()
		if err := b.Index(c.ID, map[string]any{"text": c.Title + " " + c.Summary}); err != nil {
			return Scores{}, nil, err
		}
		if b.Size() >= 1000 {
			if err := idx.Batch(b); err != nil {
				return Scores{}, nil, err
			}
			b.Reset()
		}
	}
	if err := idx.Batch(b); err != nil {
		return Scores{}, nil, err
	}
	acc := accumulator{k: topK}
	per := make([]Ranked, 0, len(queries))
	for _, q := range queries {
		mq := bleve.NewMatchQuery(q.Text)
		mq.SetField("text")
		req := bleve.NewSearchRequestOptions(mq, topK, 0, false)
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return Scores{}, nil, err
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		per = append(per, acc.add(ids, q.Relevant))
	}
	return acc.scores(), per, nil
}
