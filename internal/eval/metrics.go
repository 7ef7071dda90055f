// Package eval measures ranking quality on a labelled corpus: MRR@k, Recall@k, NDCG@k and latency.
package eval

import (
	"math"
	"slices"
	"time"
)

// Query is one line of a queries file.
type Query struct {
	ID       string         `json:"id"`
	Text     string         `json:"text"`
	Relevant map[string]int `json:"relevant"`
	Demand   map[string]any `json:"demand,omitempty"`
}

// Scores are the mean ranking metrics over a query set.
type Scores struct {
	MRR    float64 `json:"mrr"`
	Recall float64 `json:"recall"`
	NDCG   float64 `json:"ndcg"` // graded: a record's gain is 2^grade − 1
	// Empty is the share of queries whose list came back empty.
	Empty float64 `json:"empty"`
}

// accumulator sums per-query metrics.
type accumulator struct {
	k                int
	n, empty         int
	mrr, recall, ndc float64
}

// Ranked is how one query fared: the rank (from 1) of the first relevant record in the top k,
// 0 when none is there, and the top k ids in order.
type Ranked struct {
	Rank int      `json:"rank"`
	Top  []string `json:"top"`
}

// add scores one ranked list of ids against the graded relevant set.
func (a *accumulator) add(ranked []string, relevant map[string]int) Ranked {
	a.n++
	if len(ranked) == 0 {
		a.empty++
	}
	if len(ranked) > a.k {
		ranked = ranked[:a.k]
	}
	out := Ranked{Top: ranked}
	found := 0
	dcg := 0.0
	for i, id := range ranked {
		g, ok := relevant[id]
		if !ok || g <= 0 {
			continue
		}
		if found == 0 {
			a.mrr += 1 / float64(i+1)
			out.Rank = i + 1
		}
		found++
		dcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	if len(relevant) > 0 {
		a.recall += float64(found) / float64(len(relevant))
	}
	grades := make([]int, 0, len(relevant))
	for _, g := range relevant {
		grades = append(grades, g)
	}
	slices.Sort(grades)
	slices.Reverse(grades)
	idcg := 0.0
	for i, g := range grades {
		if i >= a.k {
			break
		}
		idcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
	}
	if idcg > 0 {
		a.ndc += dcg / idcg
	}
	return out
}

func (a *accumulator) scores() Scores {
	if a.n == 0 {
		return Scores{}
	}
	n := float64(a.n)
	return Scores{MRR: round3(a.mrr / n), Recall: round3(a.recall / n), NDCG: round3(a.ndc / n), Empty: round3(float64(a.empty) / n)}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// Percentiles returns p50, p95 and p99 of durations in milliseconds.
func Percentiles(ds []time.Duration) (p50, p95, p99 float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		i = max(0, min(i, len(s)-1))
		return math.Round(float64(s[i].Microseconds())/10) / 100
	}
	return at(0.50), at(0.95), at(0.99)
}

// ScoreLists is the metrics of ranked lists of ids, lists[i] ranked for the query whose graded
// records are relevant[i].
func ScoreLists(lists [][]string, relevant []map[string]int, k int) Scores {
	acc := accumulator{k: k}
	for i, l := range lists {
		acc.add(l, relevant[i])
	}
	return acc.scores()
}
