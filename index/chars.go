package index

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// analyzerChars is the analyzer of the chars field: a record's text in single characters, the
// unit the characters signal (Signals.Chars) counts in. Each Han ideograph is a token of its
// own; a run of other letters and digits is one token (lidar, 5g, 304); everything else
// separates tokens. Text is folded as the query is (foldRune: full-width forms to ASCII, lower
// case), so the tokens of a record and of a demand meet. Invalid UTF-8 separates tokens.
//
// Two wordings of one thing often share characters and no bigram (耐火材料 and 耐高温炉衬,
// 防爆 and 爆炸): a record holding many of a long demand's rarer characters is likely on its
// subject even where their words differ (docs/relevance.md, "Characters").
const analyzerChars = "techmatch_chars"

type charsAnalyzer struct{}

func init() {
	if err := registry.RegisterAnalyzer(analyzerChars, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
		return charsAnalyzer{}, nil
	}); err != nil {
		panic(err)
	}
}

// Analyze is safe for concurrent use: it keeps no state.
func (charsAnalyzer) Analyze(input []byte) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(input)/3+4)
	pos := 1
	word, start := []byte(nil), -1 // the letters-and-digits run being read, and where it began
	end := func(at int) {
		if start >= 0 {
			out = append(out, &analysis.Token{Term: word, Start: start, End: at, Position: pos, Type: analysis.AlphaNumeric})
			pos++
			word, start = nil, -1
		}
	}
	for i := 0; i < len(input); {
		r, size := rune(input[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(input[i:])
		}
		f := foldRune(r)
		switch {
		case r == utf8.RuneError && size == 1:
			end(i)
		case hanRune(f):
			end(i)
			out = append(out, &analysis.Token{Term: input[i : i+size], Start: i, End: i + size, Position: pos, Type: analysis.Ideographic})
			pos++
		case unicode.IsLetter(f) || unicode.IsDigit(f):
			if start < 0 {
				start = i
			}
			word = utf8.AppendRune(word, f)
		default:
			end(i)
		}
		i += size
	}
	end(len(input))
	return out
}

// hanRune reports whether r is a Han ideograph: the CJK Unified Ideographs block is most of
// Chinese text and needs no table.
func hanRune(r rune) bool { return fastIdeograph(r) || (r >= 0x2E80 && unicode.Is(unicode.Han, r)) }

// charTokens are the characters signal's tokens of a text (analyzerChars), with how often
// each occurs, in order of first occurrence; bare numbers are left out, as the lexical signal
// leaves them out.
func charTokens(text string) (order []string, tf map[string]float64) {
	tf = map[string]float64{}
	for _, t := range (charsAnalyzer{}).Analyze([]byte(text)) {
		tok := string(t.Term)
		if t.Type != analysis.Ideographic && strings.Trim(tok, "0123456789") == "" {
			continue
		}
		if tf[tok] == 0 {
			order = append(order, tok)
		}
		tf[tok]++
	}
	return order, tf
}
