package index

import "github.com/blevesearch/bleve/v2"

// Tuning is the text-relevance knobs, exported for relevance tests (see tuning in recall.go).
type Tuning struct {
	Partial             float64
	PhraseIDF           bool
	Title               float64
	Flat, SubParts      bool
	BM25Share, BM25Sat  float64
	GramPartial         float64
	KeyShare, MaxMissed float64
	MinFill             float64
}

// DefaultTuning is what an index uses unless told otherwise.
func DefaultTuning() Tuning {
	t := defaultTuning
	return Tuning{Partial: t.partial, PhraseIDF: t.phraseIDF, Title: t.titleBoost,
		Flat: t.flatBoost, SubParts: t.subParts, BM25Share: t.bm25Share, BM25Sat: t.bm25Sat, GramPartial: t.gramPartial,
		KeyShare: t.keyShare, MaxMissed: t.maxMissed, MinFill: t.minFill}
}

// WithTune sets every knob.
func WithTune(t Tuning) Option {
	return func(ix *Index) {
		ix.tune = &tuning{partial: t.Partial, phraseIDF: t.PhraseIDF, titleBoost: t.Title,
			flatBoost: t.Flat, subParts: t.SubParts, bm25Share: t.BM25Share, bm25Sat: t.BM25Sat, gramPartial: t.GramPartial,
			keyShare: t.KeyShare, maxMissed: t.MaxMissed, minFill: t.MinFill}
	}
}

// SetInternal writes a raw internal value into the index at dir, to simulate other builds.
func SetInternal(dir, key, value string) error {
	// Safe batches: the index was made with unsafe ones, which Close would not wait for here.
	b, err := bleve.OpenUsing(dir, map[string]interface{}{"unsafe_batch": false})
	if err != nil {
		return err
	}
	batch := b.NewBatch()
	batch.SetInternal([]byte(key), []byte(value))
	if err := b.Batch(batch); err != nil {
		b.Close()
		return err
	}
	return b.Close()
}

// AnalyzerBigram is the text fields' analyzer, bleve's cjk in one pass (bigram.go).
const AnalyzerBigram = analyzerBigram

var (
	FastIdeograph = fastIdeograph
	AttachesNot   = attachesNot
)
