package cache_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/testredis"
)

// backend builds one fresh Cache of an implementation for a test.
type backend struct {
	name string
	open func(t *testing.T) cache.Cache
}

func backends() []backend {
	return []backend{
		{"memory", func(t *testing.T) cache.Cache { return cache.NewMemory(100) }},
		{"redis", func(t *testing.T) cache.Cache {
			srv := testredis.Start(t)
			return openRedis(t, srv.URL())
		}},
	}
}

func openRedis(t testing.TB, url string) *cache.Redis {
	t.Helper()
	r, err := cache.NewRedis(url, 2*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// eventually polls cond until it holds; the deadline only guards against hanging, it asserts
// nothing about speed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackends is the suite every Cache implementation must pass.
func TestBackends(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			c := b.open(t)

			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if _, ok, err := c.Get(ctx, "absent"); err != nil || ok {
				t.Fatalf("Get(absent) = ok %v, err %v; want a plain miss", ok, err)
			}
			if err := c.Set(ctx, "k", []byte("v1"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, "k", []byte("v2"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if val, ok, err := c.Get(ctx, "k"); err != nil || !ok || string(val) != "v2" {
				t.Fatalf("Get(k) = %q, %v, %v; want the overwritten v2", val, ok, err)
			}
			if err := c.Set(ctx, "empty", nil, time.Hour); err != nil {
				t.Fatal(err)
			}
			if val, ok, err := c.Get(ctx, "empty"); err != nil || !ok || len(val) != 0 {
				t.Fatalf("Get(empty) = %q, %v, %v; want a hit on an empty value", val, ok, err)
			}

			if err := c.Set(ctx, "short", []byte("x"), 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			eventually(t, "short-lived entry to expire", func() bool {
				_, ok, err := c.Get(ctx, "short")
				if err != nil {
					t.Fatal(err)
				}
				return !ok
			})
			if _, ok, _ := c.Get(ctx, "k"); !ok {
				t.Fatal("long-lived entry expired with the short one")
			}

			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := c.Ping(ctx); err == nil {
				t.Fatal("Ping after Close succeeded")
			}
			if _, _, err := c.Get(ctx, "k"); err == nil {
				t.Fatal("Get after Close succeeded")
			}
		})
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	m := cache.NewMemory(3)
	for i := range 3 {
		if err := m.Set(ctx, "k"+strconv.Itoa(i), []byte{byte(i)}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// k0 is used, so k1 is now the least recently used and goes first.
	if _, ok, _ := m.Get(ctx, "k0"); !ok {
		t.Fatal("k0 missing before any eviction")
	}
	if err := m.Set(ctx, "k3", []byte{3}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want bool
	}{{"k0", true}, {"k1", false}, {"k2", true}, {"k3", true}}
	for _, tt := range tests {
		if _, ok, _ := m.Get(ctx, tt.key); ok != tt.want {
			t.Errorf("after eviction Get(%s) present = %v, want %v", tt.key, ok, tt.want)
		}
	}
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want the bound 3", n)
	}
}

func TestMemoryCopiesOnSet(t *testing.T) {
	ctx := context.Background()
	m := cache.NewMemory(0)
	buf := []byte("original")
	if err := m.Set(ctx, "k", buf, 0); err != nil {
		t.Fatal(err)
	}
	copy(buf, "changed!")
	if val, _, _ := m.Get(ctx, "k"); string(val) != "original" {
		t.Fatalf("stored value followed the caller's buffer: %q", val)
	}
}

func TestMemoryClosed(t *testing.T) {
	m := cache.NewMemory(1)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(context.Background(), "k", nil, 0); !errors.Is(err, cache.ErrClosed) {
		t.Fatalf("Set after Close = %v, want ErrClosed", err)
	}
}

func TestNewRedisRejectsBadURL(t *testing.T) {
	for _, url := range []string{"", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/notadb"} {
		if _, err := cache.NewRedis(url, time.Second, nil); err == nil {
			t.Errorf("NewRedis(%q) succeeded", url)
		}
	}
}
