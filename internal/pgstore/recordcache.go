package pgstore

import (
	"container/list"
	"sync"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// DefaultRecordCache is how many decoded records a store keeps by default, as the SQLite store
// does (store.DefaultRecordCache): the candidates of the demands matched lately.
const DefaultRecordCache = 1 << 13

// WithRecordCache keeps up to n decoded records for Get and GetMany; 0 keeps none.
func WithRecordCache(n int) Option {
	return func(s *Store) { s.recs = newRecordCache(n) }
}

// recordCache holds decoded records, each with the seq of the write it is of.
//
// Decoding the JSON bodies is most of a 200-record GetMany, and the recall lists of related
// demands share most of their candidates. A record's seq (records.seq) is the outbox seq of
// its last write: every write, on any replica, takes a seq no write had before (outbox.go), so
// a cached record is current exactly when its seq is the one its row has now. GetMany reads the
// row's seq with every lookup and the body only of what the cache lacks or has out of date, so
// no read serves a record older than the row it read, whichever process wrote it; nothing has to
// tell the cache about writes.
type recordCache struct {
	max   int
	mu    sync.Mutex
	order *list.List // of *cachedRecord, the most recently used first
	byKey map[recordKey]*list.Element
}

type recordKey struct {
	kind domain.Kind
	id   string
}

type cachedRecord struct {
	key recordKey
	seq int64
	// rec is never handed out: callers get clones, which they may change (MaskContact).
	rec domain.Record
}

func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, order: list.New(), byKey: map[recordKey]*list.Element{}}
}

// held returns those of ids the cache has a version of.
func (c *recordCache) held(k domain.Kind, ids []string) []string {
	if c.max <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range ids {
		if _, ok := c.byKey[recordKey{k, id}]; ok {
			out = append(out, id)
		}
	}
	return out
}

// get returns a clone of the cached record of the write seq, if the cache has that version.
func (c *recordCache) get(k domain.Kind, id string, seq int64) (domain.Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[recordKey{k, id}]
	if !ok || el.Value.(*cachedRecord).seq != seq {
		return nil, false
	}
	c.order.MoveToFront(el)
	return codec.Clone(el.Value.(*cachedRecord).rec), true
}

// bulk reports whether a read of n records is too large to cache: the indexer's batches and
// other bulk reads would evict what matching reads again and again (the SQLite store's rule).
func (c *recordCache) bulk(n int) bool { return n > max(c.max/bulkShare, bulkMin) }

// A read of more than 1/bulkShare of the cache's capacity, and of more than bulkMin records, is
// not cached: 512 at the default capacity. Matching reads up to params.recall (200 by default)
// records of a kind.
const (
	bulkShare = 16
	bulkMin   = 256
)

// add caches rec as of the write seq, unless the cache already has a later version, and
// evicts the least recently used.
func (c *recordCache) add(k domain.Kind, rec domain.Record, seq int64) {
	if c.max <= 0 {
		return
	}
	key := recordKey{k, rec.GetMeta().ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		if el.Value.(*cachedRecord).seq <= seq {
			el.Value = &cachedRecord{key: key, seq: seq, rec: rec}
		}
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cachedRecord{key: key, seq: seq, rec: rec})
	for c.order.Len() > c.max {
		last := c.order.Back()
		delete(c.byKey, last.Value.(*cachedRecord).key)
		c.order.Remove(last)
	}
}

// drop forgets the records of ids: they are gone from the store.
func (c *recordCache) drop(k domain.Kind, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if el, ok := c.byKey[recordKey{k, id}]; ok {
			c.order.Remove(el)
			delete(c.byKey, recordKey{k, id})
		}
	}
}

// len is how many records the cache holds.
func (c *recordCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
