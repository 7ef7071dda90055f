package index

import (
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/segment"
)

// analyzerBigram is the analyzer of the text fields: bleve's cjk analyzer (the unicode
// tokenizer, then the cjk_width, to_lower and cjk_bigram filters) done in one pass. It gives
// the very tokens cjk gives, in the same order with the same positions, offsets and types
// (TestBigramAnalyzerIsCJK, FuzzBigramAnalyzer), so an index built with either reads the same;
// it exists because cjk's four stages were a sixth of indexing CPU, and as much again in the
// garbage they left: a token, its runes and a copy of its term per stage (docs/benchmarks.md).
//
// The fast path is the text's common case: an ideograph of the CJK Unified Ideographs block
// followed by a character that cannot attach to it (see attachesNot) is a word of its own in
// Unicode word segmentation, so it is cut without the segmenter and needs no folding. Whatever
// lies between such ideographs (Latin words, numbers, punctuation, kana, rarer ideographs) is
// segmented and folded by bleve's own code, and every token goes through one bigram pass.
// Input that is not valid UTF-8 is left to bleve's analyzer whole.
const analyzerBigram = "techmatch_cjk"

type bigramAnalyzer struct {
	whole        analysis.Analyzer    // bleve's cjk analyzer, for input that is not valid UTF-8
	width, lower analysis.TokenFilter // cjk_width and to_lower, for a word that may need folding
}

func init() {
	if err := registry.RegisterAnalyzer(analyzerBigram, newBigramAnalyzer); err != nil {
		panic(err)
	}
}

func newBigramAnalyzer(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
	whole, err := cache.AnalyzerNamed(cjk.AnalyzerName)
	if err != nil {
		return nil, err
	}
	width, err := cache.TokenFilterNamed(cjk.WidthName)
	if err != nil {
		return nil, err
	}
	lower, err := cache.TokenFilterNamed(lowercase.Name)
	if err != nil {
		return nil, err
	}
	return &bigramAnalyzer{whole: whole, width: width, lower: lower}, nil
}

// Analyze is safe for concurrent use: all its state lives in the call.
func (a *bigramAnalyzer) Analyze(input []byte) analysis.TokenStream {
	if !utf8.Valid(input) {
		return a.whole.Analyze(input)
	}
	p := bigramPass{input: input, pos: 1}
	p.out = make(analysis.TokenStream, 0, len(input)/3+8)
	p.words, p.types = make([][]byte, 0, 8), make([]int, 0, 8)
	slow := -1 // start of the text not yet segmented, or -1
	for i := 0; i < len(input); {
		r, size := rune(input[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(input[i:])
		}
		if fastIdeograph(r) {
			next := i + size
			if nr, _ := utf8.DecodeRune(input[next:]); next == len(input) || attachesNot(nr) {
				if slow >= 0 {
					if !a.segment(&p, slow, i) {
						return a.whole.Analyze(input)
					}
					slow = -1
				}
				p.ideograph(runeToken{term: input[i:next], start: i, end: next, verbatim: true})
				i = next
				continue
			}
		}
		if slow < 0 {
			slow = i
		}
		i += size
	}
	if slow >= 0 && !a.segment(&p, slow, len(input)) {
		return a.whole.Analyze(input)
	}
	p.flush()
	return p.out
}

// segment runs the unicode tokenizer's segmenter over input[from:to] and passes its words on,
// folded as cjk_width and to_lower fold them. The text on either side of the span starts a new
// word in segmentation whatever the span holds (it is a fast ideograph or the input's end), so
// segmenting the span alone cuts it as segmenting the whole input does. It reports false if the
// segmenter fails, for the caller to fall back to bleve's analyzer.
func (a *bigramAnalyzer) segment(p *bigramPass, from, to int) bool {
	span := p.input[from:to]
	words, types, _, err := segment.SegmentWordsDirect(span, p.words[:0], p.types[:0])
	if err != nil {
		return false
	}
	p.words, p.types = words, types
	for i, w := range words {
		typ := segmentType(types[i])
		if typ < 0 {
			continue
		}
		start := from + cap(span) - cap(w) // w is a slice of span
		t := analysis.Token{Term: w, Start: start, End: start + len(w), Type: typ}
		verbatim := plainASCII(w)
		if !verbatim {
			// Folding may change the term's length, so it works on a copy (cjk_width always
			// builds a new term, and to_lower then writes into that).
			t.Term = append([]byte(nil), w...)
			a.lower.Filter(a.width.Filter(analysis.TokenStream{&t}))
		}
		if typ != analysis.Ideographic {
			p.plain(t)
			continue
		}
		// As cjk_bigram does: each rune of the (folded) term is a token, offsets counted in
		// the folded term's bytes from the word's start.
		for at := 0; at < len(t.Term); {
			_, n := utf8.DecodeRune(t.Term[at:])
			p.ideograph(runeToken{term: t.Term[at : at+n], start: t.Start + at, end: t.Start + at + n, verbatim: verbatim})
			at += n
		}
	}
	return true
}

// segmentType is the unicode tokenizer's convertType, with -1 for what it drops.
func segmentType(segType int) analysis.TokenType {
	switch segType {
	case segment.None:
		return -1
	case segment.Ideo, segment.Kana:
		return analysis.Ideographic
	case segment.Number:
		return analysis.Numeric
	}
	return analysis.AlphaNumeric
}

// plainASCII: the word is ASCII without capitals, which cjk_width and to_lower leave as it is.
func plainASCII(w []byte) bool {
	for _, c := range w {
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// fastIdeograph: a rune the segmenter's tables (Unicode 8.0) hold as Han, which folding leaves
// as it is; TestFastIdeographs checks every one against the segmenter.
func fastIdeograph(r rune) bool { return 0x4E00 <= r && r <= 0x9FD5 }

// attachesNot: a rune that cannot extend the word before it when that word is an ideograph,
// that is, one that is neither Extend nor Format in word segmentation (a combining mark, a
// zero-width joiner, a soft hyphen…). A conservative list of the blocks Chinese text uses;
// anything else after an ideograph sends the ideograph down the segmenter's path.
// TestAttachesNot checks every rune listed against the segmenter.
func attachesNot(r rune) bool {
	switch {
	case r < 0x300:
		return r != 0xAD // soft hyphen: Format
	case 0x370 <= r && r <= 0x482, // Greek and Cyrillic letters
		fastIdeograph(r),
		0x2010 <= r && r <= 0x2027, // dashes, quotes, bullets, ellipsis
		0x2030 <= r && r <= 0x205E, // per mille, primes, more punctuation
		0x2100 <= r && r <= 0x2BFF, // letterlike, numbers, arrows, maths, shapes
		0x3000 <= r && r <= 0x3029, // ideographic space and punctuation (0x302A–F are marks)
		0xFF01 <= r && r <= 0xFF64: // full-width forms, half-width CJK punctuation
		return true
	}
	return false
}

// runeToken is one rune of an ideographic word, as cjk_bigram splits them.
type runeToken struct {
	term       []byte
	start, end int
	verbatim   bool // term is input[start:end]
}

// bigramPass is cjk_bigram's state over the words of one input: up to two buffered runes of
// ideographic words; a rune adjoining the one before it makes a bigram with it, a rune with
// no neighbour is a unigram, and every other word passes through.
type bigramPass struct {
	input     []byte
	out       analysis.TokenStream
	slab      []analysis.Token // backing store of out's tokens
	pos       int              // position of the next token out
	buffered  int              // runes buffered: 0, 1 or 2
	prev, cur runeToken
	words     [][]byte // the segmenter's scratch, reused across spans
	types     []int
}

func (p *bigramPass) ideograph(t runeToken) {
	if p.buffered > 0 && t.start != p.cur.end {
		p.flush()
	}
	p.prev, p.cur = p.cur, t
	if p.buffered < 2 {
		p.buffered++
	}
	if p.buffered == 2 {
		var term []byte
		if p.prev.verbatim && p.cur.verbatim {
			term = p.input[p.prev.start:p.cur.end]
		} else {
			term = append(append(make([]byte, 0, len(p.prev.term)+len(p.cur.term)), p.prev.term...), p.cur.term...)
		}
		p.emit(analysis.Token{Term: term, Start: p.prev.start, End: p.cur.end, Type: analysis.Double})
	}
}

// flush emits a lone buffered rune as a unigram and empties the buffer.
func (p *bigramPass) flush() {
	if p.buffered == 1 {
		p.emit(analysis.Token{Term: p.cur.term, Start: p.cur.start, End: p.cur.end, Type: analysis.Single})
	}
	p.buffered = 0
}

func (p *bigramPass) plain(t analysis.Token) {
	p.flush()
	p.emit(t)
}

func (p *bigramPass) emit(t analysis.Token) {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]analysis.Token, 0, max(16, cap(p.out)-len(p.out)))
	}
	t.Position = p.pos
	p.pos++
	p.slab = append(p.slab, t)
	p.out = append(p.out, &p.slab[len(p.slab)-1])
}
