package configs

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// WordList reads one of the word lists of dict/ by its file name (stop_words.txt): one word a
// line, in file order; blank lines and lines starting with # (which say what the list is for)
// are left out.
func WordList(name string) ([]string, error) {
	data, err := fs.ReadFile(FS, path.Join("dict", name))
	if err != nil {
		return nil, fmt.Errorf("configs: word list: %w", err)
	}
	var words []string
	for _, line := range strings.Split(string(data), "\n") {
		if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
			words = append(words, w)
		}
	}
	return words, nil
}

// MustWordList is WordList for a list read into a package variable, as regexp.MustCompile is
// for a pattern: the lists are built into the binary, so a missing one is a mistake of the
// build, and it panics.
func MustWordList(name string) []string {
	words, err := WordList(name)
	if err != nil {
		panic(err)
	}
	return words
}
