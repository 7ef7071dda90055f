package index

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/yanyiwu/gojieba"
)

// Segmenter wraps the single process-wide gojieba instance. It is safe for concurrent use:
// only cutting is exposed, never adding words, which cppjieba does not allow concurrently.
type Segmenter struct {
	jieba *gojieba.Jieba
	stop  map[string]bool
	key   string // identifies the dictionaries; stored in index mappings to find this Segmenter
}

var (
	segMu sync.Mutex
	// segmenters keeps every Segmenter reachable for the life of the process: gojieba frees its
	// C++ state in a finalizer, and bleve analyzers built from a mapping may use it at any time.
	segmenters = map[string]*Segmenter{}
)

var dictFiles = [...]string{"jieba.dict.utf8", "hmm_model.utf8", "user.dict.utf8", "idf.utf8", "stop_words.utf8"}

// NewSegmenter loads jieba from dictDir ("" = gojieba's own dictionaries) plus the project user
// dictionary userDict ("" = the dictionary dir's user.dict.utf8). Loading costs ~130 MB and
// ~0.5 s, so a second call with the same dictionaries returns the instance already loaded.
func NewSegmenter(dictDir, userDict string) (*Segmenter, error) {
	paths := make([]string, len(dictFiles))
	for i, name := range dictFiles {
		if dictDir == "" {
			paths[i] = filepath.Join(gojieba.DICT_DIR, name)
		} else {
			paths[i] = filepath.Join(dictDir, name)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", dictDir)
	for _, p := range paths {
		// gojieba panics on a missing file; report it as an error instead.
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("index: jieba dictionary: %w", err)
		}
	}
	if userDict != "" {
		data, err := os.ReadFile(userDict)
		if err != nil {
			return nil, fmt.Errorf("index: jieba user dictionary: %w", err)
		}
		if err := checkUserDict(userDict, data); err != nil {
			return nil, err
		}
		h.Write(data)
		// It replaces the dictionary dir's user.dict.utf8, a sample in gojieba's defaults.
		paths[2] = userDict
	}
	key := "jieba-" + hex.EncodeToString(h.Sum(nil))[:16]

	segMu.Lock()
	defer segMu.Unlock()
	if s, ok := segmenters[key]; ok {
		return s, nil
	}
	stop, err := readStopWords(paths[4])
	if err != nil {
		return nil, err
	}
	s := &Segmenter{jieba: gojieba.NewJieba(paths...), stop: stop, key: key}
	segmenters[key] = s
	return s, nil
}

// checkUserDict rejects lines cppjieba would misread: it expects `word [freq] [tag]`, UTF-8.
func checkUserDict(path string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		if !utf8.ValidString(line) || len(strings.Split(line, " ")) > 3 || strings.ContainsAny(line, "\t\r") {
			return fmt.Errorf("index: jieba user dictionary %s line %d: want `word freq tag` separated by single spaces", path, n)
		}
	}
	return sc.Err()
}

func readStopWords(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("index: jieba stop words: %w", err)
	}
	stop := map[string]bool{}
	for _, w := range strings.Split(string(data), "\n") {
		if w = strings.TrimSpace(w); w != "" {
			stop[strings.ToLower(w)] = true
		}
	}
	return stop, nil
}

// Cut segments text in jieba's exact mode: words lower-cased, punctuation and spaces dropped.
func (s *Segmenter) Cut(text string) []string {
	toks := s.tokenize([]byte(text), gojieba.DefaultMode)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t.Term)
	}
	return out
}

// SubWords tiles w with its dictionary sub-words (jieba search mode), longest first from the
// left; runes no sub-word covers form parts of their own: 沉积环境 gives 沉积 and 环境, 氧化锌
// gives 氧化 and 锌. A word with no shorter sub-word gives nil.
func (s *Segmenter) SubWords(w string) []string {
	toks := s.tokenize([]byte(w), gojieba.SearchMode)
	var out []string
	gap := -1 // start of uncovered bytes
	for i := 0; i < len(w); {
		best := 0
		for _, t := range toks {
			if t.Start == i && t.End-t.Start < len(w) && t.End-t.Start > best {
				best = t.End - t.Start
			}
		}
		if best == 0 {
			if gap < 0 {
				gap = i
			}
			_, size := utf8.DecodeRuneInString(w[i:])
			i += size
			continue
		}
		if gap >= 0 {
			out = append(out, w[gap:i])
			gap = -1
		}
		out = append(out, w[i:i+best])
		i += best
	}
	if gap >= 0 {
		out = append(out, w[gap:])
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// IsStopWord reports whether w (lower-cased) is in jieba's stop-word list.
func (s *Segmenter) IsStopWord(w string) bool { return s.stop[w] }

// tokenize cuts input into bleve tokens with byte offsets and 1-based positions. cppjieba reads
// C strings and assumes UTF-8, so the input is cut at NUL bytes and invalid UTF-8 and each valid
// run is segmented on its own; offsets stay those of the original input.
func (s *Segmenter) tokenize(input []byte, mode gojieba.TokenizeMode) analysis.TokenStream {
	var out analysis.TokenStream
	pos := 0
	for start := 0; start < len(input); {
		end := start
		for end < len(input) {
			r, size := utf8.DecodeRune(input[end:])
			if r == 0 || (r == utf8.RuneError && size <= 1) {
				break
			}
			end += size
		}
		if end > start {
			for _, w := range s.jieba.Tokenize(string(input[start:end]), mode, true) {
				if !isWord(w.Str) {
					continue
				}
				pos++
				out = append(out, &analysis.Token{
					Start:    start + w.Start,
					End:      start + w.End,
					Term:     lowerASCII(w.Str),
					Position: pos,
					Type:     tokenType(w.Str),
				})
			}
		}
		start = end + 1 // skip the NUL or invalid byte
	}
	if mode == gojieba.SearchMode {
		// Search mode emits a word's sub-words before the word; order by offset for bleve.
		sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
		for i, t := range out {
			t.Position = i + 1
		}
	}
	return out
}

// isWord keeps tokens holding a letter or digit; jieba returns punctuation and spaces as words.
func isWord(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			return true
		}
	}
	return false
}

func lowerASCII(w string) []byte {
	b := []byte(w)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

func tokenType(w string) analysis.TokenType {
	r, _ := utf8.DecodeRuneInString(w)
	switch {
	case unicode.Is(unicode.Han, r):
		return analysis.Ideographic
	case unicode.IsDigit(r):
		return analysis.Numeric
	}
	return analysis.AlphaNumeric
}

// jiebaTokenizer is the bleve v2 tokenizer over a Segmenter (gojieba's own adapter targets bleve v1).
type jiebaTokenizer struct {
	seg  *Segmenter
	mode gojieba.TokenizeMode
}

func (t *jiebaTokenizer) Tokenize(input []byte) analysis.TokenStream {
	return t.seg.tokenize(input, t.mode)
}

// TokenizerName is the bleve tokenizer type; its config names the Segmenter ("segmenter") and
// the mode ("search" or "exact").
const TokenizerName = "techmatch_jieba"

func init() {
	if err := registry.RegisterTokenizer(TokenizerName, newJiebaTokenizer); err != nil {
		panic(err)
	}
}

func newJiebaTokenizer(config map[string]interface{}, _ *registry.Cache) (analysis.Tokenizer, error) {
	key, _ := config["segmenter"].(string)
	segMu.Lock()
	seg := segmenters[key]
	segMu.Unlock()
	if seg == nil {
		return nil, fmt.Errorf("index: jieba segmenter %q is not loaded in this process", key)
	}
	mode := gojieba.DefaultMode
	if m, _ := config["mode"].(string); m == "search" {
		mode = gojieba.SearchMode
	}
	return &jiebaTokenizer{seg: seg, mode: mode}, nil
}

// Tokenizer returns a bleve tokenizer over s in jieba search mode (search=true) or exact mode.
func (s *Segmenter) Tokenizer(search bool) analysis.Tokenizer {
	if search {
		return &jiebaTokenizer{seg: s, mode: gojieba.SearchMode}
	}
	return &jiebaTokenizer{seg: s, mode: gojieba.DefaultMode}
}
