package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// probeInterval is how often a Loader tries an unreachable cache again. Between probes requests
// bypass it at once instead of each waiting out a connection timeout.
const probeInterval = time.Second

// maxFlightRetries bounds how often a caller starts its own computation after joining one whose
// leader's context was cancelled.
const maxFlightRetries = 2

// Loader is what handlers use: a Cache with singleflight in front of it, so that concurrent
// identical misses compute once. When the cache fails (Redis
// down) answers are computed and returned uncached with status Bypass; the outage is logged
// once, and so is the recovery.
type Loader struct {
	cache   Cache
	ttl     time.Duration
	log     *slog.Logger
	backend string
	flights singleflight.Group

	down      atomic.Bool // read on every lookup; transitions take mu
	mu        sync.Mutex
	nextProbe time.Time

	lookups *prometheus.CounterVec
	up      prometheus.Gauge
	compute prometheus.Histogram
}

// lookup is what one flight hands to everyone who joined it.
type lookup struct {
	val    []byte
	status Status
}

// NewLoader puts c behind singleflight; values are stored for ttl. A nil log discards.
func NewLoader(c Cache, ttl time.Duration, log *slog.Logger) *Loader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backend := fmt.Sprintf("%T", c)
	if b, ok := c.(interface{ Backend() string }); ok {
		backend = b.Backend()
	}
	l := &Loader{
		cache:   c,
		ttl:     ttl,
		log:     log,
		backend: backend,
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "techmatch_cache_lookups_total",
			Help: "Cached lookups of match and search answers by X-Cache status.",
		}, []string{"status"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "techmatch_cache_up",
			Help:        "1 while the cache backend answers, 0 while lookups bypass it.",
			ConstLabels: prometheus.Labels{"backend": backend},
		}),
		compute: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "techmatch_cache_compute_seconds",
			Help:    "Time to compute an answer that was not in the cache.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	// Present from the start so that rate() works before the first bypass.
	for _, s := range []Status{Hit, Miss, Bypass} {
		l.lookups.WithLabelValues(string(s))
	}
	l.up.Set(1)
	return l
}

// Collectors returns the Loader's metrics, for the caller to register on its own registry:
// techmatch_cache_lookups_total{status}, techmatch_cache_up{backend} and
// techmatch_cache_compute_seconds.
func (l *Loader) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.lookups, l.up, l.compute}
}

// Get returns the value under key, computing and storing it on a miss. Concurrent misses of one
// key share one computation. An unreachable cache is not an error: the value is computed and
// returned with status Bypass. Errors are compute's own or ctx's.
// The returned slice may be shared with other callers and must not be modified.
func (l *Loader) Get(ctx context.Context, key string, compute func(ctx context.Context) ([]byte, error)) ([]byte, Status, error) {
	// Hits skip singleflight: a flight costs a goroutine, and hits need no coordination.
	val, hit, _, err := l.read(ctx, key)
	if err != nil {
		return nil, Miss, err
	}
	if hit {
		l.lookups.WithLabelValues(string(Hit)).Inc()
		return val, Hit, nil
	}
	for attempt := 0; ; attempt++ {
		ch := l.flights.DoChan(key, func() (any, error) { return l.load(ctx, key, compute) })
		select {
		case <-ctx.Done():
			return nil, Miss, ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				// The flight's leader went away mid-way; this caller has not, so it leads its own.
				if isContextErr(r.Err) && ctx.Err() == nil && attempt < maxFlightRetries {
					continue
				}
				return nil, Miss, r.Err
			}
			res := r.Val.(lookup)
			l.lookups.WithLabelValues(string(res.status)).Inc()
			return res.val, res.status, nil
		}
	}
}

// load runs once per flight. It reads the cache again because the previous flight for the key
// may have stored the value after this caller's first read; that keeps concurrent misses at one
// computation however the callers interleave.
func (l *Loader) load(ctx context.Context, key string, compute func(ctx context.Context) ([]byte, error)) (any, error) {
	val, hit, reachable, err := l.read(ctx, key)
	if err != nil {
		return nil, err
	}
	if hit {
		return lookup{val: val, status: Hit}, nil
	}
	val, err = l.run(ctx, key, compute)
	if err != nil {
		return nil, err
	}
	if !reachable {
		return lookup{val: val, status: Bypass}, nil
	}
	// Stored even if the caller has just gone: others have joined this flight or will ask again.
	if err := l.cache.Set(context.WithoutCancel(ctx), key, val, l.ttl); err != nil {
		l.markDown(err)
		return lookup{val: val, status: Bypass}, nil
	}
	return lookup{val: val, status: Miss}, nil
}

// read looks key up unless the cache is known to be down. reachable is false when the cache was
// skipped or failed; err is only ever ctx's, since the caller giving up says nothing about the cache.
func (l *Loader) read(ctx context.Context, key string) (val []byte, hit, reachable bool, err error) {
	if !l.usable() {
		return nil, false, false, nil
	}
	val, ok, err := l.cache.Get(ctx, key)
	switch {
	case err == nil:
		l.markUp()
		return val, ok, true, nil
	case ctx.Err() != nil:
		return nil, false, false, ctx.Err()
	default:
		l.markDown(err)
		return nil, false, false, nil
	}
}

// run calls compute, turning a panic into an error: singleflight's DoChan would otherwise
// re-panic on a goroutine of its own, out of reach of the HTTP server's recovery.
func (l *Loader) run(ctx context.Context, key string, compute func(ctx context.Context) ([]byte, error)) (val []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: compute %s: panic: %v\n%s", key, p, debug.Stack())
		}
	}()
	start := time.Now()
	val, err = compute(ctx)
	l.compute.Observe(time.Since(start).Seconds())
	return val, err
}

// State reports the backend's name and whether it answers now, for /readyz.
func (l *Loader) State(ctx context.Context) (backend string, up bool, err error) {
	err = l.cache.Ping(ctx)
	switch {
	case err == nil:
		l.markUp()
	case ctx.Err() == nil:
		l.markDown(err)
	}
	return l.backend, err == nil, err
}

// usable says whether to try the cache: always while it is up, and once per probeInterval while
// it is down.
func (l *Loader) usable() bool {
	if !l.down.Load() {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Before(l.nextProbe) {
		return false
	}
	l.nextProbe = now.Add(probeInterval)
	return true
}

func (l *Loader) markDown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextProbe = time.Now().Add(probeInterval)
	if l.down.Load() {
		return
	}
	l.down.Store(true)
	l.up.Set(0)
	l.log.Warn("cache unavailable; answering uncached until it is back", "backend", l.backend, "err", err)
}

func (l *Loader) markUp() {
	if !l.down.Load() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down.Load() {
		return
	}
	l.down.Store(false)
	l.up.Set(1)
	l.log.Info("cache recovered", "backend", l.backend)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
