package httpapi

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
)

// maxBuckets bounds the limiter's memory against callers that rotate addresses: past it,
// buckets that have refilled (callers gone quiet) are dropped.
const maxBuckets = 100_000

// SharedBuckets keep token buckets that every replica spends from (cache.Redis), so that N
// replicas do not give a caller N times the limit.
type SharedBuckets interface {
	Take(ctx context.Context, caller string, rate, burst float64) (ok bool, wait time.Duration, err error)
}

// limiter is a token bucket per caller: per API key, or per client address for anonymous calls.
// With shared buckets the bucket is theirs; the process's own stand in while they fail, so a
// Redis that is down limits per replica instead of not at all.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	now    func() time.Time
	shared SharedBuckets
	// sharedDown is when the shared buckets last failed (unix nanoseconds): for a second after,
	// the process's own buckets answer, so a Redis that is down costs no request its timeout.
	sharedDown atomic.Int64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(l config.Limits) *limiter {
	if l.RatePerSecond <= 0 {
		return nil
	}
	return &limiter{rate: l.RatePerSecond, burst: float64(l.Burst), now: time.Now, buckets: map[string]*bucket{}}
}

// take spends one token of caller's bucket; when there is none it says how long until there is.
func (l *limiter) take(caller string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[caller]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[caller] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// takeShared spends a token of caller's shared bucket, or of its own while they fail.
func (l *limiter) takeShared(ctx context.Context, caller string) (bool, time.Duration) {
	if l.shared == nil || l.now().UnixNano()-l.sharedDown.Load() < int64(sharedRetry) {
		return l.take(caller)
	}
	ok, wait, err := l.shared.Take(ctx, caller, l.rate, l.burst)
	if err != nil {
		l.sharedDown.Store(l.now().UnixNano())
		return l.take(caller)
	}
	return ok, wait
}

// sharedRetry is how long the limiter keeps to its own buckets after the shared ones failed.
const sharedRetry = time.Second

// give returns a token that take spent, up to the burst: a reservation not used.
func (l *limiter) give(caller string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[caller]; b != nil {
		b.tokens = math.Min(l.burst, b.tokens+1)
	}
}

// sweep drops the buckets that are full again: forgetting them changes nothing.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// rateLimit answers 429 rate_limited with Retry-After (whole seconds, at least 1) when the
// caller's bucket is empty. Anonymous callers are told apart by the connection's address, not
// X-Forwarded-For, which anyone can write.
func (s *Server) rateLimit(l *limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		// Probes, metrics and the console are not rate limited: only the API is.
		if l == nil || !strings.HasPrefix(c.Request.URL.Path, "/v1/") {
			c.Next()
			return
		}
		p := principal(c)
		caller := "key:" + p.KeyID
		if p.Role == RoleAnonymous {
			caller = "ip:" + c.ClientIP()
		}
		ok, wait := l.takeShared(c.Request.Context(), caller)
		if !ok {
			c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			s.fail(c, domain.Errorf(domain.CodeRateLimited, "请求过多：每个密钥每秒最多 %g 次（突发 %g 次）", l.rate, l.burst))
			return
		}
		c.Next()
	}
}
