package index

import (
	"html"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	maxFragments  = 3
	fragmentRunes = 30 // context kept on each side of a match
)

// highlights marks the matched terms in the stored title and summary. Terms are matched as
// substrings (ASCII case folded) because they were matched whole in the index.
func highlights(fields map[string]interface{}, matched []string) map[string][]string {
	out := map[string][]string{}
	if len(matched) == 0 {
		return out
	}
	for _, f := range []string{fTitle, fSummary} {
		text, _ := fields[f].(string)
		spans := findSpans(text, matched)
		if len(spans) == 0 {
			continue
		}
		if f == fTitle {
			out[f] = []string{mark(text, spans, 0, len(text))}
			continue
		}
		out[f] = fragments(text, spans)
	}
	return out
}

type span struct{ start, end int }

// findSpans returns the byte ranges of the terms in text, sorted and merged.
func findSpans(text string, terms []string) []span {
	lower := string(lowerASCII(text)) // same byte length as text
	var spans []span
	for _, t := range terms {
		for from := 0; ; {
			i := strings.Index(lower[from:], t)
			if i < 0 || t == "" {
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

// Highlights marks the matched terms in a record's title and summary (a demand's description),
// exactly as Recall does with Highlight set. Matching calls it for the few listed hits instead,
// because loading the stored text of every recalled candidate cost about a sixth of a match.
func Highlights(title, summary string, matched []string) map[string][]string {
	return highlights(map[string]interface{}{fTitle: title, fSummary: summary}, matched)
}
