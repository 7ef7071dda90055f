package eval_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/eval"
)

// synthetic makes queries whose relevant candidates stand out in the head and bm25 signals for
// queries without a description, and in the lexical signal for those with one; the other
// signals are noise.
func synthetic(n int, seed uint64) []eval.Group {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []eval.Group
	for q := range n {
		described := q%2 == 0
		g := eval.Group{Query: fmt.Sprint("q", q), Set: map[bool]string{true: "long", false: "short"}[described], Relevant: map[string]int{}}
		for c := range 40 {
			id := fmt.Sprint("d", c)
			rel := c < 3
			s := index.Signals{Head: rng.Float64(), Body: rng.Float64(), Lexical: rng.Float64(), Record: rng.Float64(), BM25: rng.Float64(),
				Present: index.Present{Head: true, Body: described}}
			if rel {
				if described {
					s.Lexical = 0.6 + 0.4*rng.Float64()
				} else {
					s.Head, s.BM25 = 0.6+0.4*rng.Float64(), 0.5+0.5*rng.Float64()
				}
				g.Relevant[id] = 1
			}
			gain := 0.0
			if rel {
				gain = 1
			}
			g.Candidates = append(g.Candidates, eval.Candidate{ID: id, Signals: s, Gain: gain})
		}
		out = append(out, g)
	}
	return out
}

func TestFitFindsTheSignalsThatRank(t *testing.T) {
	groups := synthetic(200, 1)
	m := eval.Fit(groups, eval.FitOptions{})
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if w := m.Keywords; w.Head+w.BM25 < 0.8 {
		t.Errorf("without a description: %+v, want head and bm25 to carry the weight", w)
	}
	if w := m.Described; w.Lexical < 0.5 {
		t.Errorf("with a description: %+v, want lexical to carry the weight", w)
	}
	fitted, uniform := eval.Score(groups, m, 10), eval.Score(groups, index.TextModel{
		Keywords:  index.Weights{Head: 1, Lexical: 1, Record: 1, BM25: 1},
		Described: index.Weights{Head: 1, Body: 1, Lexical: 1, Record: 1, BM25: 1}}, 10)
	if fitted.NDCG <= uniform.NDCG {
		t.Errorf("fitted NDCG %.3f, uniform weights %.3f: the fit should rank better", fitted.NDCG, uniform.NDCG)
	}
	only := eval.Fit(groups, eval.FitOptions{Described: []string{"body", "record"}})
	if w := only.Described; w.Lexical != 0 || w.Head != 0 || w.BM25 != 0 || w.Body+w.Record < 0.999 {
		t.Errorf("fitted on body and record only: %+v", w)
	}
	kept := index.Weights{Head: 0.25, BM25: 0.75}
	if half := eval.Fit(groups, eval.FitOptions{KeepKeywords: &kept}); half.Keywords != kept || half.Described != m.Described {
		t.Errorf("keeping the keyword weights %+v: got %+v, want them kept and the rest fitted as %+v", kept, half, m.Described)
	}
	if again := eval.Fit(groups, eval.FitOptions{}); again != m {
		t.Errorf("a second fit of the same groups gave %+v, then %+v: want the same", m, again)
	}
}

// A set weighs in the fit of a kind of query by its share of queries of that kind: three
// described queries of a set of keyword queries, ranked by another signal, must not pull the
// described weights as a whole set of described queries does.
func TestFitWeighsASetByItsShareOfAKind(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	group := func(set string, q int, described bool, planted func(*index.Signals)) eval.Group {
		g := eval.Group{Query: fmt.Sprint(set, q), Set: set, Relevant: map[string]int{}}
		for c := range 30 {
			s := index.Signals{Head: rng.Float64(), Body: rng.Float64(), Lexical: rng.Float64(), Record: rng.Float64(),
				Chars: rng.Float64(), BM25: rng.Float64(), Present: index.Present{Head: true, Body: described}}
			gain := 0.0
			if c < 3 {
				planted(&s)
				gain = 1
				g.Relevant[fmt.Sprint("d", c)] = 1
			}
			g.Candidates = append(g.Candidates, eval.Candidate{ID: fmt.Sprint("d", c), Signals: s, Gain: gain})
		}
		return g
	}
	var groups []eval.Group
	for q := range 100 {
		groups = append(groups, group("long", q, true, func(s *index.Signals) { s.Chars = 0.7 + 0.3*rng.Float64() }))
		groups = append(groups, group("kw", q, q < 3, func(s *index.Signals) {
			s.Head = 0.7 + 0.3*rng.Float64()
			s.Record = 0.9 + 0.1*rng.Float64() // what the kw set's three described queries rank by
		}))
	}
	m := eval.Fit(groups, eval.FitOptions{Described: []string{"lexical", "record", "chars", "bm25"}})
	if w := m.Described; w.Chars < 0.7 || w.Record > 0.2 {
		t.Errorf("with a description: %+v, want chars (the long set's) to carry the weight, not record (3 queries of the kw set)", w)
	}
}

func TestCrossValidate(t *testing.T) {
	groups := synthetic(100, 2)
	cv, err := eval.CrossValidate(groups, 5, 10, eval.FitOptions{Iterations: 300})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range cv.Folds {
		total += f.Queries
	}
	if total != len(groups) || len(cv.Folds) != 5 {
		t.Errorf("folds %+v: want 5 covering %d queries", cv.Folds, len(groups))
	}
	for set, planted := range map[string]string{"long": "lexical", "short": "head"} {
		var mine []eval.Group
		for _, g := range groups {
			if g.Set == set {
				mine = append(mine, g)
			}
		}
		alone, held := eval.Score(mine, eval.Alone(planted), 10), cv.Pooled(set)
		if held.NDCG < 0.9*alone.NDCG {
			t.Errorf("%s held out: NDCG %.3f, the planted signal alone %.3f: want it found", set, held.NDCG, alone.NDCG)
		}
	}
	if _, err := eval.CrossValidate(groups, 1, 10, eval.FitOptions{}); err == nil {
		t.Error("one fold: no error")
	}
	if a, b := eval.FoldOf("bdci\x00q1", 5), eval.FoldOf("bdci\x00q1", 5); a != b {
		t.Error("FoldOf is not a function of its input")
	}
}
