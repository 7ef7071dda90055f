// Package bench generates reproducible corpora and measures techmatch's indexing rate, match latency and memory against plain bleve.
package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Source is the text a corpus is recombined from: one Paper per source record.
type Source struct {
	Papers []Paper
}

// Paper is one source record: a title, the sentences of its abstract and its keywords.
type Paper struct {
	Title     string
	Sentences []string
	Keywords  []string
}

// minSentenceRunes drops fragments too short to read as a sentence (a split number, "等.").
const minSentenceRunes = 8

// ReadPapers reads papers.jsonl of the CSL data: one {"title", "abstract", "keywords"} per line.
func ReadPapers(r io.Reader) (*Source, error) {
	src := &Source{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for line := 1; sc.Scan(); line++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var p struct {
			Title    string   `json:"title"`
			Abstract string   `json:"abstract"`
			Keywords []string `json:"keywords"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("bench: papers line %d: %w", line, err)
		}
		src.add(p.Title, p.Abstract, p.Keywords)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: read papers: %w", err)
	}
	return src.check()
}

// ReadDemo reads the demo records (demo/*.ndjson in fsys, the embedded configs): titles,
// summaries or descriptions, keywords and research areas. Experts' titles are names, so only
// their bios and areas are used.
func ReadDemo(fsys fs.FS) (*Source, error) {
	names, err := fs.Glob(fsys, "demo/*.ndjson")
	if err != nil {
		return nil, fmt.Errorf("bench: demo data: %w", err)
	}
	src := &Source{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("bench: demo data: %w", err)
		}
		expert := strings.HasPrefix(path.Base(name), "experts")
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var r struct {
				Title         string   `json:"title"`
				Summary       string   `json:"summary"`
				Description   string   `json:"description"`
				Keywords      []string `json:"keywords"`
				ResearchAreas []string `json:"research_areas"`
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				return nil, fmt.Errorf("bench: %s line %d: %w", name, i+1, err)
			}
			if expert {
				r.Title = ""
			}
			src.add(r.Title, r.Summary+r.Description, append(r.Keywords, r.ResearchAreas...))
		}
	}
	return src.check()
}

func (s *Source) add(title, text string, keywords []string) {
	p := Paper{Title: strings.TrimSpace(title), Sentences: Sentences(text)}
	for _, k := range keywords {
		if k = strings.TrimSpace(k); k != "" {
			p.Keywords = append(p.Keywords, k)
		}
	}
	if p.Title == "" && len(p.Sentences) == 0 {
		return
	}
	s.Papers = append(s.Papers, p)
}

// check makes sure the generator has titles, sentences and keywords to draw from.
func (s *Source) check() (*Source, error) {
	var titles, sentences, keywords int
	for _, p := range s.Papers {
		if p.Title != "" {
			titles++
		}
		sentences += len(p.Sentences)
		keywords += len(p.Keywords)
	}
	if titles == 0 || sentences == 0 || keywords == 0 {
		return nil, fmt.Errorf("bench: source has %d titles, %d sentences, %d keywords: need some of each", titles, sentences, keywords)
	}
	return s, nil
}

// Sentences splits text at Chinese and Western sentence ends. A '.' ends a sentence only when
// no digit follows, so "8.2 mS/cm" stays whole.
func Sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); utf8.RuneCountInString(s) >= minSentenceRunes {
			out = append(out, s)
		}
		b.Reset()
	}
	for i, r := range text {
		b.WriteRune(r)
		switch r {
		case '。', '；', '！', '？', ';', '!', '?':
			flush()
		case '.':
			next, _ := utf8.DecodeRuneInString(text[i+1:])
			if !unicode.IsDigit(next) {
				flush()
			}
		}
	}
	flush()
	return out
}

// RegionCodes lists the division codes of a regions file (configs/regions.yaml).
func RegionCodes(regionsYAML []byte) ([]string, error) {
	var f struct {
		Regions []struct {
			Code string `yaml:"code"`
		} `yaml:"regions"`
	}
	if err := yaml.Unmarshal(regionsYAML, &f); err != nil {
		return nil, fmt.Errorf("bench: regions: %w", err)
	}
	codes := make([]string, 0, len(f.Regions))
	for _, r := range f.Regions {
		codes = append(codes, r.Code)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("bench: regions: none listed")
	}
	return codes, nil
}
