package index

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bindex "github.com/blevesearch/bleve_index_api"
)

// Abbreviation is one definition a record gives of its own abbreviation: 合成孔径雷达(SAR).
type Abbreviation struct {
	Short string // the abbreviation, lower-cased: sar
	Long  string // the term it stands for: 合成孔径雷达
}

// abbrevPattern is a run of Han characters, then a Latin abbreviation in ASCII or full-width
// parentheses: 合成孔径雷达(SAR), 质子交换膜燃料电池（PEMFC）.
var abbrevPattern = regexp.MustCompile(`(\p{Han}{2,})\s*[(（]\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*[)）]`)

// Limits of a definition's long form, in runes.
const maxAbbrevLong = 10

// abbrevSep joins the two forms of a definition in the abbreviations field.
const abbrevSep = "\x1f"

// Abbreviations finds the abbreviations text defines. The long form is a run of whole jieba
// words ending at the parenthesis, of at most maxAbbrevLong runes and at least as many as the
// abbreviation has letters, that does not start with a word of prose (利用, 基于, 的 …: jieba's
// stop words and abbrevLead); of those, the one nearest two runes a letter:
// 利用合成孔径雷达(SAR) gives 合成孔径雷达, and 修正的参数(MRP) nothing, since a two-rune 参数
// cannot stand for three letters. An abbreviation
// needs two capital letters (SAR, PEMFC, LiDAR), so that a unit or a model number in
// parentheses (10mm, v2) is none.
func (s *Segmenter) Abbreviations(text string) []Abbreviation {
	var out []Abbreviation
	for _, m := range abbrevPattern.FindAllStringSubmatch(text, -1) {
		short, run := m[2], m[1]
		upper, letters := 0, 0
		for _, r := range short {
			if unicode.IsUpper(r) {
				upper++
			}
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if upper < 2 {
			continue
		}
		words := s.Cut(run)
		long, best := "", 0
		for i := len(words) - 1; i >= 0; i-- {
			cand := strings.Join(words[i:], "")
			n := utf8.RuneCountInString(cand)
			if n > maxAbbrevLong {
				break
			}
			if s.IsStopWord(words[i]) || abbrevLead[words[i]] || utf8.RuneCountInString(words[i]) < 2 {
				continue
			}
			if slices.ContainsFunc(words[i+1:], s.IsStopWord) {
				break // 修正的参数: a phrase, not a term, and so is any longer run
			}
			if n < letters {
				continue
			}
			// Of the runs that could stand for it, the one of about two runes a letter, the
			// longer of two as near: 合成孔径雷达 for SAR, 高效液相色谱 for HPLC, not 色谱.
			if d := abs(n - 2*letters); long == "" || d <= best {
				long, best = cand, d
			}
		}
		if long == "" {
			continue
		}
		a := Abbreviation{Short: strings.ToLower(short), Long: long}
		if !containsAbbrev(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func containsAbbrev(as []Abbreviation, a Abbreviation) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}

// abbrevLead are words that open a phrase of prose, not a term: 利用合成孔径雷达 is 利用 + the term.
var abbrevLead = map[string]bool{}

func init() {
	for _, w := range strings.Fields("利用 采用 基于 通过 使用 应用 进行 提出 建立 研究 一种 这种 该种 其中 以及 及其 包括 称为 简称 即 称 所谓 如 对 用 将 在 和 与 的 了 是 为 由 从 以 把 被 给 向 并 或 等 中 上 下 新型 一个 各种 不同 具有 实现") {
		abbrevLead[w] = true
	}
}

// abbrevTerms are the abbreviations field's terms for definitions: each form, the other after
// abbrevSep, so that a lookup by either form's prefix finds the other.
func abbrevTerms(defs []Abbreviation) []string {
	out := make([]string, 0, 2*len(defs))
	for _, d := range defs {
		out = append(out, d.Short+abbrevSep+d.Long, d.Long+abbrevSep+d.Short)
	}
	return out
}

// Limits of the forms a query term gets from the records' definitions.
const (
	maxMinedForms = 3
)

// minedForms returns the other forms the indexed records define for term (lower-cased): the
// long forms of an abbreviation, or the abbreviations of a term; those defined by the most
// records, at least half as many as the most defined one, at most maxMinedForms.
func minedForms(ctx context.Context, r bindex.IndexReader, term string) ([]string, error) {
	if term == "" {
		return nil, nil
	}
	dict, err := r.FieldDictPrefix(fAbbrev, []byte(term+abbrevSep))
	if err != nil {
		return nil, err
	}
	defer dict.Close()
	type form struct {
		text  string
		count uint64
	}
	var forms []form
	var top uint64
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		_, other, _ := strings.Cut(e.Term, abbrevSep)
		if other == "" || other == term {
			continue
		}
		// The dictionary still counts the records deleted since its segment was written; the
		// postings do not.
		n, err := liveCount(ctx, r, e.Term)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			forms = append(forms, form{other, n})
			top = max(top, n)
		}
	}
	var out []string
	for len(out) < maxMinedForms {
		best := -1
		for i, f := range forms {
			if f.count*2 >= top && f.count > 0 && (best < 0 || f.count > forms[best].count) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, forms[best].text)
		forms[best].count = 0
	}
	return out, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// liveCount is the number of documents that hold term in the abbreviations field now.
func liveCount(ctx context.Context, r bindex.IndexReader, term string) (uint64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), fAbbrev, false, false, false)
	if err != nil {
		return 0, err
	}
	defer tfr.Close()
	return tfr.Count(), nil
}
