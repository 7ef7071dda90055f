package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxEntries bounds a Memory cache built with a non-positive size.
const DefaultMaxEntries = 10000

// Memory is an in-process Cache: least-recently-used eviction past maxEntries, and a TTL per
// entry. It is used when no Redis is configured, so one process never needs anything else.
type Memory struct {
	mu         sync.Mutex
	maxEntries int
	order      *list.List // front = most recently used; values are *memoryEntry
	entries    map[string]*list.Element
	closed     bool
}

type memoryEntry struct {
	key     string
	val     []byte
	expires time.Time // zero: never
}

var _ Cache = (*Memory)(nil)

// NewMemory returns an empty cache holding at most maxEntries values
// (DefaultMaxEntries when maxEntries <= 0).
func NewMemory(maxEntries int) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &Memory{
		maxEntries: maxEntries,
		order:      list.New(),
		entries:    make(map[string]*list.Element),
	}
}

// Backend names the implementation for /readyz.
func (m *Memory) Backend() string { return "memory" }

// Get returns the value under key unless it is missing or expired. Expired entries are dropped
// here rather than by a sweeper goroutine: the LRU bound already caps memory.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false, ErrClosed
	}
	el, ok := m.entries[key]
	if !ok {
		return nil, false, nil
	}
	e := el.Value.(*memoryEntry)
	if !e.expires.IsZero() && !time.Now().Before(e.expires) {
		m.remove(el)
		return nil, false, nil
	}
	m.order.MoveToFront(el)
	return e.val, true, nil
}

// Set stores a copy of val under key for ttl (ttl <= 0: no expiry), evicting the least
// recently used entries beyond the bound.
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	// Copied so that a caller reusing its buffer cannot change what others read.
	stored := append([]byte(nil), val...)
	var expires time.Time
	if ttl > 0 {
		expires = time.Now().Add(ttl)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if el, ok := m.entries[key]; ok {
		e := el.Value.(*memoryEntry)
		e.val, e.expires = stored, expires
		m.order.MoveToFront(el)
		return nil
	}
	m.entries[key] = m.order.PushFront(&memoryEntry{key: key, val: stored, expires: expires})
	for m.order.Len() > m.maxEntries {
		m.remove(m.order.Back())
	}
	return nil
}

// Len reports how many entries are held, expired ones not yet dropped included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// Ping fails only after Close: an in-process cache is always reachable.
func (m *Memory) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Close drops every entry; later calls return ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.order.Init()
	clear(m.entries)
	return nil
}

func (m *Memory) remove(el *list.Element) {
	m.order.Remove(el)
	delete(m.entries, el.Value.(*memoryEntry).key)
}
