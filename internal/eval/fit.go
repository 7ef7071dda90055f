package eval

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/techmatch/techmatch/index"
)

// Candidate is one recalled record of one query, as the text model sees it.
type Candidate struct {
	ID      string
	Signals index.Signals
	BM25    float64 // the hit's raw BM25 score, which orders equal Text
	// Gain is what ranking it gains: 2^grade − 1, as NDCG counts it.
	Gain float64
}

// Group is one query's candidates, with the graded records that count in its metrics.
type Group struct {
	Query      string
	Set        string // the data set it comes from; each set weighs the same in a fit
	Candidates []Candidate
	Relevant   map[string]int
}

// Signals are the text model's inputs, in the order of its weights (weights).
var Signals = []string{"head", "body", "lexical", "record", "bm25", "chars"}

const nSignals = 6

type vec [nSignals]float64

func features(s index.Signals) vec {
	var x vec
	if s.Present.Head {
		x[0] = s.Head
	}
	if s.Present.Body {
		x[1] = s.Body
	}
	x[2], x[3], x[4], x[5] = s.Lexical, s.Record, s.BM25, s.Chars
	return x
}

// weightsOf is w normalised to sum 1, rounded to 4 decimals; def where w is all 0.
func weightsOf(w vec, def index.Weights) index.Weights {
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	if sum <= 0 {
		return def
	}
	r := func(x float64) float64 { return math.Round(x/sum*1e4) / 1e4 }
	return index.Weights{Head: r(w[0]), Body: r(w[1]), Lexical: r(w[2]), Record: r(w[3]), BM25: r(w[4]), Chars: r(w[5])}
}

func vecOf(w index.Weights) vec { return vec{w.Head, w.Body, w.Lexical, w.Record, w.BM25, w.Chars} }

// described reports whether g's query has a description: which of a model's weights rank it.
func described(g Group) bool {
	return len(g.Candidates) > 0 && g.Candidates[0].Signals.Present.Body
}

// split parts groups by whether their query has a description.
func split(groups []Group) (keywords, desc []Group) {
	for _, g := range groups {
		if described(g) {
			desc = append(desc, g)
		} else {
			keywords = append(keywords, g)
		}
	}
	return keywords, desc
}

// FitOptions tune the pairwise fit.
type FitOptions struct {
	Iterations int     // gradient steps; default 3000
	L2         float64 // penalty on the weights' squared norm; default 1e-3
	MaxPairs   int     // ordered pairs kept a query, sampled evenly; default 2000
	// Keywords and Described, when not empty, name the signals the fit may weigh for queries
	// without and with a description; the others weigh 0.
	Keywords, Described []string
	// KeepKeywords and KeepDescribed, when set, are the weights of queries without and with a
	// description, kept instead of fitted (fit --refit).
	KeepKeywords, KeepDescribed *index.Weights
	use                         []string
}

// mask is 1 for each signal o lets the fit weigh.
func (o FitOptions) mask() vec {
	var m vec
	for i, s := range Signals {
		if len(o.use) == 0 || slices.Contains(o.use, s) {
			m[i] = 1
		}
	}
	return m
}

func (o FitOptions) withDefaults() FitOptions {
	if o.Iterations <= 0 {
		o.Iterations = 3000
	}
	if o.L2 <= 0 {
		o.L2 = 1e-3
	}
	if o.MaxPairs <= 0 {
		o.MaxPairs = 2000
	}
	return o
}

type pair struct {
	d vec     // features of the better candidate less those of the worse
	w float64 // gain difference, over the query's pairs and its set's queries
}

// Fit returns the text model whose weights, non-negative and summing to 1, order each
// group's candidates most like their gains: a pairwise logistic loss (RankNet's, with a
// linear scorer) over every pair of candidates of one query with different gains, minimised
// by projected gradient descent. Each query weighs the same within its set, and each set the
// same as another; the weights of each kind of query (with a description or without) are
// fitted apart, each set weighing in a fit in proportion to the share of its queries that are
// of that kind: a set's few queries of the other kind do not weigh as much as a whole set.
// The Text the model gives is the weighted mean of the signals a query has
// (index.TextModel.Combine): within a query that orders as the weighted sum fitted here.
func Fit(groups []Group, o FitOptions) index.TextModel {
	kw, desc := split(groups)
	ok, od := o, o
	ok.use, od.use = o.Keywords, o.Described
	all := queriesPerSet(groups)
	fit := func(kept *index.Weights, groups []Group, o FitOptions, def index.Weights) index.Weights {
		if kept != nil {
			return *kept
		}
		return fitWeights(groups, all, o, def)
	}
	return index.TextModel{Keywords: fit(o.KeepKeywords, kw, ok, index.DefaultTextModel.Keywords),
		Described: fit(o.KeepDescribed, desc, od, index.DefaultTextModel.Described)}
}

func queriesPerSet(groups []Group) map[string]int {
	n := map[string]int{}
	for _, g := range groups {
		n[g.Set]++
	}
	return n
}

// fitWeights fits the weights of groups, queries of one kind; all counts every query of each
// set, of both kinds. A query's pairs weigh 1/(its pairs · its set's queries), scaled so that
// they sum to 1 over the groups.
func fitWeights(groups []Group, all map[string]int, o FitOptions, def index.Weights) index.Weights {
	o = o.withDefaults()
	var pairs []pair
	share := 0.0 // the sets' shares of queries of this kind, summed
	for set, n := range queriesPerSet(groups) {
		share += float64(n) / float64(max(all[set], n))
	}
	for _, g := range groups {
		ps := groupPairs(g, o.MaxPairs)
		for i := range ps {
			ps[i].w /= float64(len(ps)) * float64(max(all[g.Set], 1)) * share
		}
		pairs = append(pairs, ps...)
	}
	if len(pairs) == 0 {
		return def
	}
	// Adam on the raw weights, projected onto w ≥ 0 (and the signals o leaves out onto 0)
	// after each step.
	mask := o.mask()
	w := mask
	var m, v vec
	const lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	for it := 1; it <= o.Iterations; it++ {
		var grad vec
		for _, p := range pairs {
			z := 0.0
			for k := range w {
				z += w[k] * p.d[k]
			}
			// d/dw log(1+e^{-z}) = -σ(-z)·d
			s := -p.w / (1 + math.Exp(z))
			for k := range grad {
				grad[k] += s * p.d[k]
			}
		}
		for k := range w {
			grad[k] += 2 * o.L2 * w[k]
			m[k] = b1*m[k] + (1-b1)*grad[k]
			v[k] = b2*v[k] + (1-b2)*grad[k]*grad[k]
			mh := m[k] / (1 - math.Pow(b1, float64(it)))
			vh := v[k] / (1 - math.Pow(b2, float64(it)))
			w[k] = math.Max(0, w[k]-lr*mh/(math.Sqrt(vh)+eps)) * mask[k]
		}
	}
	return weightsOf(w, def)
}

// groupPairs are g's ordered pairs of candidates with different gains, at most max of them,
// taken evenly from all of them so that the sample does not depend on the candidates' order
// beyond it.
func groupPairs(g Group, max int) []pair {
	var all []pair
	for _, a := range g.Candidates {
		for _, b := range g.Candidates {
			if a.Gain <= b.Gain {
				continue
			}
			xa, xb := features(a.Signals), features(b.Signals)
			var d vec
			for k := range d {
				d[k] = xa[k] - xb[k]
			}
			all = append(all, pair{d: d, w: a.Gain - b.Gain})
		}
	}
	if len(all) <= max {
		return all
	}
	out := make([]pair, 0, max)
	step := float64(len(all)) / float64(max)
	for i := 0; i < max; i++ {
		out = append(out, all[int(float64(i)*step)])
	}
	return out
}

// Rank orders g's candidate ids as the text model m would: by Text, then BM25, then id.
func Rank(g Group, m index.TextModel) []string {
	type scored struct {
		id         string
		text, bm25 float64
	}
	ss := make([]scored, len(g.Candidates))
	for i, c := range g.Candidates {
		ss[i] = scored{c.ID, m.Combine(c.Signals), c.BM25}
	}
	slices.SortStableFunc(ss, func(a, b scored) int {
		return cmp.Or(cmp.Compare(index.Stable(b.text), index.Stable(a.text)), cmp.Compare(index.Stable(b.bm25), index.Stable(a.bm25)), cmp.Compare(a.id, b.id))
	})
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.id
	}
	return ids
}

// Score is the metrics of m's ranking of groups' candidates at cut-off k, each group's
// relevant records outside its candidates counting as missed.
func Score(groups []Group, m index.TextModel, k int) Scores {
	acc := accumulator{k: k}
	for _, g := range groups {
		acc.add(Rank(g, m), g.Relevant)
	}
	return acc.scores()
}

// Alone is the model that ranks by one signal only.
func Alone(signal string) index.TextModel {
	var w vec
	for i, s := range Signals {
		if s == signal {
			w[i] = 1
		}
	}
	ws := weightsOf(w, index.Weights{})
	return index.TextModel{Keywords: ws, Described: ws}
}

// Fold is one fold of a cross-validation: its queries and the model fitted without them.
type Fold struct {
	Queries int             `json:"queries"`
	Model   index.TextModel `json:"model"`
}

// CV is a cross-validation: each query ranked by the model fitted on the other folds.
type CV struct {
	Folds []Fold
	bySet map[string]*accumulator
}

// Pooled is set's metrics over its queries, each ranked by the model of the fold it was left
// out of.
func (cv CV) Pooled(set string) Scores {
	if a := cv.bySet[set]; a != nil {
		return a.scores()
	}
	return Scores{}
}

// CrossValidate fits a model on all but one of the folds of the queries, split by a hash of
// each query's set and id (so a query's fold never depends on the others), and ranks the
// queries of that fold with it, for every fold.
func CrossValidate(groups []Group, folds, k int, o FitOptions) (CV, error) {
	if folds < 2 {
		return CV{}, fmt.Errorf("eval: cross-validation needs at least 2 folds, not %d", folds)
	}
	cv := CV{Folds: make([]Fold, folds), bySet: map[string]*accumulator{}}
	for f := range folds {
		var train, test []Group
		for _, g := range groups {
			if FoldOf(g.Set+"\x00"+g.Query, folds) == f {
				test = append(test, g)
			} else {
				train = append(train, g)
			}
		}
		m := Fit(train, o)
		cv.Folds[f] = Fold{Queries: len(test), Model: m}
		for _, g := range test {
			a := cv.bySet[g.Set]
			if a == nil {
				a = &accumulator{k: k}
				cv.bySet[g.Set] = a
			}
			a.add(Rank(g, m), g.Relevant)
		}
	}
	return cv, nil
}

// FoldOf is the fold of n a query id falls in.
func FoldOf(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}
