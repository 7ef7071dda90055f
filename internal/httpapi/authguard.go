package httpapi

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
)

// authLogInterval is the least time between two log lines about one address's failed
// authentications; a line counts the failures left unlogged since the one before.
const authLogInterval = 10 * time.Second

// Reasons an authentication fails, as logged and counted.
const (
	authMalformed = "malformed_header"
	authUnknown   = "unknown_key"
	authLimited   = "too_many_failures"
)

// authGuard limits failed authentications per client address and logs them at a bounded
// rate. Each keyed request reserves a token of its address's bucket before the key is looked
// up and gives it back when the key is good, so only failures spend tokens, concurrent
// guesses cannot overdraw the bucket, and once it is empty every keyed request from the
// address is refused unseen, good key or not, until it refills: a guesser learns nothing.
type authGuard struct {
	limit    *limiter // nil: failures are logged, not limited
	log      *slog.Logger
	failures *prometheus.CounterVec
	now      func() time.Time

	mu      sync.Mutex
	pending map[string]*unlogged
}

// unlogged is what an address did since its last log line.
type unlogged struct {
	at    time.Time // the last line
	count int       // failures and refusals since it
}

func newAuthGuard(l config.Limits, log *slog.Logger, reg prometheus.Registerer) *authGuard {
	g := &authGuard{
		log: log,
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "techmatch_auth_failures_total",
			Help: "Failed authentications by reason: malformed_header, unknown_key, too_many_failures (refused before the lookup).",
		}, []string{"reason"}),
		now:     time.Now,
		pending: map[string]*unlogged{},
	}
	reg.MustRegister(g.failures)
	if l.AuthFailuresPerSecond > 0 {
		g.limit = newLimiter(config.Limits{RatePerSecond: l.AuthFailuresPerSecond, Burst: l.AuthFailureBurst})
	}
	return g
}

// clientAddr is the connection's address, or the client's a trusted proxy names
// (http.trusted_proxies; never X-Forwarded-For from anyone else, since anyone can write it);
// an IPv6 address counts by its /64, the block one host is usually given.
func clientAddr(c *gin.Context) string {
	a, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return c.ClientIP()
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// reserve takes a token of addr's bucket for one authentication; false, with how long until
// there is one, when failures have used them all.
func (g *authGuard) reserve(addr string) (bool, time.Duration) {
	if g.limit == nil {
		return true, 0
	}
	return g.limit.take(addr)
}

// release gives the token back: the key was good, or the lookup failed on our side.
func (g *authGuard) release(addr string) {
	if g.limit != nil {
		g.limit.give(addr)
	}
}

// refuse answers 429 to a keyed request from an address out of tokens, without looking at the key.
func (g *authGuard) refuse(s *Server, c *gin.Context, addr string, wait time.Duration) {
	g.note(c, addr, authLimited)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Header("Retry-After", strconv.Itoa(secs))
	s.fail(c, domain.Errorf(domain.CodeRateLimited,
		"来自该地址的认证失败过多（每秒最多 %g 次，突发 %g 次）；%d 秒内不再校验密钥",
		g.limit.rate, g.limit.burst, secs))
}

// note counts a failure and logs it, unless the address had a line in the last authLogInterval:
// then the next line says how many were left out.
func (g *authGuard) note(c *gin.Context, addr, reason string) {
	g.failures.WithLabelValues(reason).Inc()
	now := g.now()
	g.mu.Lock()
	u := g.pending[addr]
	if u == nil {
		if len(g.pending) >= maxBuckets {
			g.sweep(now)
		}
		u = &unlogged{}
		g.pending[addr] = u
	}
	if !u.at.IsZero() && now.Sub(u.at) < authLogInterval {
		u.count++
		g.mu.Unlock()
		return
	}
	suppressed := u.count
	u.at, u.count = now, 0
	g.mu.Unlock()
	g.log.WarnContext(context.WithoutCancel(c.Request.Context()), "authentication failed",
		"client", addr, "reason", reason, "method", c.Request.Method, "path", c.Request.URL.Path,
		"suppressed", suppressed, "request_id", requestID(c))
}

// sweep forgets addresses with no line in the last interval: their next failure is logged anyway.
func (g *authGuard) sweep(now time.Time) {
	for k, u := range g.pending {
		if now.Sub(u.at) >= authLogInterval {
			delete(g.pending, k)
		}
	}
}
