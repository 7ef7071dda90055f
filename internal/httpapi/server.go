// Package httpapi serves techmatch's HTTP API with gin: routing, middleware, handlers and error mapping.
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/console"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// Store is the part of the store the API uses.
type Store interface {
	Put(ctx context.Context, rec domain.Record) (bool, error)
	PutAs(ctx context.Context, d *domain.Demand, enterprise string) (bool, error)
	PutMany(ctx context.Context, recs []domain.Record) error
	Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error)
	DemandHead(ctx context.Context, id string) (domain.DemandHead, error)
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
	Delete(ctx context.Context, k domain.Kind, id string) error
	List(ctx context.Context, k domain.Kind, offset, limit int) ([]domain.Record, int, error)
	SampleDemandIDs(ctx context.Context, status string, n int) ([]string, error)
	ListDemandsOf(ctx context.Context, enterprise string, offset, limit int) ([]domain.Record, int, error)
	Ping(ctx context.Context) error

	PutProfile(ctx context.Context, p *domain.Profile) error
	Profile(ctx context.Context, name string) (*domain.Profile, error)
	ProfileVersion(ctx context.Context, name string, version int) (*domain.Profile, error)
	ProfileVersions(ctx context.Context, name string) ([]*domain.Profile, error)
	Profiles(ctx context.Context) ([]*domain.Profile, error)
	// Audit adds an entry that goes with no write of its own; writes made with a context from
	// domain.WithActor write their entries themselves, in their own transactions.
	Audit(ctx context.Context, action string, k domain.Kind, id, detail string) error
	AuditLog(ctx context.Context, f domain.AuditFilter, offset, limit int) ([]domain.AuditEntry, int, error)
}

// Index is the part of the search index the API uses.
type Index interface {
	Search(ctx context.Context, r index.SearchRequest) (*index.SearchResult, error)
	Generation(k domain.Kind) uint64
	// TextVersion fingerprints the query analysis's own data (term variants): cache keys
	// include it, so a changed list is never answered from entries made under the old one.
	TextVersion() string
}

// Matcher ranks supply for demands and demands for supply.
type Matcher interface {
	MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error)
	MatchSupply(ctx context.Context, rec domain.SupplyRecord, limit int, p *domain.Profile) (*domain.MatchList, error)
	Preview(ctx context.Context, demands []*domain.Demand, kinds []domain.Kind, current, candidate *domain.Profile) (*match.Preview, error)
}

// Indexer is told about writes so they reach the index quickly.
type Indexer interface {
	Notify()
}

var (
	_ Index   = (*index.Index)(nil)
	_ Matcher = (*match.Service)(nil)
)

// Deps are what the server is built from; main wires them.
type Deps struct {
	Store   Store
	Index   Index
	Matcher Matcher
	Indexer Indexer
	Cache   *cache.Loader
	Config  config.Config
	Log     *slog.Logger
	// Ready reports why the service is not ready (e.g. the index is rebuilding), or nil.
	Ready func(ctx context.Context) error
	// Registry receives the API's metrics; /metrics serves it.
	Registry *prometheus.Registry
	// Keys holds the API keys; nil leaves only the bootstrap admin key.
	Keys KeyStore
	// Worklist serves agents' match lists; without it those routes answer 503.
	Worklist Worklist
	// Buckets, when set, hold the per-caller rate limits for every replica (Redis).
	Buckets SharedBuckets
	// Alerts (the webhook deliverer) is told of writes that may have queued a webhook, such as
	// a demand closed or deleted; nil leaves the deliverer to its own polling.
	Alerts Indexer
	// ProfileHead, when set, is asked on every use of a stored profile for its latest version:
	// a store other processes write to (PostgreSQL, with replicas) sets it, so that a profile
	// published on another replica is used here at once. Unset, profiles this process did not
	// publish are seen within two seconds.
	ProfileHead func(ctx context.Context, name string) (int, error)
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	log      *slog.Logger
	cfg      config.HTTP
	metrics  *metrics
	engine   *gin.Engine
	profiles profileCache
	auth     *authGuard
	records  recordService
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{Deps: d, log: d.Log, cfg: d.Config.HTTP, metrics: newMetrics(d.Registry), records: recordService{store: d.Store, indexer: d.Indexer, alerts: d.Alerts, now: time.Now}}
	s.auth = newAuthGuard(d.Config.Limits, d.Log, d.Registry)
	s.engine = s.routes()
	return s
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	// ClientIP is the connection's address unless it is a trusted proxy's (Validate has checked
	// the list, so SetTrustedProxies cannot fail on it).
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		s.log.Error("http.trusted_proxies refused; trusting none", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	limit := newLimiter(s.Config.Limits)
	if limit != nil {
		limit.shared = s.Buckets
	}
	r.Use(s.requestID, s.recover, s.observe, s.authenticate, s.rateLimit(limit), s.authorize(AccessRules()))
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, domain.Errorf(domain.CodeNotFound, "没有这个接口：%s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, &domain.Error{Code: domain.CodeInvalid, Message: "这个路径不支持 " + c.Request.Method + " 方法"})
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})))
	r.GET("/openapi.json", s.openapi)

	v1 := r.Group("/v1")
	v1.GET("/me", s.me)
	v1.GET("/search", s.search)
	v1.POST("/match", s.matchAdHoc)
	for _, k := range domain.AllKinds {
		g := v1.Group("/" + string(k))
		g.POST("", s.create(k))
		g.GET("", s.list(k))
		g.POST("/import", s.importRecords(k))
		g.GET("/:id", s.get(k))
		g.PUT("/:id", s.replace(k))
		g.DELETE("/:id", s.delete(k))
		if k.IsSupply() {
			g.GET("/:id/demands", s.matchReverse(k))
		}
	}
	v1.GET("/demands/:id/matches", s.matchStored)
	v1.POST("/keys", s.createKey)
	v1.GET("/keys", s.listKeys)
	v1.DELETE("/keys/:id", s.revokeKey)
	v1.GET("/audit", s.auditLog)

	p := v1.Group("/profiles")
	p.GET("", s.listProfiles)
	p.POST("/preview", s.previewProfile)
	p.GET("/:name", s.getProfile)
	p.PUT("/:name", s.putProfile)
	p.GET("/:name/versions", s.profileVersions)
	p.POST("/:name/rollback", s.rollbackProfile)
	// Agents' match lists, workflow, alerts and stats.
	w := v1.Group("", s.needWorklist)
	w.POST("/agents", s.putAgent)
	w.GET("/agents", s.listAgents)
	w.GET("/agents/:id", s.getAgent)
	w.PUT("/agents/:id", s.putAgent)
	w.DELETE("/agents/:id", s.deleteAgent)
	w.GET("/agents/:id/matches", s.agentMatches)
	w.GET("/matches", s.listEntries)
	w.GET("/matches/:id", s.getEntry)
	w.PATCH("/matches/:id", s.patchEntry)
	w.POST("/assignments", s.assignMany)
	w.POST("/demands/:id/assign", s.assignDemand)
	w.GET("/webhooks/deliveries", s.listDeliveries)
	w.POST("/webhooks/deliveries/:id/redeliver", s.redeliver)
	w.POST("/demands/:id/takeups", s.takeUp)
	w.GET("/demands/:id/takeups", s.listTakeups)
	w.GET("/stats", s.stats)

	console.Mount(r)
	return r
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID keeps a sane caller-supplied X-Request-ID or makes one.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set("request_id", id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }

// recover turns a panic into a 500 internal answer, logged once. It also logs the errors a
// handler attached to the request (an answer that could not be encoded), once each.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		for _, e := range c.Errors {
			s.log.ErrorContext(c.Request.Context(), "internal error", "err", e.Err, "request_id", requestID(c), "path", c.FullPath())
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(c.Request.Context(), "panic", "panic", v, "request_id", requestID(c), "path", c.Request.URL.Path)
			if !c.Writer.Written() {
				c.Abort()
				writeJSON(c, http.StatusInternalServerError, errorBody{errorDetail{Code: domain.CodeInternal, Message: "服务器内部错误；请求编号 " + requestID(c)}})
			}
		}
	}()
	c.Next()
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "techmatch_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "techmatch_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// writeJSON encodes without HTML escaping so that <mark> highlights read as they are.
func writeJSON(c *gin.Context, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Logged by recover with the request id; the caller gets the error body every 500 has.
		_ = c.Error(fmt.Errorf("encoding the answer: %w", err))
		buf.Reset()
		_ = enc.Encode(errorBody{errorDetail{Code: domain.CodeInternal, Message: "服务器内部错误；请求编号 " + requestID(c)}})
		status = http.StatusInternalServerError
	}
	c.Data(status, "application/json; charset=utf-8", buf.Bytes())
}

// encodeJSON is writeJSON's encoding, for values that are cached as bytes.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
