package cache_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/testredis"
)

// logBuffer collects slog output from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), substr)
}

func (b *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// counted returns a compute function that answers val and counts its calls.
func counted(val string, calls *atomic.Int64) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		calls.Add(1)
		return []byte(val), nil
	}
}

func mustGet(t testing.TB, l *cache.Loader, key string, compute func(context.Context) ([]byte, error)) ([]byte, cache.Status) {
	t.Helper()
	val, status, err := l.Get(context.Background(), key, compute)
	if err != nil {
		t.Fatalf("Loader.Get(%s): %v", key, err)
	}
	return val, status
}

// metric reads one series of the Loader's collectors through a private registry.
func metric(t *testing.T, l *cache.Loader, name, label, value string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(l.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}

func TestLoaderMissThenHit(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			l := cache.NewLoader(b.open(t), time.Hour, nil)
			var calls atomic.Int64
			key := cache.Key("match", "demand", "d-1", "1")

			val, status := mustGet(t, l, key, counted("answer", &calls))
			if status != cache.Miss || string(val) != "answer" {
				t.Fatalf("first Get = %q, %s; want answer, miss", val, status)
			}
			val, status = mustGet(t, l, key, counted("other", &calls))
			if status != cache.Hit || string(val) != "answer" {
				t.Fatalf("second Get = %q, %s; want the cached answer, hit", val, status)
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("compute ran %d times, want 1", n)
			}
			if hits, misses := metric(t, l, "techmatch_cache_lookups_total", "status", "hit"),
				metric(t, l, "techmatch_cache_lookups_total", "status", "miss"); hits != 1 || misses != 1 {
				t.Fatalf("metrics hit=%v miss=%v, want 1 and 1", hits, misses)
			}
			backendName, up, err := l.State(context.Background())
			if backendName != b.name || !up || err != nil {
				t.Fatalf("State = %q, %v, %v; want %q, up", backendName, up, err, b.name)
			}
		})
	}
}

func TestLoaderTTL(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			l := cache.NewLoader(b.open(t), 100*time.Millisecond, nil)
			var calls atomic.Int64
			mustGet(t, l, "k", counted("v", &calls))
			eventually(t, "cached answer to expire", func() bool {
				_, status := mustGet(t, l, "k", counted("v", &calls))
				return status == cache.Miss
			})
			if n := calls.Load(); n < 2 {
				t.Fatalf("compute ran %d times after expiry, want a recompute", n)
			}
		})
	}
}

func TestLoaderComputeErrorIsNotCached(t *testing.T) {
	l := cache.NewLoader(cache.NewMemory(10), time.Hour, nil)
	boom := errors.New("recall failed")
	_, _, err := l.Get(context.Background(), "k", func(context.Context) ([]byte, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Get = %v, want the compute error", err)
	}
	if _, status := mustGet(t, l, "k", func(context.Context) ([]byte, error) { return []byte("ok"), nil }); status != cache.Miss {
		t.Fatalf("after a failed compute status = %s, want miss", status)
	}
}

func TestLoaderComputePanicBecomesError(t *testing.T) {
	l := cache.NewLoader(cache.NewMemory(10), time.Hour, nil)
	_, _, err := l.Get(context.Background(), "k", func(context.Context) ([]byte, error) { panic("index closed") })
	if err == nil || !strings.Contains(err.Error(), "index closed") {
		t.Fatalf("Get = %v, want an error carrying the panic", err)
	}
}

func TestLoaderSingleflight(t *testing.T) {
	const callers = 32
	srv := testredis.Start(t)
	l := cache.NewLoader(openRedis(t, srv.URL()), time.Hour, nil)

	var calls atomic.Int64
	release := make(chan struct{})
	compute := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release // hold the flight open so that the others join it
		return []byte("list"), nil
	}
	var started, done sync.WaitGroup
	results := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		started.Add(1)
		done.Go(func() {
			started.Done()
			val, _, err := l.Get(context.Background(), "same", compute)
			results[i], errs[i] = string(val), err
		})
	}
	started.Wait()
	close(release)
	done.Wait()

	// Whether a caller joined the flight or came after it, the value was in Redis before the
	// flight ended, so exactly one computation is the only correct outcome.
	if n := calls.Load(); n != 1 {
		t.Fatalf("compute ran %d times for %d concurrent callers, want 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil || results[i] != "list" {
			t.Fatalf("caller %d got %q, %v", i, results[i], errs[i])
		}
	}
}

func TestLoaderFollowerOutlivesCancelledLeader(t *testing.T) {
	l := cache.NewLoader(cache.NewMemory(10), time.Hour, nil)
	entered := make(chan struct{})
	var calls atomic.Int64
	compute := func(ctx context.Context) ([]byte, error) {
		if calls.Add(1) == 1 {
			close(entered)
			<-ctx.Done() // the leader's request goes away mid-computation
			return nil, ctx.Err()
		}
		return []byte("list"), nil
	}
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := l.Get(leaderCtx, "k", compute)
		leaderErr <- err
	}()
	<-entered
	follower := make(chan []byte, 1)
	go func() {
		val, _, err := l.Get(context.Background(), "k", compute)
		if err != nil {
			t.Errorf("follower: %v", err)
		}
		follower <- val
	}()
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader error = %v, want context.Canceled", err)
	}
	if val := <-follower; string(val) != "list" {
		t.Fatalf("follower got %q, want list", val)
	}
}

func TestLoaderRedisOutageAndRecovery(t *testing.T) {
	srv := testredis.Start(t)
	var logs logBuffer
	l := cache.NewLoader(openRedis(t, srv.URL()), time.Hour, logs.logger())
	var calls atomic.Int64
	if _, status := mustGet(t, l, "k", counted("v", &calls)); status != cache.Miss {
		t.Fatalf("status with Redis up = %s, want miss", status)
	}

	srv.Stop()
	const requests = 20
	for i := range requests {
		val, status := mustGet(t, l, cache.Key("match", string(rune('a'+i))), counted("v", &calls))
		if status != cache.Bypass || string(val) != "v" {
			t.Fatalf("request %d with Redis down = %q, %s; want v, bypass", i, val, status)
		}
	}
	if n := logs.count("cache unavailable"); n != 1 {
		t.Fatalf("outage logged %d times over %d requests, want once:\n%s", n, requests, logs.buf.String())
	}
	if _, up, err := l.State(context.Background()); up || err == nil {
		t.Fatalf("State with Redis down = up %v, err %v", up, err)
	}
	if got := metric(t, l, "techmatch_cache_up", "backend", "redis"); got != 0 {
		t.Fatalf("techmatch_cache_up = %v during the outage", got)
	}
	if got := metric(t, l, "techmatch_cache_lookups_total", "status", "bypass"); got != requests {
		t.Fatalf("bypass counter = %v, want %d", got, requests)
	}

	srv.Restart()
	eventually(t, "Loader to hit Redis again", func() bool {
		_, status := mustGet(t, l, "k", counted("v", &calls))
		return status == cache.Hit
	})
	if n := logs.count("cache recovered"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.buf.String())
	}
	if n := logs.count("cache unavailable"); n != 1 {
		t.Fatalf("outage logged %d times in all, want once:\n%s", n, logs.buf.String())
	}
	if got := metric(t, l, "techmatch_cache_up", "backend", "redis"); got != 1 {
		t.Fatalf("techmatch_cache_up = %v after recovery", got)
	}
}

func TestLoaderCallerCancelledIsNotAnOutage(t *testing.T) {
	srv := testredis.Start(t)
	var logs logBuffer
	l := cache.NewLoader(openRedis(t, srv.URL()), time.Hour, logs.logger())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	if _, _, err := l.Get(ctx, "k", counted("v", &calls)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context = %v, want context.Canceled", err)
	}
	if _, status := mustGet(t, l, "k", counted("v", &calls)); status != cache.Miss {
		t.Fatalf("next Get = %s, want miss (Redis still counted as up)", status)
	}
	if n := logs.count("cache unavailable"); n != 0 {
		t.Fatalf("a cancelled request was logged as an outage:\n%s", logs.buf.String())
	}
}
