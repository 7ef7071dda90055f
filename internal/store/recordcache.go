package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// DefaultRecordCache is how many decoded records a store keeps by default: the candidates of
// the demands matched lately. Peak RSS at 100k records grew by ~225 MB with 32,768.
const DefaultRecordCache = 1 << 13

// Option changes how Open sets a store up.
type Option func(*Store)

// WithRecordCache keeps up to n decoded records for Get and GetMany; 0 keeps none.
func WithRecordCache(n int) Option {
	return func(s *Store) { s.recs = newRecordCache(n) }
}

// recordCache holds decoded records, all of them current as of one point of the write order.
//
// JSON decoding was ~85% of a 200-record GetMany, and the recall lists of related demands
// share most of their candidates. Every write puts an outbox row whose seq AUTOINCREMENT never
// hands out twice, so the outbox is the store's change log, whichever process wrote: a read
// that finds the outbox head past the cache's mark drops the entries of the records written in
// between and moves the mark. Only when that part of the log has been pruned is the whole cache
// dropped. A record is cached only if it was read at the mark, so an entry never predates it.
type recordCache struct {
	max   int
	mu    sync.Mutex
	clean int64      // outbox head as of which every entry is current
	order *list.List // of *cachedRecord, the most recently used first
	byKey map[recordKey]*list.Element
}

type recordKey struct {
	kind domain.Kind
	id   string
}

type cachedRecord struct {
	key recordKey
	// rec is never handed out: callers get clones, which they may change (MaskContact).
	rec domain.Record
}

func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, order: list.New(), byKey: map[recordKey]*list.Element{}}
}

func (c *recordCache) mark() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clean
}

// advance moves the mark from from to head, dropping the records written in between; with
// complete false the log of that span is gone and every entry is dropped. A cache already
// past head, moved by a read of a later snapshot, is left as it is.
func (c *recordCache) advance(from, head int64, written []recordKey, complete bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clean >= head {
		return
	}
	if !complete {
		c.order.Init()
		clear(c.byKey)
	}
	for _, k := range written {
		if el, ok := c.byKey[k]; ok {
			c.order.Remove(el)
			delete(c.byKey, k)
		}
	}
	c.clean = head
}

// lookup returns clones of the cached records among ids, by id.
func (c *recordCache) lookup(k domain.Kind, ids []string) map[string]domain.Record {
	out := make(map[string]domain.Record, len(ids))
	if c.max <= 0 {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if el, ok := c.byKey[recordKey{k, id}]; ok {
			c.order.MoveToFront(el)
			out[id] = codec.Clone(el.Value.(*cachedRecord).rec)
		}
	}
	return out
}

// bulk reports whether a read of n records is too large to cache: the indexer's batches (up to
// 2,000 rows) and other bulk reads would evict what matching reads again and again, and only
// churn the cache. During a 100k import the indexer's reads kept the cache full of records
// nobody asked for again, an extra copy of each, all through the import's memory peak.
func (c *recordCache) bulk(n int) bool { return n > max(c.max/bulkShare, bulkMin) }

// A read of more than 1/bulkShare of the cache's capacity, and of more than bulkMin records, is
// not cached: 512 at the default capacity. Matching reads up to params.recall (200 by default)
// records of a kind.
const (
	bulkShare = 16
	bulkMin   = 256
)

// add caches records decoded from the snapshot whose outbox head was at, unless the mark has
// moved since: they might then predate a write the mark covers. It evicts the least recently used.
func (c *recordCache) add(k domain.Kind, recs []domain.Record, at int64) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if at != c.clean {
		return
	}
	for _, r := range recs {
		key := recordKey{k, r.GetMeta().ID}
		e := &cachedRecord{key: key, rec: r}
		if el, ok := c.byKey[key]; ok {
			el.Value = e
			c.order.MoveToFront(el)
			continue
		}
		c.byKey[key] = c.order.PushFront(e)
		for c.order.Len() > c.max {
			last := c.order.Back()
			delete(c.byKey, last.Value.(*cachedRecord).key)
			c.order.Remove(last)
		}
	}
}

// The statements of a read through the cache, run in one read transaction: the outbox head,
// the log since the cache's mark, and the bodies the cache lacks.
const (
	selectOutboxHead = `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)`
	// The log from mark on is complete when nothing after mark has been pruned: pruning
	// deletes a prefix, so the oldest row left must come at or before mark+1.
	selectLogComplete = `SELECT COALESCE((SELECT MIN(seq) FROM outbox), ?2 + 1) <= ?1 + 1`
	selectWritten     = `SELECT kind, id FROM outbox WHERE seq > ? AND seq <= ?`
	selectBodies      = `SELECT body FROM records WHERE kind = ? AND id IN (SELECT value FROM json_each(?))`
)

// readStmts are the read statements prepared once: GetMany's, and the two every cached match
// or keyed request runs (DemandHead, KeyByHash).
type readStmts struct {
	head, complete, written, bodies *sql.Stmt
	demandHead, keyByHash           *sql.Stmt
}

func (rs *readStmts) specs() []stmtSpec {
	return []stmtSpec{{&rs.head, selectOutboxHead}, {&rs.complete, selectLogComplete}, {&rs.written, selectWritten},
		{&rs.bodies, selectBodies}, {&rs.demandHead, selectDemandHead}, {&rs.keyByHash, selectKeyByHash}}
}

// catchUp brings the cache up to the outbox head of tx's snapshot and returns that head.
func (s *Store) catchUp(ctx context.Context, tx *sql.Tx) (int64, error) {
	var head int64
	if err := tx.StmtContext(ctx, s.reads.head).QueryRowContext(ctx).Scan(&head); err != nil {
		return 0, err
	}
	from := s.recs.mark()
	if from >= head || s.recs.max <= 0 {
		return head, nil
	}
	var complete bool
	if err := tx.StmtContext(ctx, s.reads.complete).QueryRowContext(ctx, from, head).Scan(&complete); err != nil {
		return 0, err
	}
	var written []recordKey
	// A log longer than the cache would drop most of it anyway: drop it all, unread.
	if complete = complete && head-from <= int64(s.recs.max); complete {
		rows, err := tx.StmtContext(ctx, s.reads.written).QueryContext(ctx, from, head)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			var k recordKey
			if err := rows.Scan(&k.kind, &k.id); err != nil {
				return 0, err
			}
			written = append(written, k)
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	s.recs.advance(from, head, written, complete)
	return head, nil
}
