package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// TextModel combines a hit's text signals into its Text: the weighted mean of the signals the
// query gives (Signals.Present). A query with a description has its own weights: a description
// changes what the title's signals are worth (a title is then a headline, not the list of
// terms wanted), and gives signals a query of keywords has not. The weights are fitted to
// graded pairs and judged queries by `techmatch fit` (docs/relevance.md, "The text model") and
// shipped in configs/text_model.json; a platform can refit them on its own outcomes.
type TextModel struct {
	Keywords  Weights `json:"without_description"`
	Described Weights `json:"with_description"`
}

// Weights are a text model's weight of each signal (Signals).
type Weights struct {
	Head    float64 `json:"head"`
	Body    float64 `json:"body"`
	Lexical float64 `json:"lexical"`
	Record  float64 `json:"record"`
	Chars   float64 `json:"chars"`
	BM25    float64 `json:"bm25"`
}

// DefaultTextModel is used when none is given (WithTextModel): mostly the coverage of the
// terms, and BM25.
var DefaultTextModel = TextModel{
	Keywords:  Weights{Head: 0.7, Lexical: 0.3},
	Described: Weights{Head: 0.2, Body: 0.1, Lexical: 0.7},
}

// Validate checks that every weight is finite and non-negative and that each set of weights
// has one that is positive.
func (m TextModel) Validate() error {
	for _, f := range []struct {
		name string
		w    Weights
	}{{"without_description", m.Keywords}, {"with_description", m.Described}} {
		sum := 0.0
		for name, w := range f.w.named() {
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 || w > 1e6 {
				return fmt.Errorf("text model: %s.%s = %v: want a finite number ≥ 0", f.name, name, w)
			}
			sum += w
		}
		if sum <= 0 {
			return fmt.Errorf("text model: every weight of %s is 0: want at least one > 0", f.name)
		}
	}
	return nil
}

func (w Weights) named() map[string]float64 {
	return map[string]float64{"head": w.Head, "body": w.Body, "lexical": w.Lexical, "record": w.Record, "chars": w.Chars, "bm25": w.BM25}
}

// For is the weights a query of the given signals is scored with.
func (m TextModel) For(p Present) Weights {
	if p.Body {
		return m.Described
	}
	return m.Keywords
}

// Combine is the weighted mean of the signals present.
func (m TextModel) Combine(s Signals) float64 {
	w := m.For(s.Present)
	num, den := w.Lexical*s.Lexical+w.Record*s.Record+w.Chars*s.Chars+w.BM25*s.BM25, w.Lexical+w.Record+w.Chars+w.BM25
	if s.Present.Head {
		num, den = num+w.Head*s.Head, den+w.Head
	}
	if s.Present.Body {
		num, den = num+w.Body*s.Body, den+w.Body
	}
	if den <= 0 {
		return 0
	}
	return clamp(num / den)
}

func clamp(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// version fingerprints the model, for cache keys (TextVersion).
func (m TextModel) version() string {
	data, _ := json.Marshal(m)
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:6])
}

// ParseTextModel reads a text-model file (configs/text_model.json, or what `techmatch fit
// --out` writes): {"weights": {"without_description": {...}, "with_description": {...}},
// "fit": {...how they were fitted}}. Unknown keys, and weights Validate refuses, are errors.
func ParseTextModel(data []byte) (TextModel, error) {
	var f struct {
		Weights *TextModel      `json:"weights"`
		Fit     json.RawMessage `json:"fit"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return TextModel{}, err
	}
	if f.Weights == nil {
		return TextModel{}, errors.New(`no "weights"`)
	}
	if err := f.Weights.Validate(); err != nil {
		return TextModel{}, err
	}
	return *f.Weights, nil
}

// WithTextModel sets the weights that combine a hit's signals into its Text.
func WithTextModel(m TextModel) Option { return func(ix *Index) { ix.model = &m } }

func (ix *Index) textModel() TextModel {
	if ix.model != nil {
		return *ix.model
	}
	return DefaultTextModel
}
