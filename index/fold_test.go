package index

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzFindSpans checks findSpans against its definition for a term cut from the text itself:
// every span starts and ends on a rune of text, folds to the term repeated (adjacent
// occurrences are merged), and the spans hold as many occurrences as fold(text) does.
func FuzzFindSpans(f *testing.F) {
	for _, s := range []string{"锂离子电池，锂离子", "LiDAR 激光雷达lidar", "车载ＬＩＤＡＲ点云，ｌｉｄａｒ", "Ｓｉ\xffＣ，ＳｉＣ", "Å级İK å级", "\ufffd\xff", "aaaa"} {
		f.Add(s, uint(0), uint(6))
	}
	f.Fuzz(func(t *testing.T, text string, from, n uint) {
		if text == "" {
			return
		}
		a := int(from % uint(len(text)))
		b := min(len(text), a+1+int(n%12))
		term := fold(text[a:b])
		spans := findSpans(text, []string{term})
		count := 0
		for i, s := range spans {
			if s.start >= s.end || (i > 0 && s.start <= spans[i-1].end) {
				t.Fatalf("%q, term %q: spans %v not in order", text, term, spans)
			}
			for _, at := range []int{s.start, s.end} {
				if at < len(text) && !utf8.RuneStart(text[at]) && utf8.ValidString(text) {
					t.Fatalf("%q, term %q: span %v cuts a rune", text, term, s)
				}
			}
			got := fold(text[s.start:s.end])
			reps := strings.Count(got, term)
			if got != strings.Repeat(term, reps) {
				t.Fatalf("%q, term %q: span %v holds %q", text, term, s, got)
			}
			count += reps
		}
		if want := strings.Count(fold(text), term); count != want {
			t.Fatalf("%q, term %q: spans hold %d occurrences, fold(text) %d", text, term, count, want)
		}
	})
}

// TestFindSpansPlainAndFolded checks both ways through findSpans: text that folding leaves as it
// is, and text where it changes lengths (full-width letters and commas).
func TestFindSpansPlainAndFolded(t *testing.T) {
	for _, text := range []string{"激光lidar雷达与lidar", "激光ＬｉＤＡＲ雷达，与LiDAR"} {
		var got []string
		for _, s := range findSpans(text, []string{"lidar"}) {
			got = append(got, text[s.start:s.end])
		}
		if len(got) != 2 || fold(got[0]) != "lidar" || fold(got[1]) != "lidar" {
			t.Errorf("findSpans(%q) marks %q", text, got)
		}
	}
}

// TestCaselessCJK checks the range foldRune skips the case tables for.
func TestCaselessCJK(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if caselessCJK(r) && unicode.ToLower(r) != r {
			t.Fatalf("%U has the lower-case form %U", r, unicode.ToLower(r))
		}
	}
	for _, r := range []rune{'A', 'Ａ', 'Å', 'İ', 'Σ'} {
		if want := unicode.ToLower(r); r != 'Ａ' && foldRune(r) != want {
			t.Errorf("foldRune(%q) = %q, want %q", r, foldRune(r), want)
		}
	}
	if foldRune('Ａ') != 'a' || foldRune('，') != ',' {
		t.Errorf("full width: foldRune(Ａ) = %q, foldRune(，) = %q", foldRune('Ａ'), foldRune('，'))
	}
}
