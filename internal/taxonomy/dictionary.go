package taxonomy

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// dictionary finds known words in text, leftmost-longest, without overlaps, so that
// 固态电解质 is read as one word and not also as 电解质.
type dictionary struct {
	byFirst map[rune][]entry // entries by their first rune, longest first
}

type entry struct {
	word, value string
}

// Mention is a dictionary word found in text at byte offsets [Start, End).
type Mention struct {
	Word       string
	Value      string
	Start, End int
}

func newDictionary(words map[string]string) *dictionary {
	d := &dictionary{byFirst: map[rune][]entry{}}
	for w, v := range words {
		r, _ := utf8.DecodeRuneInString(w)
		d.byFirst[r] = append(d.byFirst[r], entry{w, v})
	}
	for _, es := range d.byFirst {
		slices.SortFunc(es, func(a, b entry) int {
			return cmp.Or(cmp.Compare(len(b.word), len(a.word)), strings.Compare(a.word, b.word))
		})
	}
	return d
}

func (d *dictionary) find(text string) []Mention {
	var out []Mention
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		matched := false
		for _, e := range d.byFirst[r] {
			if strings.HasPrefix(text[i:], e.word) {
				out = append(out, Mention{Word: e.word, Value: e.value, Start: i, End: i + len(e.word)})
				i += len(e.word)
				matched = true
				break
			}
		}
		if !matched {
			i += size
		}
	}
	return out
}
