package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/httpapi"
)

// engine builds the real router. Deps stay empty: the tests here only reach middleware and
// handlers that use none.
func engine(t *testing.T, cfg config.Config, log *slog.Logger) *gin.Engine {
	t.Helper()
	e, ok := httpapi.New(httpapi.Deps{Config: cfg, Log: log}).Handler().(*gin.Engine)
	if !ok {
		t.Fatal("Handler is not a *gin.Engine")
	}
	return e
}

// TestEveryRouteHasAnAccessRule fails when a route is added without deciding who may call it,
// or without documenting it in the OpenAPI document (the console's pages aside).
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	rules := httpapi.AccessRules()
	paths, _ := httpapi.OpenAPIDocument()["paths"].(map[string]any)
	for _, r := range engine(t, config.Default(), nil).Routes() {
		key := r.Method + " " + r.Path
		if _, ok := rules[key]; !ok {
			t.Errorf("route %s has no access rule in httpapi.AccessRules", key)
		}
		if r.Path == "/" || strings.HasPrefix(r.Path, "/assets/") {
			continue
		}
		item, _ := paths[httpapi.OpenAPIPath(r.Path)].(map[string]any)
		op, _ := item[strings.ToLower(r.Method)].(map[string]any)
		if op == nil {
			t.Errorf("route %s is not in the OpenAPI document", key)
			continue
		}
		if op["x-roles"] == nil {
			t.Errorf("route %s: OpenAPI operation has no x-roles", key)
		}
	}
}

func TestRateLimitPerCaller(t *testing.T) {
	cfg := config.Default()
	cfg.Auth.AdminKey = testAdminKey
	// A refill of one token per 1000 s: no token comes back while the test runs.
	cfg.Limits = config.Limits{RatePerSecond: 0.001, Burst: 3}
	e := engine(t, cfg, nil)
	call := func(remote, key, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", "198.51.100.7") // must not create a new bucket
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name, remote, key, path string
		want                    int
	}{
		{"first", "192.0.2.1:1000", "", "/v1/me", 200},
		{"second, other port", "192.0.2.1:1001", "", "/v1/me", 200},
		{"third", "192.0.2.1:1002", "", "/v1/me", 200},
		{"fourth is over the burst", "192.0.2.1:1003", "", "/v1/me", 429},
		{"probes are not limited", "192.0.2.1:1004", "", "/healthz", 200},
		{"another address has its own bucket", "192.0.2.2:1000", "", "/v1/me", 200},
		{"a key has its own bucket", "192.0.2.1:1005", testAdminKey, "/v1/me", 200},
	}
	for _, tt := range tests {
		w := call(tt.remote, tt.key, tt.path)
		if w.Code != tt.want {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, w.Code, tt.want, w.Body)
		}
		if w.Code == 429 {
			if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("%s: Retry-After = %q, want whole seconds ≥ 1", tt.name, ra)
			}
			var body struct{ Error struct{ Code string } }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limited" {
				t.Errorf("%s: body %s, want code rate_limited", tt.name, w.Body)
			}
		}
	}
}

// Behind a trusted proxy (http.trusted_proxies) each client the proxy names in
// X-Forwarded-For has its own bucket; the same header from any other address counts for
// nothing, and a client cannot pass itself off as another by adding to what the proxy appends.
func TestRateLimitBehindATrustedProxy(t *testing.T) {
	cfg := config.Default()
	cfg.Auth.AdminKey = testAdminKey
	cfg.Limits = config.Limits{RatePerSecond: 0.001, Burst: 1}
	cfg.HTTP.TrustedProxies = []string{"10.0.0.0/24"}
	e := engine(t, cfg, nil)
	call := func(remote, forwarded string) int {
		req := httptest.NewRequest("GET", "/v1/me", nil)
		req.RemoteAddr = remote
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Code
	}
	for _, tt := range []struct {
		name, remote, forwarded string
		want                    int
	}{
		{"client 1 through the proxy", "10.0.0.5:1000", "198.51.100.1", 200},
		{"client 2 through the proxy: its own bucket", "10.0.0.6:1000", "198.51.100.2", 200},
		{"client 1 again: over its burst", "10.0.0.5:1001", "198.51.100.1", 429},
		{"client 1 naming another in front of what the proxy appended", "10.0.0.5:1002", "203.0.113.9, 198.51.100.1", 429},
		{"an untrusted address's header is ignored", "192.0.2.1:1000", "198.51.100.3", 200},
		{"and so it cannot get a new bucket", "192.0.2.1:1001", "198.51.100.4", 429},
	} {
		if got := call(tt.remote, tt.forwarded); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestPanicIsOneLoggedInternalError: a handler that panics answers 500 internal with the
// request id, and the panic is logged exactly once.
func TestPanicIsOneLoggedInternalError(t *testing.T) {
	var logs bytes.Buffer
	cfg := config.Default()
	cfg.Auth.AdminKey = testAdminKey
	e := engine(t, cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	e.GET("/v1/test-panic", func(*gin.Context) { panic("handler bug") })

	req := httptest.NewRequest("GET", "/v1/test-panic", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	req.Header.Set("X-Request-ID", "panic-req-1")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)

	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if w.Code != http.StatusInternalServerError || body.Error.Code != "internal" || !strings.Contains(body.Error.Message, "panic-req-1") {
		t.Fatalf("answer %d %s, want 500 internal naming the request id", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "handler bug") {
		t.Errorf("the panic value leaked to the caller: %s", w.Body)
	}
	if n := strings.Count(logs.String(), "handler bug"); n != 1 {
		t.Errorf("panic logged %d times, want once:\n%s", n, logs.String())
	}
}
