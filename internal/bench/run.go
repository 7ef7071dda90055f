package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/eval"
)

// Store is the write path and the demand lookup of a served match.
type Store interface {
	PutMany(ctx context.Context, recs []domain.Record) error
	Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error)
	DemandHead(ctx context.Context, id string) (domain.DemandHead, error)
}

// Indexer applies the store's outbox to the index, in the background and on demand.
type Indexer interface {
	Run(ctx context.Context)
	Notify()
	Drain(ctx context.Context) error
}

// Matcher ranks supply for a demand.
type Matcher interface {
	MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error)
}

// Env is a techmatch over a fresh data dir, wired as the server wires it.
type Env struct {
	Store      Store
	Indexer    Indexer
	Matcher    Matcher
	Generation func(domain.Kind) uint64 // the index's data generation, part of cache keys
	Profile    *domain.Profile          // the stored default profile
	// Settle waits up to max for the index's merges to finish (index.WaitSettled); nil: no wait.
	Settle func(ctx context.Context, max time.Duration) (time.Duration, bool, error)
}

// NamedCache is a cache backend to time the cached path over.
type NamedCache struct {
	Name  string // "memory" or "redis"
	Cache cache.Cache
}

// Options say what to measure.
type Options struct {
	Docs    int
	Demands int // ≥ 1; the issue asks for ≥ 500
	// LongDemands are timed apart, uncached: demands with a 300–1,000-character description
	// (Generator.LongDemands); 0 times none.
	LongDemands int
	Batch       int // records per PutMany transaction
	Caches      []NamedCache
	Baseline    *Baseline // nil: no baseline
	Progress    io.Writer // one line per phase; nil discards
	// Settle is the longest to wait after indexing, on both sides, for segment merges to
	// finish before queries are timed (index.WaitSettled): scorch merges for a while after a
	// bulk import, and queries meanwhile compete with the merges and read more, smaller
	// segments. 0 times queries at once, the import's worst case.
	Settle time.Duration
}

// Latency is a distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func latencyOf(ds []time.Duration) Latency {
	p50, p95, p99 := eval.Percentiles(ds)
	return Latency{P50: p50, P95: p95, P99: p99}
}

// Side is one store to measure techmatch over.
type Side struct {
	Store string // what the report calls it: "sqlite", "postgres"
	// Open wires a techmatch over the store and a fresh data dir; close releases both. Run opens
	// a side only once the one before it is closed, so that its memory stays out of the next
	// side's peak RSS.
	Open func(ctx context.Context) (env Env, close func() error, err error)
}

// Figures are one store's measurements.
type Figures struct {
	Store         string  `json:"store"`
	IndexDocsPerS float64 `json:"index_docs_per_s"`
	// IndexCPUS is the CPU-seconds the process spent while it indexed (the same span as the
	// docs/s): whether a side was slower for doing more work or for waiting. A PostgreSQL
	// server's own CPU is not in it. On a shared VM it moves from run to run with the wall
	// clock (the same plain-bleve import took 49–83 CPU-s here). 0 where not measured.
	IndexCPUS          float64  `json:"index_cpu_s"`
	MatchMS            Latency  `json:"match_ms"`
	LongMatchMS        *Latency `json:"long_match_ms,omitempty"` // demands with a 300–1,000-character description
	CachedMatchMS      Latency  `json:"cached_match_ms"`
	RedisCachedMatchMS *Latency `json:"redis_cached_match_ms,omitempty"`
	// RSSMB is techmatch's peak RSS over this store, from its opening on: the memory of what
	// ran before (the baseline, the store before) is released and the peak reset first. A
	// PostgreSQL server's memory is not in it.
	RSSMB float64 `json:"rss_mb"`
}

// Report is what bench prints; --json prints it as is. The first store's figures are at the top
// level, where they were before bench measured two stores; the others are in Compared.
type Report struct {
	Docs    int `json:"docs"`
	Demands int `json:"demands"`
	Figures
	BaselineIndexDocsPerS float64  `json:"baseline_index_docs_per_s,omitempty"`
	BaselineIndexCPUS     float64  `json:"baseline_index_cpu_s,omitempty"`
	BaselineRecallMS      *Latency `json:"baseline_recall_ms,omitempty"`
	// BaselineRSSMB is the peak while plain bleve ran.
	BaselineRSSMB float64 `json:"baseline_rss_mb,omitempty"`
	// Compared are the other stores' figures, measured after the first in the same run, the
	// same way: the stores are compared under the same machine load.
	Compared []Figures `json:"compared,omitempty"`
}

// Stores are the figures of every store measured, the first one first.
func (r *Report) Stores() []Figures { return append([]Figures{r.Figures}, r.Compared...) }

// cachedLimit and the kinds below are what the cached path is timed with: the default list.
const cachedLimit = 10

// Run measures techmatch over each side's store in turn, with the records and demands of g, and
// plain bleve when o.Baseline is set. The baseline runs first; before each side is opened, the
// memory of what ran before is released and the peak RSS reset.
func Run(ctx context.Context, sides []Side, g *Generator, o Options) (*Report, error) {
	if o.Docs < 1 || o.Demands < 1 {
		return nil, fmt.Errorf("bench: need at least one record and one demand, got %d and %d", o.Docs, o.Demands)
	}
	if len(sides) == 0 {
		return nil, fmt.Errorf("bench: no store to measure")
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	demands := g.Demands(o.Demands)
	rep := &Report{Docs: o.Docs, Demands: o.Demands}
	if o.Baseline != nil {
		fmt.Fprintf(o.Progress, "baseline: indexing %d records into plain bleve\n", o.Docs)
		var ix indexing
		var lat Latency
		err := phase(ctx, "", "baseline", func(ctx context.Context) (err error) {
			ix, lat, err = o.Baseline.run(ctx, g, o.Docs, demands, o.Settle, o.Progress)
			return err
		})
		if err != nil {
			return nil, err
		}
		rep.BaselineIndexDocsPerS, rep.BaselineIndexCPUS, rep.BaselineRecallMS = ix.rate(), ix.cpuSeconds(), &lat
		rep.BaselineRSSMB = peakRSSMB()
	}
	for i, side := range sides {
		// Every side's peak from the same start, whatever ran before it.
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		f, err := measure(ctx, side, g, demands, o, len(sides) > 1)
		if err != nil {
			if len(sides) > 1 {
				err = fmt.Errorf("%s store: %w", side.Store, err)
			}
			return nil, err
		}
		if i == 0 {
			rep.Figures = f
		} else {
			rep.Compared = append(rep.Compared, f)
		}
	}
	return rep, nil
}

// measure opens side, times its phases and closes it. named says whether the progress lines
// name the store (they do when there are several).
func measure(ctx context.Context, side Side, g *Generator, demands []*domain.Demand, o Options, named bool) (f Figures, err error) {
	f.Store = side.Store
	who := "techmatch"
	if named {
		who += " on " + side.Store
	}
	env, closeEnv, err := side.Open(ctx)
	if err != nil {
		return f, err
	}
	defer func() { err = errors.Join(err, closeEnv()) }()

	fmt.Fprintf(o.Progress, "%s: indexing %d records through store, outbox and indexer\n", who, o.Docs)
	var ix indexing
	err = phase(ctx, side.Store, "index", func(ctx context.Context) (err error) {
		ix, err = load(ctx, env, g, o.Docs, o.Batch)
		return err
	})
	if err != nil {
		return f, err
	}
	f.IndexDocsPerS, f.IndexCPUS = ix.rate(), ix.cpuSeconds()
	stored := make([]domain.Record, len(demands))
	for i, d := range demands {
		stored[i] = d
	}
	if err := env.Store.PutMany(ctx, stored); err != nil {
		return f, fmt.Errorf("bench: store demands: %w", err)
	}
	if err := env.Indexer.Drain(ctx); err != nil {
		return f, fmt.Errorf("bench: index demands: %w", err)
	}

	if err := settle(ctx, o.Progress, who, env.Settle, o.Settle); err != nil {
		return f, err
	}
	fmt.Fprintf(o.Progress, "%s: %d uncached matches\n", who, len(demands))
	err = phase(ctx, side.Store, "match", func(ctx context.Context) (err error) {
		f.MatchMS, err = uncached(ctx, env, demands)
		return err
	})
	if err != nil {
		return f, err
	}
	if o.LongDemands > 0 {
		long := g.LongDemands(o.LongDemands)
		fmt.Fprintf(o.Progress, "%s: %d uncached matches of demands with a description\n", who, len(long))
		var lat Latency
		err = phase(ctx, side.Store, "match-long", func(ctx context.Context) (err error) {
			lat, err = uncached(ctx, env, long)
			return err
		})
		if err != nil {
			return f, err
		}
		f.LongMatchMS = &lat
	}
	for _, c := range o.Caches {
		fmt.Fprintf(o.Progress, "%s: %d cached matches over %s\n", who, len(demands), c.Name)
		var lat Latency
		err := phase(ctx, side.Store, "cached-"+c.Name, func(ctx context.Context) (err error) {
			lat, err = cached(ctx, env, side.Store, c.Cache, demands)
			return err
		})
		if err != nil {
			return f, fmt.Errorf("bench: cached matches over %s: %w", c.Name, err)
		}
		switch c.Name {
		case "redis":
			f.RedisCachedMatchMS = &lat
		default:
			f.CachedMatchMS = lat
		}
	}
	f.RSSMB = peakRSSMB()
	return f, nil
}

// settle waits up to max for wait to see the merges finished, and says how long it took.
func settle(ctx context.Context, progress io.Writer, side string, wait func(context.Context, time.Duration) (time.Duration, bool, error), max time.Duration) error {
	if max <= 0 || wait == nil {
		return nil
	}
	took, ok, err := wait(ctx, max)
	if err != nil {
		return fmt.Errorf("bench: %s: waiting for merges: %w", side, err)
	}
	if ok {
		fmt.Fprintf(progress, "%s: merges settled after %.1fs\n", side, took.Seconds())
	} else {
		fmt.Fprintf(progress, "%s: merges still running after %s; timing queries anyway\n", side, max)
	}
	return nil
}

// phase runs fn under the pprof labels phase=name and store=store (none for the baseline), so
// that one CPU profile of a whole run can be read phase by phase and store by store:
// go tool pprof -tagfocus phase=match -tagfocus store=postgres.
func phase(ctx context.Context, store, name string, fn func(context.Context) error) error {
	labels := []string{"phase", name}
	if store != "" {
		labels = append(labels, "store", store)
	}
	var err error
	pprof.Do(ctx, pprof.Labels(labels...), func(ctx context.Context) { err = fn(ctx) })
	return err
}

// load writes records 0..n-1 in batches through the store while the indexer drains the outbox
// in the background, as the server does, and returns records per second until all are indexed.
// Records are generated batch by batch so that the corpus never sits whole in memory.
func load(ctx context.Context, env Env, g *Generator, n, batch int) (indexing, error) {
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { env.Indexer.Run(runCtx) })
	ix := startIndexing(n)
	recs := make([]domain.Record, 0, batch)
	var err error
	for i := 0; i < n && err == nil; i += batch {
		recs = recs[:0]
		for j := i; j < min(i+batch, n); j++ {
			recs = append(recs, g.SupplyRecord(j))
		}
		if err = env.Store.PutMany(ctx, recs); err != nil {
			err = fmt.Errorf("bench: store records %d–%d: %w", i, i+len(recs)-1, err)
		}
		env.Indexer.Notify()
	}
	stop()
	wg.Wait()
	if err != nil {
		return indexing{}, err
	}
	if err := env.Indexer.Drain(ctx); err != nil {
		return indexing{}, fmt.Errorf("bench: drain the outbox: %w", err)
	}
	return ix.done(), nil
}

// indexing is one side's import: how many records, and the wall and CPU time it took.
type indexing struct {
	docs      int
	startWall time.Time
	startCPU  time.Duration
	wall, cpu time.Duration
}

func startIndexing(docs int) indexing {
	return indexing{docs: docs, startWall: time.Now(), startCPU: processCPU()}
}

// done ends the span begun by startIndexing.
func (ix indexing) done() indexing {
	ix.wall, ix.cpu = time.Since(ix.startWall), processCPU()-ix.startCPU
	return ix
}

func (ix indexing) rate() float64 { return round1(float64(ix.docs) / ix.wall.Seconds()) }

// cpuSeconds is 0 where the CPU time is not measured (processCPU).
func (ix indexing) cpuSeconds() float64 {
	if ix.cpu <= 0 {
		return 0
	}
	return round1(ix.cpu.Seconds())
}

// warmup queries are run and not timed, on both sides alike, so that first-use costs (page
// cache, lazily built tables) do not land in the percentiles.
const warmup = 10

func uncached(ctx context.Context, env Env, demands []*domain.Demand) (Latency, error) {
	for _, d := range demands[:min(warmup, len(demands))] {
		if _, err := env.Matcher.MatchDemand(ctx, d, nil, cachedLimit, env.Profile); err != nil {
			return Latency{}, fmt.Errorf("bench: match demand %s: %w", d.ID, err)
		}
	}
	lat := make([]time.Duration, 0, len(demands))
	for _, d := range demands {
		start := time.Now()
		if _, err := env.Matcher.MatchDemand(ctx, d, nil, cachedLimit, env.Profile); err != nil {
			return Latency{}, fmt.Errorf("bench: match demand %s: %w", d.ID, err)
		}
		lat = append(lat, time.Since(start))
	}
	return latencyOf(lat), nil
}

// cached times GET /v1/demands/{id}/matches minus HTTP: read the stored demand's head, build the
// handler's cache key, read through a Loader (loading the demand only on a miss). A first pass fills the cache; the second, timed,
// must hit every time. The key ends in the store's name: the stores' lists share the cache and
// would otherwise share keys, and one store's first pass would hit the other's entries.
func cached(ctx context.Context, env Env, store string, c cache.Cache, demands []*domain.Demand) (Latency, error) {
	loader := cache.NewLoader(c, 10*time.Minute, nil)
	get := func(id string) (cache.Status, error) {
		h, err := env.Store.DemandHead(ctx, id)
		if err != nil {
			return "", err
		}
		key := cache.Key("match", "demand", h.ID, strconv.FormatInt(h.Rev, 10), "fb="+strconv.FormatInt(h.Feedback, 10),
			env.Profile.Name+"@"+strconv.Itoa(env.Profile.Version), generations(env, domain.SupplyKinds),
			kindList(domain.SupplyKinds), strconv.Itoa(cachedLimit), "bench="+store)
		_, status, err := loader.Get(ctx, key, func(ctx context.Context) ([]byte, error) {
			rec, err := env.Store.Get(ctx, domain.Demands, id)
			if err != nil {
				return nil, err
			}
			ml, err := env.Matcher.MatchDemand(ctx, rec.(*domain.Demand), domain.SupplyKinds, cachedLimit, env.Profile)
			if err != nil {
				return nil, err
			}
			return json.Marshal(ml)
		})
		return status, err
	}
	for _, d := range demands {
		if _, err := get(d.ID); err != nil {
			return Latency{}, err
		}
	}
	lat := make([]time.Duration, 0, len(demands))
	for _, d := range demands {
		start := time.Now()
		status, err := get(d.ID)
		if err != nil {
			return Latency{}, err
		}
		lat = append(lat, time.Since(start))
		if status != cache.Hit {
			return Latency{}, fmt.Errorf("demand %s: second lookup was a %s, not a hit", d.ID, status)
		}
	}
	return latencyOf(lat), nil
}

func generations(env Env, ks []domain.Kind) string {
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, "%s=%d;", k, env.Generation(k))
	}
	return b.String()
}

func kindList(ks []domain.Kind) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
