package match_test

import (
	"context"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// hitKeeper recalls as asked, keeping what each hit was recalled for.
type hitKeeper struct {
	ix   *index.Index
	hits map[index.DocKey]index.Hit
}

func (s *hitKeeper) Recall(ctx context.Context, r index.RecallRequest) ([]index.Hit, error) {
	hits, err := s.ix.Recall(ctx, r)
	for _, h := range hits {
		s.hits[index.DocKey{Kind: h.Kind, ID: h.ID}] = h
	}
	return hits, err
}

// everyMatched is what marking every term and word a hit was recalled for, as /v1/search
// does, would mark in rec.
func everyMatched(rec domain.Record, h index.Hit) map[string][]string {
	marks := slices.Concat(h.Matched, h.Parts)
	if d, ok := rec.(*domain.Demand); ok {
		return index.Highlights(d.Title, d.Description, marks)
	}
	c := rec.(domain.SupplyRecord).Common()
	return index.Highlights(c.Title, c.Summary, marks)
}

// TestListedHighlightsMarkTheNamedTerms checks that a listed match marks the terms its reasons
// name (匹配关键词：…), where its title and summary hold them, and nothing else: not the generic,
// one-rune and numeric terms the recall also matched (用于, 技术 and the W of "1200 W/(m·K)" in
// dem-037), which marking every term recalled, as /v1/search does, would mark.
func TestListedHighlightsMarkTheNamedTerms(t *testing.T) {
	env := loadDemo(t)
	seg, err := index.NewSegmenter("", "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.OpenMem(seg)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var all []domain.Record
	for _, byID := range env.recs {
		for _, r := range byID {
			all = append(all, r)
		}
	}
	if err := ix.Apply(context.Background(), index.Docs(all), nil, 1); err != nil {
		t.Fatal(err)
	}
	s := &hitKeeper{ix: ix, hits: map[index.DocKey]index.Hit{}}
	svc := match.New(s, env.recs, loadTaxonomy(t), nil)
	marked, unnamed := 0, 0
	check := func(what string, m domain.Match, title string) {
		named := namedInReasons(m.Reasons)
		for _, f := range slices.Concat(m.Highlights["title"], m.Highlights["summary"]) {
			marked += len(marks(f))
		}
		if extra := unnamedMarks(m.Highlights, named); len(extra) > 0 {
			t.Errorf("%s: marks %q, not terms the reasons name (%q)", what, extra, named)
		}
		if len(m.Highlights["title"]) == 1 { // the title is highlighted whole
			text, isMarked := unmark(m.Highlights["title"][0])
			lower := strings.ToLower(text)
			for _, n := range named {
				for from := 0; ; {
					i := strings.Index(lower[from:], n)
					if i < 0 {
						break
					}
					if slices.Contains(isMarked[from+i:from+i+len(n)], false) {
						t.Errorf("%s: the title %q holds the named %q unmarked: %q", what, title, n, m.Highlights["title"])
					}
					from += i + len(n)
				}
			}
		} else if lower := strings.ToLower(html.EscapeString(title)); slices.ContainsFunc(named, func(n string) bool { return strings.Contains(lower, n) }) {
			t.Errorf("%s: the title %q holds a named term of %q, highlights %q", what, title, named, m.Highlights)
		}
		// What marking every recalled term would mark here: counted to show the test sees the
		// difference.
		key := index.DocKey{Kind: m.Kind, ID: m.ID}
		unnamed += len(unnamedMarks(everyMatched(env.recs[m.Kind][m.ID], s.hits[key]), named))
	}
	partial := 0
	for _, id := range []string{"dem-001", "dem-002", "dem-004", "dem-005", "dem-007", "dem-010", "dem-020", "dem-037"} {
		d := env.recs[domain.Demands][id].(*domain.Demand)
		l, err := svc.MatchDemand(context.Background(), d, nil, 10, match.DefaultProfile())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range l.Matches {
			c := env.recs[m.Kind][m.ID].(domain.SupplyRecord).Common()
			check(id+" → "+m.ID, m, c.Title)
			if slices.ContainsFunc(m.Reasons, func(r string) bool { return strings.HasPrefix(r, "部分匹配：") }) {
				partial++
				// The words named are in the record's text verbatim, not only as bigrams.
				rec := env.recs[m.Kind][m.ID]
				var extra string
				if e, ok := rec.(*domain.Expert); ok {
					extra, _ = index.ExpertLinkedText(context.Background(), env.recs, e)
				}
				text := strings.ToLower(index.SearchText(rec, extra))
				for _, w := range namedInReasons(m.Reasons) {
					if !strings.Contains(text, w) {
						t.Errorf("%s → %s names %q, which its text does not hold verbatim", id, m.ID, w)
					}
				}
			}
		}
	}
	if partial == 0 {
		t.Error("no listed match names the words it holds (部分匹配): dem-005 and dem-007 list such matches")
	}
	// Reverse matching lists demands, marked in their title and description.
	sup := env.recs[domain.Achievements]["ach-001"].(domain.SupplyRecord)
	l, err := svc.MatchSupply(context.Background(), sup, 10, match.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Matches {
		d := env.recs[domain.Demands][m.ID].(*domain.Demand)
		check("ach-001 → "+m.ID, m, d.Title)
	}
	if marked == 0 {
		t.Error("no listed match has a highlighted term")
	}
	if unnamed == 0 {
		t.Error("marking every recalled term would mark no unnamed term in these lists: the test shows nothing")
	}
}

// namedInReasons returns the terms of a match's 匹配关键词 reason, or else of its 部分匹配 one.
func namedInReasons(reasons []string) []string {
	for _, prefix := range []string{"匹配关键词：", "部分匹配："} {
		for _, r := range reasons {
			if rest, ok := strings.CutPrefix(r, prefix); ok {
				return strings.Split(rest, "、")
			}
		}
	}
	return nil
}

// unnamedMarks returns the marked texts of highlights that are not made of named terms.
func unnamedMarks(highlights map[string][]string, named []string) []string {
	var out []string
	for _, frags := range highlights {
		for _, f := range frags {
			for _, mk := range marks(f) {
				if !coveredBy(strings.ToLower(mk), named) {
					out = append(out, mk)
				}
			}
		}
	}
	return out
}

// marks returns the marked texts of one highlight fragment.
func marks(frag string) []string {
	var out []string
	for {
		_, after, ok := strings.Cut(frag, "<mark>")
		if !ok {
			return out
		}
		m, rest, _ := strings.Cut(after, "</mark>")
		out = append(out, m)
		frag = rest
	}
}

// unmark returns a highlighted text without its marks, and which of its bytes were marked.
func unmark(h string) (string, []bool) {
	var text strings.Builder
	var isMarked []bool
	in := false
	for h != "" {
		switch {
		case strings.HasPrefix(h, "<mark>"):
			in, h = true, h[len("<mark>"):]
		case strings.HasPrefix(h, "</mark>"):
			in, h = false, h[len("</mark>"):]
		default:
			text.WriteByte(h[0])
			isMarked = append(isMarked, in)
			h = h[1:]
		}
	}
	return text.String(), isMarked
}

// coveredBy reports whether every byte of s lies in an occurrence of one of the terms
// (adjacent terms are merged into one mark).
func coveredBy(s string, terms []string) bool {
	covered := make([]bool, len(s))
	for _, t := range terms {
		for from := 0; t != ""; {
			i := strings.Index(s[from:], t)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(t); j++ {
				covered[j] = true
			}
			from += i + 1
		}
	}
	return s != "" && !slices.Contains(covered, false)
}
