package index

import "github.com/blevesearch/bleve/v2"

// WithTuning lets relevance tests measure variants of the text-relevance knobs.
func WithTuning(partial, phraseBoost float64, phraseIDF bool, title float64, flat bool) Option {
	return func(ix *Index) {
		ix.tune = &tuning{partial: partial, phraseBoost: phraseBoost, phraseIDF: phraseIDF, titleBoost: title, flatBoost: flat}
	}
}

// SetInternal writes a raw internal value into the index at dir, to simulate other builds.
func SetInternal(dir, key, value string) error {
	b, err := bleve.Open(dir)
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
