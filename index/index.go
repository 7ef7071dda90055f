// Package index is techmatch's full-text index: the bleve mapping, the gojieba tokenizer adapter, open-or-rebuild, search and recall.
package index

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/techmatch/techmatch/internal/domain"
)

// Keys of values kept inside the index next to the documents.
var (
	keySchema    = []byte("techmatch:schema")
	keySegmenter = []byte("techmatch:segmenter")
	keyPosition  = []byte("techmatch:position")
)

func keyGeneration(k domain.Kind) []byte { return []byte("techmatch:generation:" + string(k)) }

// DocKey names one indexed record.
type DocKey struct {
	Kind domain.Kind
	ID   string
}

// Index is the bleve index of all records. It is safe for concurrent use; Apply calls are
// serialised by the caller (the indexer) or by Index itself.
type Index struct {
	bleve   bleve.Index
	mapping *mapping.IndexMappingImpl
	seg     *Segmenter
	// bodyStop are words a recall's body is not searched for (WithBodyStopWords).
	bodyStop map[string]bool
	// variants maps a lower-cased term to the other terms of its group (WithVariants);
	// textVersion fingerprints them (TextVersion).
	variants    map[string][]string
	textVersion string
	dfs         *dfCache
	tune        *tuning    // nil: defaultTuning; set by tests measuring relevance
	model       *TextModel // nil: DefaultTextModel (WithTextModel)
	onDisk      bool       // Close waits for unsafe batches to be persisted

	mu       sync.RWMutex // guards position and gens
	applyMu  sync.Mutex
	position uint64
	gens     map[domain.Kind]uint64
}

// Option configures Open and OpenMem.
type Option func(*Index)

// WithBodyStopWords sets words that a recall's body (a demand's description, a supply item's
// summary in reverse matching) is not searched for: words of prose that say nothing about a
// technology (用于, 实现, 技术). Keywords and titles keep them: a user who types 技术 as the
// whole query means it.
func WithBodyStopWords(words []string) Option {
	return func(ix *Index) {
		ix.bodyStop = make(map[string]bool, len(words))
		for _, w := range words {
			ix.bodyStop[strings.ToLower(w)] = true
		}
	}
}

// WithVariants sets groups of terms that name the same thing (锂离子电池, 锂电池): a query term
// or part of one group is held by a record holding it or another of the group whole, searched
// for in each form, and named as the form the record holds. A term in several groups gets the
// others of all of them; a group of one term does nothing.
func WithVariants(groups [][]string) Option {
	return func(ix *Index) {
		ix.variants = map[string][]string{}
		for _, g := range groups {
			for _, t := range g {
				t = strings.ToLower(strings.TrimSpace(t))
				for _, o := range g {
					o = strings.ToLower(strings.TrimSpace(o))
					if o != t && o != "" && !slices.Contains(ix.variants[t], o) {
						ix.variants[t] = append(ix.variants[t], o)
					}
				}
			}
		}
		h := sha256.New()
		for _, t := range slices.Sorted(maps.Keys(ix.variants)) {
			fmt.Fprintf(h, "%s\t%s\n", t, strings.Join(ix.variants[t], "\t"))
		}
		if len(ix.variants) > 0 {
			ix.textVersion = hex.EncodeToString(h.Sum(nil)[:8])
		}
	}
}

// TextVersion fingerprints what query analysis and scoring depend on beyond the index's
// contents (the variants, the text model), "" for neither: a cached answer keyed with it is not served once they change.
func (ix *Index) TextVersion() string {
	if ix.model == nil {
		return ix.textVersion
	}
	return ix.textVersion + "+" + ix.model.version()
}

// Open opens the bleve index in dir, creating it if missing. If the index is missing, has another
// SchemaVersion or other dictionaries, or is corrupt (fails to open or read), the directory is
// removed and a new empty index is created; rebuilt=true then tells the caller to repopulate it.
func Open(dir string, seg *Segmenter, opts ...Option) (ix *Index, rebuilt bool, err error) {
	if seg == nil {
		return nil, false, errors.New("index: open: nil segmenter")
	}
	im, err := newMapping(seg)
	if err != nil {
		return nil, false, fmt.Errorf("index: mapping: %w", err)
	}
	b, err := bleve.OpenUsing(dir, scorchConfig())
	if err == nil {
		if why := checkExisting(b, seg); why != "" {
			_ = b.Close()
			err = errors.New(why)
		}
	}
	if err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			if rmErr := os.RemoveAll(dir); rmErr != nil {
				return nil, false, fmt.Errorf("index: remove outdated index %s: %w", dir, rmErr)
			}
		}
		if b, err = create(dir, im); err != nil {
			return nil, false, err
		}
		rebuilt = true
	}
	ix, err = newIndex(b, im, seg, opts)
	if err != nil {
		_ = b.Close()
		return nil, false, err
	}
	ix.onDisk = true
	return ix, rebuilt, nil
}

// OpenMem returns a throw-away in-memory index (evaluation, tests).
func OpenMem(seg *Segmenter, opts ...Option) (*Index, error) {
	if seg == nil {
		return nil, errors.New("index: open: nil segmenter")
	}
	im, err := newMapping(seg)
	if err != nil {
		return nil, fmt.Errorf("index: mapping: %w", err)
	}
	// In-memory scorch: bleve.NewMemOnly's upsidedown/gtreap indexes ~20x slower.
	b, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("index: new in-memory index: %w", err)
	}
	if err := stamp(b, seg); err != nil {
		return nil, err
	}
	return newIndex(b, im, seg, opts)
}

// checkExisting says why an opened index cannot be used, or "" when it can.
func checkExisting(b bleve.Index, seg *Segmenter) string {
	v, err := b.GetInternal(keySchema)
	if err != nil {
		return fmt.Sprintf("read schema version: %v", err)
	}
	if string(v) != strconv.Itoa(SchemaVersion) {
		return fmt.Sprintf("schema version %q, want %d", v, SchemaVersion)
	}
	if s, err := b.GetInternal(keySegmenter); err != nil || string(s) != seg.key {
		return "built with other jieba dictionaries"
	}
	// A corrupt segment shows up on the first read, not on open.
	if _, err := b.DocCount(); err != nil {
		return fmt.Sprintf("read: %v", err)
	}
	if _, err := b.Search(bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 1, 0, false)); err != nil {
		return fmt.Sprintf("search: %v", err)
	}
	return ""
}

// scorchConfig makes batches unsafe: Batch returns once the segment is searchable, without
// waiting for it to be persisted and fsynced. That is safe here because the outbox position is
// written in the same batch as the documents (Apply): after a crash the index reopens at the
// last persisted position and the outbox replays the rest. Waiting for each batch to reach the
// disk halved the indexing rate of the write path (docs/benchmarks.md).
func scorchConfig() map[string]interface{} {
	return map[string]interface{}{"unsafe_batch": true}
}

func create(dir string, im mapping.IndexMapping) (bleve.Index, error) {
	b, err := bleve.NewUsing(dir, im, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, fmt.Errorf("index: create %s: %w", dir, err)
	}
	return b, nil
}

func stamp(b bleve.Index, seg *Segmenter) error {
	batch := b.NewBatch()
	batch.SetInternal(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	batch.SetInternal(keySegmenter, []byte(seg.key))
	if err := b.Batch(batch); err != nil {
		return fmt.Errorf("index: write schema version: %w", err)
	}
	return nil
}

func newIndex(b bleve.Index, im *mapping.IndexMappingImpl, seg *Segmenter, opts []Option) (*Index, error) {
	ix := &Index{bleve: b, mapping: im, seg: seg, gens: map[domain.Kind]uint64{}, dfs: newDFCache()}
	for _, o := range opts {
		o(ix)
	}
	if v, _ := b.GetInternal(keySchema); v == nil {
		if err := stamp(b, seg); err != nil {
			return nil, err
		}
	}
	var err error
	if ix.position, err = readUint(b, keyPosition); err != nil {
		return nil, err
	}
	for _, k := range domain.AllKinds {
		if ix.gens[k], err = readUint(b, keyGeneration(k)); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

func readUint(b bleve.Index, key []byte) (uint64, error) {
	v, err := b.GetInternal(key)
	if err != nil {
		return 0, fmt.Errorf("index: read %s: %w", key, err)
	}
	if len(v) != 8 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(v), nil
}

func uintBytes(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// Close closes the index.
func (ix *Index) Close() error {
	if ix.onDisk {
		ix.waitPersisted()
	}
	if err := ix.bleve.Close(); err != nil {
		return fmt.Errorf("index: close: %w", err)
	}
	return nil
}

// Position is the outbox sequence of the last applied row (0 for a new index).
func (ix *Index) Position() uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.position
}

// Generation is the outbox sequence of the last applied change of kind k; it survives restarts.
func (ix *Index) Generation(k domain.Kind) uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.gens[k]
}

// Count returns the number of indexed records of each kind.
func (ix *Index) Count(ctx context.Context) (map[domain.Kind]uint64, error) {
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 0, 0, false)
	req.AddFacet(fKind, bleve.NewFacetRequest(fKind, len(domain.AllKinds)))
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("index: count: %w", err)
	}
	out := make(map[domain.Kind]uint64, len(domain.AllKinds))
	for _, k := range domain.AllKinds {
		out[k] = 0
	}
	if f := res.Facets[fKind]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			out[domain.Kind(t.Term)] = uint64(t.Count)
		}
	}
	return out, nil
}

// IDs lists the ids of all indexed records of kind k, in id order.
func (ix *Index) IDs(ctx context.Context, k domain.Kind) ([]string, error) {
	const page = 5000
	var out []string
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(kindQuery([]domain.Kind{k}), page, 0, false)
		req.SortBy([]string{"_id"})
		req.Score = "none"
		if after != nil {
			req.SetSearchAfter(after)
		}
		res, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("index: ids of %s: %w", k, err)
		}
		for _, h := range res.Hits {
			if dk, ok := splitDocID(h.ID); ok {
				out = append(out, dk.ID)
			}
		}
		if len(res.Hits) < page {
			return out, nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}
