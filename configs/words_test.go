package configs_test

import (
	"io/fs"
	"strings"
	"testing"
	"unicode"

	"github.com/techmatch/techmatch/configs"
)

// TestWordLists checks every word list of dict/: it opens with # lines saying what it is for,
// and holds words, each once, none with a space inside (a line is one word).
func TestWordLists(t *testing.T) {
	for _, name := range []string{"stop_words.txt", "demand_noise.txt", "demand_noise_core.txt", "intent_words.txt", "not_budget.txt", "generic_terms.txt", "units.txt"} {
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(configs.FS, "dict/"+name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# ") {
				t.Errorf("does not open with a comment saying what the list is for")
			}
			words, err := configs.WordList(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(words) == 0 {
				t.Fatal("no words")
			}
			seen := map[string]bool{}
			for _, w := range words {
				if seen[w] {
					t.Errorf("%q twice", w)
				}
				seen[w] = true
				if strings.ContainsFunc(w, unicode.IsSpace) {
					t.Errorf("%q is more than one word", w)
				}
			}
		})
	}
	if _, err := configs.WordList("no_such_list.txt"); err == nil {
		t.Error("a missing list: no error")
	}
}
