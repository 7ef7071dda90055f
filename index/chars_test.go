package index

import (
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// TestCharsAnalyzer: each Han ideograph a token, a run of letters and digits one token folded
// as queries are (full-width, upper case), anything else between tokens, byte offsets into the
// input as bleve wants them.
func TestCharsAnalyzer(t *testing.T) {
	in := "耐火ＬＩＤＡＲ材料, 5G与304不锈钢\xff𠀋"
	type tok struct {
		term       string
		start, end int
		typ        analysis.TokenType
	}
	want := []tok{
		{"耐", 0, 3, analysis.Ideographic}, {"火", 3, 6, analysis.Ideographic},
		{"lidar", 6, 21, analysis.AlphaNumeric},
		{"材", 21, 24, analysis.Ideographic}, {"料", 24, 27, analysis.Ideographic},
		{"5g", 29, 31, analysis.AlphaNumeric}, {"与", 31, 34, analysis.Ideographic},
		{"304", 34, 37, analysis.AlphaNumeric},
		{"不", 37, 40, analysis.Ideographic}, {"锈", 40, 43, analysis.Ideographic}, {"钢", 43, 46, analysis.Ideographic},
		{"𠀋", 47, 51, analysis.Ideographic}, // an ideograph outside the common block; the invalid byte before it separates
	}
	got := charsAnalyzer{}.Analyze([]byte(in))
	if len(got) != len(want) {
		t.Fatalf("%d tokens %v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if string(g.Term) != w.term || g.Start != w.start || g.End != w.end || g.Type != w.typ || g.Position != i+1 {
			t.Errorf("token %d: %q [%d,%d) type %v pos %d, want %q [%d,%d) type %v pos %d",
				i, g.Term, g.Start, g.End, g.Type, g.Position, w.term, w.start, w.end, w.typ, i+1)
		}
	}
	order, tf := charTokens("锂电池，电池 2024 年 ab")
	if len(order) != 5 || tf["电"] != 2 || tf["池"] != 2 || tf["2024"] != 0 || tf["ab"] != 1 {
		t.Errorf("charTokens: %v %v: want bare numbers left out and each character counted", order, tf)
	}
}
