package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/eval"
)

// fitSet is one labelled data set of `techmatch fit --set`.
type fitSet struct {
	Name    string `json:"name"`
	Corpus  string `json:"corpus"`
	Queries string `json:"queries"`
	Pairs   string `json:"pairs,omitempty"`
	Kind    string `json:"kind"`
}

// fitSets collects repeated --set flags: name=…,corpus=…,queries=…[,pairs=…][,kind=…].
type fitSets []fitSet

func (s *fitSets) String() string { return fmt.Sprint(len(*s)) }

func (s *fitSets) Set(v string) error {
	fs := fitSet{Kind: "achievements"}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: want key=value", kv)
		}
		switch k {
		case "name":
			fs.Name = val
		case "corpus":
			fs.Corpus = val
		case "queries":
			fs.Queries = val
		case "pairs":
			fs.Pairs = val
		case "kind":
			fs.Kind = val
		default:
			return fmt.Errorf("unknown key %q: want name, corpus, queries, pairs or kind", k)
		}
	}
	if fs.Corpus == "" || fs.Queries == "" {
		return fmt.Errorf("%q: corpus and queries are required", v)
	}
	if fs.Name == "" {
		fs.Name = strings.TrimSuffix(filepath.Base(fs.Queries), filepath.Ext(fs.Queries))
	}
	*s = append(*s, fs)
	return nil
}

// textModelFile is configs/text_model.json: the weights, and how they were fitted.
type textModelFile struct {
	Weights index.TextModel `json:"weights"`
	Fit     *fitReport      `json:"fit,omitempty"`
}

// fitReport says how a model was fitted, so that it can be fitted again and compared.
type fitReport struct {
	Command string                  `json:"command"`
	Date    string                  `json:"date"`
	Sets    []fitSet                `json:"sets"`
	Folds   int                     `json:"folds"`
	K       int                     `json:"k"`
	Queries map[string]int          `json:"queries"`
	CV      map[string]fitSetScores `json:"cross_validated"`
	Signals map[string][]string     `json:"signals"` // the signals each kind of query was fitted on; none named: all
	Refit   string                  `json:"refit"`   // the weights fitted (--refit); the others were kept from the model in use
}

// fitSetScores are one set's held-out metrics, under the fitted weights and under each
// signal alone, and the weights each fold fitted.
type fitSetScores struct {
	Fitted   eval.Scores            `json:"fitted"`
	Alone    map[string]eval.Scores `json:"alone"`
	Before   eval.Scores            `json:"before"`
	Baseline eval.Scores            `json:"baseline_cjk"`
}

func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fl := newFlags("fit", stderr)
	var sets fitSets
	fl.Var(&sets, "set", "a labelled set: name=N,corpus=FILE,queries=FILE[,pairs=FILE][,kind=KIND] (repeat for several)")
	folds := fl.Int("folds", 5, "cross-validation folds, split by query id")
	k := fl.Int("k", 10, "cut-off rank of the metrics")
	out := fl.String("out", "", "write the fitted model here (configs/text_model.json to ship it)")
	cfgPath := fl.String("config", "", "configuration file (jieba dictionaries)")
	recallSize := fl.Int("recall", index.DefaultRecallSize, "candidates recalled a query")
	useKeywords := fl.String("signals-without-description", "", "the signals the fit may weigh for queries without a description, comma-separated (default: all)")
	useDescribed := fl.String("signals-with-description", "", "the signals the fit may weigh for queries with a description, comma-separated (default: all)")
	dump := fl.String("dump", "", "also write every query's candidates with their signals to this file, one JSON object a line")
	refit := fl.String("refit", "both", "the weights to fit: both, with_description or without_description (the others are kept from the model in use)")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if len(sets) == 0 {
		fmt.Fprintln(stderr, "fit: at least one --set is required")
		return errUsage
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if *refit != "both" && *refit != "with_description" && *refit != "without_description" {
		fmt.Fprintf(stderr, "fit: --refit %q: want both, with_description or without_description\n", *refit)
		return errUsage
	}
	before, err := loadTextModel(cfg)
	if err != nil {
		return err
	}
	var groups []eval.Group
	report := &fitReport{Command: "techmatch fit " + strings.Join(args, " "), Date: time.Now().UTC().Format(time.DateOnly),
		Sets: sets, Folds: *folds, K: *k, Queries: map[string]int{}, CV: map[string]fitSetScores{}}
	baselines := map[string]eval.Scores{}
	for _, s := range sets {
		gs, base, err := fitGroups(ctx, cfg, s, *recallSize, *k)
		if err != nil {
			return fmt.Errorf("fit: set %s: %w", s.Name, err)
		}
		report.Queries[s.Name] = len(gs)
		baselines[s.Name] = base
		groups = append(groups, gs...)
	}
	if *dump != "" {
		if err := dumpGroups(*dump, groups); err != nil {
			return fmt.Errorf("fit: --dump: %w", err)
		}
	}
	var opts eval.FitOptions
	for _, f := range []struct {
		flag, list string
		dst        *[]string
	}{{"signals-without-description", *useKeywords, &opts.Keywords}, {"signals-with-description", *useDescribed, &opts.Described}} {
		if f.list == "" {
			continue
		}
		for _, name := range strings.Split(f.list, ",") {
			if !slices.Contains(eval.Signals, name) {
				return fmt.Errorf("fit: --%s: unknown signal %q: want some of %s", f.flag, name, strings.Join(eval.Signals, ", "))
			}
			*f.dst = append(*f.dst, name)
		}
	}
	report.Signals = map[string][]string{"without_description": opts.Keywords, "with_description": opts.Described}
	switch *refit {
	case "with_description":
		opts.KeepKeywords = &before.Keywords
	case "without_description":
		opts.KeepDescribed = &before.Described
	}
	report.Refit = *refit
	cv, err := eval.CrossValidate(groups, *folds, *k, opts)
	if err != nil {
		return err
	}
	for _, s := range sets {
		var mine []eval.Group
		for _, g := range groups {
			if g.Set == s.Name {
				mine = append(mine, g)
			}
		}
		sc := fitSetScores{Fitted: cv.Pooled(s.Name), Before: eval.Score(mine, before, *k), Baseline: baselines[s.Name], Alone: map[string]eval.Scores{}}
		for _, name := range eval.Signals {
			sc.Alone[name] = eval.Score(mine, eval.Alone(name), *k)
		}
		report.CV[s.Name] = sc
	}
	m := eval.Fit(groups, opts)

	fmt.Fprintf(stdout, "fitted on %d queries of %d sets; %d-fold cross-validation by query, k=%d\n", len(groups), len(sets), *folds, *k)
	fmt.Fprintf(stdout, "%-16s %-24s %8s %10s %8s\n", "set", "ranking", fmt.Sprintf("MRR@%d", *k), fmt.Sprintf("Recall@%d", *k), fmt.Sprintf("NDCG@%d", *k))
	for _, s := range sets {
		sc := report.CV[s.Name]
		row := func(label string, v eval.Scores) {
			fmt.Fprintf(stdout, "%-16s %-24s %8.3f %10.3f %8.3f\n", s.Name, label, v.MRR, v.Recall, v.NDCG)
		}
		row("fitted (held out)", sc.Fitted)
		row("model before", sc.Before)
		row("plain BM25 cjk", sc.Baseline)
		for _, name := range eval.Signals {
			row(name+" alone", sc.Alone[name])
		}
	}
	for i, f := range cv.Folds {
		fmt.Fprintf(stdout, "fold %d: %d queries, weights %s\n", i, f.Queries, weightsText(f.Model))
	}
	fmt.Fprintf(stdout, "fitted on all: %s (before: %s)\n", weightsText(m), weightsText(before))
	if *out == "" {
		return nil
	}
	data, err := json.MarshalIndent(textModelFile{Weights: m, Fit: report}, "", "  ")
	if err != nil {
		return err
	}
	f, err := createAtomic(*out)
	if err != nil {
		return fmt.Errorf("fit: --out: %w", err)
	}
	defer f.abort()
	if _, err := f.w.Write(append(data, '\n')); err != nil {
		return err
	}
	if err := f.commit(); err != nil {
		return fmt.Errorf("fit: --out: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

// fitGroups indexes one set's corpus in a throw-away data dir and recalls each query's
// candidates, with their text signals and gains.
func fitGroups(ctx context.Context, cfg config.Config, s fitSet, size, k int) ([]eval.Group, eval.Scores, error) {
	kind, err := domain.ParseKind(s.Kind)
	if err != nil || !kind.IsSupply() {
		return nil, eval.Scores{}, fmt.Errorf("kind must be achievements, patents or experts")
	}
	recs, queries, err := readEvalInputs(s.Corpus, kind, s.Queries)
	if err != nil {
		return nil, eval.Scores{}, err
	}
	levels, err := readPairs(s.Pairs)
	if err != nil {
		return nil, eval.Scores{}, err
	}
	base, _, err := eval.Baseline(ctx, "cjk", nil, recs, queries, k)
	if err != nil {
		return nil, eval.Scores{}, err
	}
	tmp, err := os.MkdirTemp("", "techmatch-fit-")
	if err != nil {
		return nil, eval.Scores{}, err
	}
	defer os.RemoveAll(tmp)
	cfg.DataDir = tmp
	cfg.Store.URL = "" // a throw-away store in the temporary data dir, never the configured database
	b, err := openBackend(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return nil, eval.Scores{}, err
	}
	defer b.close()
	matcher, err := newMatcher(b.index, b.store)
	if err != nil {
		return nil, eval.Scores{}, err
	}
	if err := eval.Load(ctx, eval.Env{Store: b.store, Indexer: b.indexer, Matcher: matcher}, recs); err != nil {
		return nil, eval.Scores{}, err
	}
	groups := make([]eval.Group, 0, len(queries))
	for _, q := range queries {
		d, err := eval.DemandOf(q)
		if err != nil {
			return nil, eval.Scores{}, err
		}
		cands, err := matcher.Candidates(ctx, d, []domain.Kind{kind}, size)
		if err != nil {
			return nil, eval.Scores{}, fmt.Errorf("query %s: %w", q.ID, err)
		}
		g := eval.Group{Query: q.ID, Set: s.Name, Relevant: q.Relevant}
		for _, c := range cands {
			g.Candidates = append(g.Candidates, eval.Candidate{ID: c.Hit.ID, Signals: c.Hit.Signals, BM25: c.Hit.Score,
				Gain: gainOf(levels[q.ID], q.Relevant, c.Hit.ID)})
		}
		groups = append(groups, g)
	}
	return groups, base, nil
}

// gainOf is what ranking a record for a query gains, as NDCG counts it: 2^grade − 1, the
// grade a judged level's (4 closely related → 2, 3 related → 1, 1 and 2 → 0), else the
// queries file's. Telling level 2 (weakly related) from 1 apart, as a gain of its own, was
// measured and left out: it taught the fit to rank what the metric counts as unrelated
// (docs/relevance.md).
func gainOf(levels map[string]int, relevant map[string]int, id string) float64 {
	grade := relevant[id]
	if lv, ok := levels[id]; ok {
		grade = max(lv-2, 0)
	}
	return math.Pow(2, float64(grade)) - 1
}

// readPairs reads judged pairs, {"demand", "achievement", "level"} a line (level 1 unrelated …
// 4 closely related), into levels by demand and record; "" reads nothing.
func readPairs(path string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var p struct {
			Demand      string `json:"demand"`
			Achievement string `json:"achievement"`
			Record      string `json:"record"`
			Level       int    `json:"level"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		rec := p.Record
		if rec == "" {
			rec = p.Achievement
		}
		if p.Demand == "" || rec == "" || p.Level < 1 || p.Level > 4 {
			return nil, fmt.Errorf("%s line %d: want demand, achievement (or record) and a level 1–4", path, line)
		}
		if out[p.Demand] == nil {
			out[p.Demand] = map[string]int{}
		}
		out[p.Demand][rec] = p.Level
	}
	return out, sc.Err()
}

func weightsText(m index.TextModel) string {
	f := func(w index.Weights) string {
		return fmt.Sprintf("head %.3f body %.3f lexical %.3f record %.3f chars %.3f bm25 %.3f", w.Head, w.Body, w.Lexical, w.Record, w.Chars, w.BM25)
	}
	return "without description: " + f(m.Keywords) + "; with: " + f(m.Described)
}

// dumpGroups writes each query's candidates, with their signals and gains, one query a line.
func dumpGroups(path string, groups []eval.Group) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	defer f.abort()
	enc := f.lines()
	type cand struct {
		eval.Candidate
		Present index.Present `json:"present"`
	}
	for _, g := range groups {
		line := struct {
			Query      string         `json:"query"`
			Set        string         `json:"set"`
			Relevant   map[string]int `json:"relevant"`
			Candidates []cand         `json:"candidates"`
		}{Query: g.Query, Set: g.Set, Relevant: g.Relevant}
		for _, c := range g.Candidates {
			line.Candidates = append(line.Candidates, cand{c, c.Signals.Present})
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return f.commit()
}
