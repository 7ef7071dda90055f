package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Cache in a Redis server, shared by all replicas.
type Redis struct {
	client  *redis.Client
	timeout time.Duration
}

var _ Cache = (*Redis)(nil)

// NewRedis parses a redis:// (or rediss://) URL. It does not connect: go-redis dials on first use
// and reconnects by itself, so a Redis that is down at start-up only means uncached answers.
// Every call is bounded by timeout, so a slow or unreachable Redis cannot hold up a request.
func NewRedis(url string, timeout time.Duration, log *slog.Logger) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache: redis url: %w", err)
	}
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	opts.DialTimeout = timeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	opts.ContextTimeoutEnabled = true
	// Retrying inside one call only spends the caller's time budget; the Loader falls back to
	// computing instead, and the next request tries again.
	opts.MaxRetries = -1
	if log != nil {
		log.Info("cache: redis", "addr", opts.Addr, "db", opts.DB, "timeout", timeout)
	}
	return &Redis{client: redis.NewClient(opts), timeout: timeout}, nil
}

// Backend names the implementation for /readyz.
func (r *Redis) Backend() string { return "redis" }

// Get returns the value stored under key; a missing key is (nil, false, nil).
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	val, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cache: redis get %s: %w", key, err)
	}
	return val, true, nil
}

// Set stores val under key for ttl; ttl <= 0 stores it without expiry.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if ttl < 0 {
		ttl = 0
	}
	if err := r.client.Set(ctx, key, val, ttl).Err(); err != nil {
		return fmt.Errorf("cache: redis set %s: %w", key, err)
	}
	return nil
}

// Ping checks that Redis answers within the timeout.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache: redis ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("cache: redis close: %w", err)
	}
	return nil
}
