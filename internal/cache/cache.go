// Package cache keeps computed match and search answers in Redis or in process, in front of a singleflight.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"time"
)

// Cache stores opaque values by key. Implementations: Redis (go-redis v9) and Memory (LRU with TTL,
// bounded entries). Returned slices are shared with the cache and must not be modified.
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	Ping(ctx context.Context) error
	Close() error
}

// ErrClosed is returned by a cache used after Close.
var ErrClosed = errors.New("cache: closed")

// Status of one lookup, sent to clients as X-Cache.
type Status string

// The statuses a Loader reports.
const (
	Hit    Status = "hit"
	Miss   Status = "miss"
	Bypass Status = "bypass" // no cache reachable: computed and not stored
)

// keyVersion is part of every key so that a change in how keys are built never reads old entries.
const keyVersion = "v1"

// Key builds a cache key from parts: "tm:v1:<first part>:<hash of all parts>". The first part
// names the kind of answer (match, search, reverse) so keys stay readable in redis-cli; the hash
// keeps keys short whatever the parts hold (an ad-hoc demand's JSON, say). Each part is
// length-prefixed before hashing, so ("ab", "c") and ("a", "bc") give different keys.
func Key(parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	prefix := "_"
	if len(parts) > 0 && parts[0] != "" && len(parts[0]) <= 32 {
		prefix = parts[0]
	}
	// 128 bits of the digest: collisions are out of reach for any realistic number of keys.
	return "tm:" + keyVersion + ":" + prefix + ":" + hex.EncodeToString(sum[:16])
}
