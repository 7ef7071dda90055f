package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/bench"
	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/pgstore"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (err error) {
	fl := newFlags("bench", stderr)
	docs := fl.Int("docs", 10000, "supply records to generate")
	demands := fl.Int("demands", 500, "demands to time matches with")
	longDemands := fl.Int("long-demands", 200, "demands with a 300–1,000-character description to time matches with, apart")
	source := fl.String("source", "", "papers.jsonl (title, abstract, keywords) to recombine; default: the built-in demo data")
	seed := fl.Uint64("seed", 1, "generator seed: the same seed gives the same corpus")
	baseline := fl.Bool("baseline", false, "also index and query plain bleve (BM25, jieba) in the same run")
	redisURL := fl.String("redis", "", "also time cached matches over this Redis (default $TECHMATCH_REDIS_URL)")
	storeURL := fl.String("store", "", "also measure the PostgreSQL store, after SQLite in the same run, in this database "+
		"(postgres://user:password@host:port/database): in a schema of its own, techmatch_bench_<random>, dropped at the end "+
		"(a killed run leaves it; the progress output names it), with advisory-lock keys of its own, so that its writes do not "+
		"queue with a service's on the same database; it still loads that server")
	keep := fl.String("keep", "", "build the SQLite store's data dir here and keep it, for `techmatch serve` (must not exist)")
	batch := fl.Int("batch", 1000, "records per store transaction")
	asJSON := fl.Bool("json", false, "print one JSON object")
	cfgPath := fl.String("config", "", "configuration file (jieba dictionaries, indexer batch size)")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	settle := fl.Duration("settle", 0, "wait up to this long after indexing, on every side, for segment merges to finish before timing queries")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if *docs < 1 || *demands < 1 {
		return fmt.Errorf("bench: --docs and --demands must be ≥ 1")
	}
	if *settle < 0 {
		return fmt.Errorf("bench: --settle must not be negative, got %s", *settle)
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if *redisURL == "" {
		*redisURL = cfg.Redis.URL
	}
	gen, err := benchGenerator(*source, *seed)
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "techmatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg.DataDir = filepath.Join(tmp, "data")
	cfg.Store.URL = "" // a throw-away store in the temporary data dir, never the configured database
	if *keep != "" {
		if _, err := os.Stat(*keep); err == nil {
			return fmt.Errorf("bench: --keep %s exists; give a new directory", *keep)
		}
		cfg.DataDir = *keep
	}
	log := newLogger(cfg, io.Discard)
	sides := []bench.Side{{Store: "sqlite", Open: benchSide(cfg, log)}}
	if *storeURL != "" {
		sc, err := pgstore.NewScratch(ctx, *storeURL, "techmatch_bench_")
		if err != nil {
			return fmt.Errorf("bench: --store: %w", err)
		}
		defer func() {
			// After an error or an interrupt too, when ctx is done; Run has closed the store.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if derr := sc.Drop(dctx); derr != nil {
				err = errors.Join(err, fmt.Errorf("bench: %w; drop it by hand", derr))
			}
		}()
		fmt.Fprintf(stderr, "postgres: measuring in %s, dropped at the end\n", sc.Where())
		pg := cfg
		pg.DataDir = filepath.Join(tmp, "postgres")
		pg.Store.URL = sc.URL
		sides = append(sides, bench.Side{Store: "postgres", Open: benchSide(pg, log, sc.Options()...)})
	}

	opts := bench.Options{Docs: *docs, Demands: *demands, LongDemands: *longDemands, Batch: *batch, Progress: stderr, Settle: *settle}
	mem := cache.NewMemory(max(cfg.Cache.MaxSize, len(sides)*(*demands)))
	defer mem.Close()
	opts.Caches = append(opts.Caches, bench.NamedCache{Name: "memory", Cache: mem})
	if *redisURL != "" {
		r, err := cache.NewRedis(*redisURL, cfg.Redis.Timeout, log)
		if err != nil {
			return err
		}
		defer r.Close()
		opts.Caches = append(opts.Caches, bench.NamedCache{Name: "redis", Cache: r})
	}
	if *baseline {
		seg, err := segmenter(cfg)
		if err != nil {
			return err
		}
		opts.Baseline = &bench.Baseline{Dir: filepath.Join(tmp, "baseline"), Analyzer: index.AnalyzerSearch, Prepare: seg.AddAnalyzers}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, sides, gen, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	rep.Print(stdout)
	if *keep != "" {
		fmt.Fprintf(stdout, "data dir kept in %s: TECHMATCH_DATA_DIR=%s techmatch serve\n", *keep, *keep)
	}
	return nil
}

// benchSide opens, for bench.Run, a techmatch over cfg's store and data dir wired as serve
// wires it, with the default profile stored.
func benchSide(cfg config.Config, log *slog.Logger, pgOpts ...pgstore.Option) func(context.Context) (bench.Env, func() error, error) {
	return func(ctx context.Context) (bench.Env, func() error, error) {
		b, err := openBackend(ctx, cfg, log, pgOpts...)
		if err != nil {
			return bench.Env{}, nil, err
		}
		env, err := benchEnv(ctx, b, log)
		if err != nil {
			b.close()
			return bench.Env{}, nil, err
		}
		return env, b.close, nil
	}
}

func benchEnv(ctx context.Context, b *backend, log *slog.Logger) (bench.Env, error) {
	if err := seedProfiles(ctx, b.store, log); err != nil {
		return bench.Env{}, err
	}
	profile, err := b.store.Profile(ctx, "default")
	if err != nil {
		return bench.Env{}, err
	}
	matcher, err := newMatcher(b.index, b.store)
	if err != nil {
		return bench.Env{}, err
	}
	return bench.Env{Store: b.store, Indexer: b.indexer, Matcher: matcher, Generation: b.index.Generation, Profile: profile, Settle: b.index.WaitSettled}, nil
}

// benchGenerator reads the source (papers.jsonl, or the embedded demo data) and the taxonomy.
func benchGenerator(source string, seed uint64) (*bench.Generator, error) {
	var src *bench.Source
	var err error
	if source == "" {
		src, err = bench.ReadDemo(configs.FS)
	} else {
		f, ferr := os.Open(source)
		if ferr != nil {
			return nil, ferr
		}
		defer f.Close()
		src, err = bench.ReadPapers(f)
	}
	if err != nil {
		return nil, err
	}
	tax, err := loadTaxonomy()
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	regionsYAML, err := fs.ReadFile(configs.FS, "regions.yaml")
	if err != nil {
		return nil, err
	}
	regions, err := bench.RegionCodes(regionsYAML)
	if err != nil {
		return nil, err
	}
	return bench.NewGenerator(src, tax.Fields(), regions, seed)
}
