package index

import (
	"context"
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/techmatch/techmatch/internal/domain"
)

const (
	maxFragments  = 3
	fragmentRunes = 30 // context kept on each side of a match
)

// Highlight sets the highlights of the page's hits from their records, which the caller loads
// to show them anyway (LoadHits); the index stores no text of its own (see newMapping). Each
// hit marks the terms it holds whole (Matched) and the words of the query's terms (partWords),
// so that a hit found for a part of a term (电池 of 锂离子电池 in a 钠离子电池 record), or
// holding a term's bigrams only apart, shows what it was found for. A hit without a record in
// recs (deleted since the index saw it) has nothing to mark.
func (r *SearchResult) Highlight(recs map[DocKey]domain.Record) {
	for i := range r.Hits {
		h := &r.Hits[i]
		marks := append(append(make([]string, 0, len(h.Matched)+len(r.words)), h.Matched...), r.words...)
		rec := recs[DocKey{Kind: h.Kind, ID: h.ID}]
		h.Highlights = HighlightsOf(rec, marks)
		if len(h.Highlights) == 0 {
			// Found by a pair of characters of a term only (电池 of 锂电池 in 燃料电池), as the
			// bigram text field finds records: that pair is what it shares.
			h.Highlights = HighlightsOf(rec, hanPairs(marks))
		}
	}
}

// hanPairs are the pairs of adjacent Han characters in terms, each once.
func hanPairs(terms []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range terms {
		rs := []rune(t)
		for i := 0; i+1 < len(rs); i++ {
			if unicode.Is(unicode.Han, rs[i]) && unicode.Is(unicode.Han, rs[i+1]) {
				if p := string(rs[i : i+2]); !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// HighlightLinked marks, for each expert hit that nothing of its own explains, the matched
// terms in the titles of the achievements and patents it is linked to (ExpertLinkedText, the
// text the index lends it), under "linked": an expert found by what they made shows it.
func (r *SearchResult) HighlightLinked(ctx context.Context, rs Records, recs map[DocKey]domain.Record) error {
	for i := range r.Hits {
		h := &r.Hits[i]
		e, ok := recs[DocKey{Kind: h.Kind, ID: h.ID}].(*domain.Expert)
		if !ok || len(h.Highlights) > 0 {
			continue
		}
		text, err := ExpertLinkedText(ctx, rs, e)
		if err != nil {
			return err
		}
		terms := foldTerms(append(append([]string{}, h.Matched...), r.words...))
		var marked []string
		for _, title := range strings.Split(text, "\n") {
			if spans := findSpans(title, terms); len(spans) > 0 {
				marked = append(marked, mark(title, spans, 0, len(title)))
			}
		}
		if len(marked) > 0 {
			if h.Highlights == nil {
				h.Highlights = map[string][]string{}
			}
			h.Highlights["linked"] = marked
		}
	}
	return nil
}

// HighlightsOf marks the matched terms in everything a record is found by, so that a hit shows
// why it was found even when neither its title nor its summary holds a term: the title and
// summary as Highlights does, and each keyword, field label, organisation, and a patent's
// applicants, inventors and IPC or an expert's titles and research areas that holds one, whole,
// under its JSON name. A missing record has nothing to mark.
func HighlightsOf(r domain.Record, matched []string) map[string][]string {
	title, summary := recordText(r)
	out := Highlights(title, summary, matched)
	if len(matched) == 0 {
		return out
	}
	terms := foldTerms(matched)
	for _, part := range listText(r) {
		var marked []string
		for _, v := range part.values {
			if spans := findSpans(v, terms); len(spans) > 0 {
				marked = append(marked, mark(v, spans, 0, len(v)))
			}
		}
		if len(marked) > 0 {
			out[part.name] = marked
		}
	}
	return out
}

type namedText struct {
	name   string
	values []string
}

// listText is the rest of what a record is found by (SearchText), field by field.
func listText(r domain.Record) []namedText {
	var out []namedText
	add := func(name string, vs ...string) {
		if len(vs) > 0 && (len(vs) > 1 || vs[0] != "") {
			out = append(out, namedText{name, vs})
		}
	}
	switch v := r.(type) {
	case domain.SupplyRecord:
		c := v.Common()
		add("keywords", c.Keywords...)
		add("fields", c.Fields...)
		add("org", c.Org)
		switch x := r.(type) {
		case *domain.Patent:
			add("applicants", x.Applicants...)
			add("inventors", x.Inventors...)
			add("ipc", x.IPC...)
		case *domain.Expert:
			add("titles", x.Titles...)
			add("research_areas", x.ResearchAreas...)
		}
	case *domain.Demand:
		add("keywords", v.Keywords...)
		add("fields", v.Fields...)
		add("enterprise", v.Enterprise)
	}
	return out
}

// recordText is the text a record is highlighted in: a supply item's title and summary, a
// demand's title and description; none for a missing record.
func recordText(r domain.Record) (title, summary string) {
	switch v := r.(type) {
	case domain.SupplyRecord:
		c := v.Common()
		return c.Title, c.Summary
	case *domain.Demand:
		return v.Title, v.Description
	}
	return "", ""
}

// Highlights marks the matched terms in a record's title and summary (a demand's description):
// the title whole, the summary in up to maxFragments fragments. Terms are marked where they
// occur verbatim after the folding the analyzer applies (fold: ＬＩＤＡＲ and LiDAR both mark
// for lidar), as WholeTerms finds them; a term whose bigrams the record holds apart is not
// marked. Matching calls it for the few listed hits, from the records it has loaded anyway.
func Highlights(title, summary string, matched []string) map[string][]string {
	out := map[string][]string{}
	if len(matched) == 0 {
		return out
	}
	terms := foldTerms(matched)
	if spans := findSpans(title, terms); len(spans) > 0 {
		out["title"] = []string{mark(title, spans, 0, len(title))}
	}
	if spans := findSpans(summary, terms); len(spans) > 0 {
		out["summary"] = fragments(summary, spans)
	}
	return out
}

// foldTerms are the terms to mark, folded as the analyzer folds text; empty ones are left out.
func foldTerms(matched []string) []string {
	terms := make([]string, 0, len(matched))
	for _, t := range matched {
		if f := fold(t); f != "" {
			terms = append(terms, f)
		}
	}
	return terms
}

type span struct{ start, end int }

// findSpans returns the byte ranges of text holding the folded terms, sorted and merged. The
// terms are found in fold(text), whose offsets differ from text's where folding changes a rune's
// length (a full-width letter or comma is three bytes, its ASCII form one; an invalid byte
// becomes U+FFFD): the spans' ends are mapped back in one pass over text.
func findSpans(text string, terms []string) []span {
	folded := fold(text)
	var spans []span
	for _, t := range terms {
		for from := 0; t != ""; {
			i := strings.Index(folded[from:], t)
			if i < 0 {
				break
			}
			spans = append(spans, span{from + i, from + i + len(t)})
			from += i + len(t)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	merged := spans[:0]
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	if folded == text {
		return merged
	}
	// Walk text and folded together: at is the offset in folded of text[i:]. The spans are in
	// order and their ends on rune boundaries of folded.
	at, i := 0, 0
	toText := func(f int) int {
		for at < f {
			r, n := utf8.DecodeRuneInString(text[i:])
			at += utf8.RuneLen(foldRune(r))
			i += n
		}
		return i
	}
	for k := range merged {
		merged[k].start = toText(merged[k].start)
		merged[k].end = toText(merged[k].end)
	}
	return merged
}

// fragments cuts up to maxFragments windows around the spans, with an ellipsis where text is cut.
func fragments(text string, spans []span) []string {
	var out []string
	for i := 0; i < len(spans) && len(out) < maxFragments; {
		start := backRunes(text, spans[i].start, fragmentRunes)
		end := forwardRunes(text, spans[i].end, fragmentRunes)
		j := i + 1
		for j < len(spans) && spans[j].start < end {
			end = max(end, forwardRunes(text, spans[j].end, fragmentRunes))
			j++
		}
		frag := mark(text, spans[i:j], start, end)
		if start > 0 {
			frag = "…" + frag
		}
		if end < len(text) {
			frag += "…"
		}
		out = append(out, frag)
		i = j
	}
	return out
}

// mark escapes text[start:end] and wraps the spans inside it in <mark>.
func mark(text string, spans []span, start, end int) string {
	var b strings.Builder
	at := start
	for _, s := range spans {
		if s.end > end {
			break
		}
		b.WriteString(html.EscapeString(text[at:s.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString("</mark>")
		at = s.end
	}
	b.WriteString(html.EscapeString(text[at:end]))
	return b.String()
}

func backRunes(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i
}

func forwardRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// WholeTerms returns those of terms that text, a record's SearchText, holds whole: verbatim,
// after the width folding and lower-casing the text field's analyzer applies (ＬＩＤＡＲ holds
// lidar). A hit's Matched names every term whose bigrams the record holds, possibly apart (see
// heldSet.holds); what people are told was matched is checked here first, for the few matches
// they are shown.
func WholeTerms(text string, terms []string) []string {
	folded := fold(text)
	var out []string
	for _, t := range terms {
		if f := fold(t); f != "" && strings.Contains(folded, f) {
			out = append(out, t)
		}
	}
	return out
}

// fold maps full-width ASCII variants to ASCII and lower-cases, as the cjk analyzer's width and
// lower-case filters do.
func fold(s string) string { return strings.Map(foldRune, s) }

func foldRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	case caselessCJK(r):
		return r // most of a Chinese text: no case to look up
	}
	return unicode.ToLower(r)
}

// caselessCJK reports whether r is in U+3000–U+9FFF (CJK punctuation, kana, ideographs), where
// no rune has a lower-case form (TestCaselessCJK).
func caselessCJK(r rune) bool { return r >= 0x3000 && r <= 0x9FFF }
