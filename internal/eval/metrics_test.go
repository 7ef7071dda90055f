package eval

import (
	"math"
	"reflect"
	"testing"
)

// TestAccumulator checks the metrics on lists worked out by hand, and what each query is said
// to have fared.
func TestAccumulator(t *testing.T) {
	acc := accumulator{k: 3}
	got := []Ranked{
		acc.add([]string{"a", "b", "c", "d"}, map[string]int{"b": 1}), // rank 2: RR 1/2, recall 1, NDCG 1/log2(3)
		acc.add([]string{"x", "y"}, map[string]int{"a": 1}),           // not found
		acc.add([]string{"b", "a"}, map[string]int{"a": 2, "b": 1}),   // graded: DCG 1 + 3/log2(3), IDCG 3 + 1/log2(3)
		acc.add([]string{"d", "c", "b", "a"}, map[string]int{"a": 1}), // a is 4th, past k = 3
	}
	want := []Ranked{
		{Rank: 2, Top: []string{"a", "b", "c"}},
		{Rank: 0, Top: []string{"x", "y"}},
		{Rank: 1, Top: []string{"b", "a"}},
		{Rank: 0, Top: []string{"d", "c", "b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("per query = %+v\nwant %+v", got, want)
	}
	l3 := math.Log2(3)
	ndcg := (1/l3 + 0 + (1+3/l3)/(3+1/l3) + 0) / 4
	s := acc.scores()
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"MRR", s.MRR, round3((0.5 + 0 + 1 + 0) / 4)},
		{"Recall", s.Recall, round3((1 + 0 + 1 + 0) / 4.0)},
		{"NDCG", s.NDCG, round3(ndcg)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if (&accumulator{k: 10}).scores() != (Scores{}) {
		t.Error("no queries: want zero scores")
	}
}
