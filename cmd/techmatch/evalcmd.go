package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/eval"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("eval", stderr)
	corpus := fs.String("corpus", "", "NDJSON records to index (required)")
	kindName := fs.String("kind", "achievements", "kind of the corpus records")
	queriesPath := fs.String("queries", "", "queries file: {id, text, relevant, demand?} per line (required)")
	profileName := fs.String("profile", "default", "weight profile: default, text-only, or a profile from --profiles")
	k := fs.Int("k", 10, "cut-off rank")
	baselines := fs.String("baseline", "", "also score plain bleve with these analyzers: cjk, jieba (comma-separated)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cfgPath := fs.String("config", "", "configuration file (jieba dictionaries)")
	textModel := fs.String("text-model", "", "text-model weights to rank with (as fit --out writes); default: index.text_model or the built-in model")
	perQuery := fs.String("per-query", "", "also write how each query fared to this file, one JSON object a line: id, text, rank (0: not in the top k), top, baselines")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *corpus == "" || *queriesPath == "" {
		fmt.Fprintln(stderr, "eval: --corpus and --queries are required")
		return errUsage
	}
	if *k < 1 || *k > 100 {
		return fmt.Errorf("eval: --k must be 1–100")
	}
	kind, err := domain.ParseKind(*kindName)
	if err != nil || !kind.IsSupply() {
		return fmt.Errorf("eval: --kind must be achievements, patents or experts")
	}
	var perOut *atomicFile
	if *perQuery != "" {
		for _, in := range []string{*corpus, *queriesPath} {
			if sameFile(*perQuery, in) {
				return fmt.Errorf("eval: --per-query %s is an input of the run; name another file", *perQuery)
			}
		}
		// Created first, so a path that cannot be written fails before the corpus is indexed.
		if perOut, err = createAtomic(*perQuery); err != nil {
			return fmt.Errorf("eval: --per-query: %w", err)
		}
		defer perOut.abort()
	}
	tmp, err := os.MkdirTemp("", "techmatch-eval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	cfg.DataDir = tmp
	cfg.Store.URL = "" // a throw-away store in the temporary data dir, never the configured database
	if *textModel != "" {
		cfg.Index.TextModel = *textModel
	}
	log := newLogger(cfg, io.Discard)

	recs, queries, err := readEvalInputs(*corpus, kind, *queriesPath)
	if err != nil {
		return err
	}
	b, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()
	if err := seedProfiles(ctx, b.store, log); err != nil {
		return err
	}
	matcher, err := newMatcher(b.index, b.store)
	if err != nil {
		return err
	}
	env := eval.Env{Store: b.store, Indexer: b.indexer, Matcher: matcher}
	if err := eval.Load(ctx, env, recs); err != nil {
		return err
	}
	var p *domain.Profile
	if *profileName == "text-only" {
		p = domain.TextOnlyProfile()
	} else if p, err = b.store.Profile(ctx, *profileName); err != nil {
		return fmt.Errorf("eval: profile %q: %w", *profileName, err)
	}
	rep, err := eval.Run(ctx, env, kind, queries, p, *k)
	if err != nil {
		return err
	}
	rep.Docs = len(recs)
	var names []string
	basePer := map[string][]eval.Ranked{}
	for _, name := range strings.Split(*baselines, ",") {
		if name = strings.TrimSpace(name); name == "" || basePer[name] != nil {
			continue
		}
		analyzer, prepare, err := baselineAnalyzer(cfg, name)
		if err != nil {
			return err
		}
		s, per, err := eval.Baseline(ctx, analyzer, prepare, recs, queries, *k)
		if err != nil {
			return err
		}
		if rep.Baselines == nil {
			rep.Baselines = map[string]eval.Scores{}
		}
		rep.Baselines[name] = s
		names = append(names, name)
		basePer[name] = per
	}
	if perOut != nil {
		if err := writePerQuery(perOut, queries, rep.PerQuery, basePer); err != nil {
			return fmt.Errorf("eval: --per-query: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "corpus %s: %d %s; queries %s: %d; profile %s@%d; k=%d\n", filepath.Base(*corpus), len(recs), kind, filepath.Base(*queriesPath), len(queries), p.Name, p.Version, *k)
	fmt.Fprintf(stdout, "%-22s %8s %10s %8s %8s\n", "", fmt.Sprintf("MRR@%d", *k), fmt.Sprintf("Recall@%d", *k), fmt.Sprintf("NDCG@%d", *k), "empty")
	fmt.Fprintf(stdout, "%-22s %8.3f %10.3f %8.3f %8.3f\n", "techmatch", rep.MRR, rep.Recall, rep.NDCG, rep.Empty)
	for _, name := range names {
		s := rep.Baselines[name]
		fmt.Fprintf(stdout, "%-22s %8.3f %10.3f %8.3f %8.3f\n", "bleve BM25 "+name, s.MRR, s.Recall, s.NDCG, s.Empty)
	}
	fmt.Fprintf(stdout, "latency ms: p50 %.2f  p95 %.2f  p99 %.2f\n", rep.Latency["p50"], rep.Latency["p95"], rep.Latency["p99"])
	return nil
}

func readEvalInputs(corpusPath string, kind domain.Kind, queriesPath string) ([]domain.Record, []eval.Query, error) {
	cf, err := os.Open(corpusPath)
	if err != nil {
		return nil, nil, err
	}
	defer cf.Close()
	recs, err := eval.ReadCorpus(cf, kind)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", corpusPath, err)
	}
	qf, err := os.Open(queriesPath)
	if err != nil {
		return nil, nil, err
	}
	defer qf.Close()
	queries, err := eval.ReadQueries(qf)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", queriesPath, err)
	}
	return recs, queries, nil
}

// baselineAnalyzer names the analyzer of a plain-bleve baseline: bleve's cjk bigrams, or
// naive jieba (search mode, lower-cased) over the process's segmenter.
func baselineAnalyzer(cfg config.Config, name string) (string, func(*mapping.IndexMappingImpl) error, error) {
	switch name {
	case "cjk":
		return "cjk", nil, nil
	case "jieba":
		seg, err := segmenter(cfg)
		if err != nil {
			return "", nil, err
		}
		return index.AnalyzerSearch, seg.AddAnalyzers, nil
	}
	return "", nil, fmt.Errorf("eval: unknown baseline %q: want cjk or jieba", name)
}

// perQueryLine is one line of eval --per-query.
type perQueryLine struct {
	ID        string                 `json:"id"`
	Text      string                 `json:"text"`
	Rank      int                    `json:"rank"`
	Top       []string               `json:"top"`
	Baselines map[string]eval.Ranked `json:"baselines,omitempty"`
}

// writePerQuery writes one line per query, techmatch's outcome beside each baseline's, and
// puts the file in place only when all of it is written.
func writePerQuery(f *atomicFile, queries []eval.Query, per []eval.Ranked, base map[string][]eval.Ranked) error {
	enc := f.lines()
	for i, q := range queries {
		line := perQueryLine{ID: q.ID, Text: q.Text, Rank: per[i].Rank, Top: per[i].Top}
		for name, b := range base {
			if line.Baselines == nil {
				line.Baselines = map[string]eval.Ranked{}
			}
			line.Baselines[name] = b[i]
		}
		if line.Top == nil {
			line.Top = []string{}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return f.commit()
}

// atomicFile is written beside its path and renamed onto it by commit: a run that fails or is
// stopped leaves no half-written file, and an older file at the path stays as it was.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

func (a *atomicFile) commit() error {
	if err := a.w.Flush(); err != nil {
		return err
	}
	if err := a.f.Sync(); err != nil {
		return err
	}
	if err := a.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(a.f.Name(), a.path); err != nil {
		return err
	}
	a.done = true
	return nil
}

// lines is an encoder of one JSON value a line into a, HTML left as written.
func (a *atomicFile) lines() *json.Encoder {
	enc := json.NewEncoder(a.w)
	enc.SetEscapeHTML(false)
	return enc
}

// abort removes the temporary file unless commit put it in place.
func (a *atomicFile) abort() {
	if !a.done {
		a.f.Close()
		os.Remove(a.f.Name())
	}
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
