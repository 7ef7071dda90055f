package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/httpapi"
)

const testAdminKey = "tk-5d0c8e2f9a7b1346"

// authEngine is the real router with failed authentications limited to burst per address and
// (practically) no refill while the test runs, its logs in logs and its metrics in reg.
func authEngine(t *testing.T, burst int, logs *syncLog, reg *prometheus.Registry) *gin.Engine {
	t.Helper()
	cfg := config.Default()
	cfg.Auth.AdminKey = testAdminKey
	cfg.Limits = config.Limits{AuthFailuresPerSecond: 0.001, AuthFailureBurst: burst} // general limiter off
	e, _ := httpapi.New(httpapi.Deps{Config: cfg, Log: slog.New(slog.NewJSONHandler(logs, nil)), Registry: reg}).Handler().(*gin.Engine)
	return e
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }

// lines are the log records with msg "authentication failed" for client.
func (l *syncLog) lines(t *testing.T, client string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "authentication failed" && m["client"] == client {
			out = append(out, m)
		}
	}
	return out
}

func call(e *gin.Engine, remote, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/v1/me", nil)
	req.RemoteAddr = remote
	req.Header.Set("X-Forwarded-For", "198.51.100.7") // never the address counted
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// TestFailedAuthenticationIsLimitedPerAddress: wrong and malformed keys spend a bucket per
// client address; once it is empty every keyed request from there, the admin key included, is
// 429 with Retry-After before any lookup, while anonymous calls and other addresses go on.
func TestFailedAuthenticationIsLimitedPerAddress(t *testing.T) {
	logs := &syncLog{}
	e := authEngine(t, 3, logs, prometheus.NewRegistry())
	start := time.Now()
	tests := []struct {
		name, remote, auth string
		want               int
	}{
		{"good key spends nothing", "192.0.2.1:1000", "Bearer " + testAdminKey, 200},
		{"good key again", "192.0.2.1:1000", "Bearer " + testAdminKey, 200},
		{"wrong key 1", "192.0.2.1:1001", "Bearer guess-1", 401},
		{"malformed header", "192.0.2.1:1002", "Basic Z3Vlc3M6Z3Vlc3M=", 401},
		{"wrong key 3", "192.0.2.1:1003", "Bearer guess-3", 401},
		{"wrong key 4: over the burst", "192.0.2.1:1004", "Bearer guess-4", 429},
		{"the right key is not even checked", "192.0.2.1:1005", "Bearer " + testAdminKey, 429},
		{"anonymous calls from there go on", "192.0.2.1:1006", "", 200},
		{"another address has its own bucket", "192.0.2.2:1000", "Bearer guess-5", 401},
		{"and its good key works", "192.0.2.2:1001", "Bearer " + testAdminKey, 200},
		{"IPv6: 2001:db8::1", "[2001:db8::1]:1000", "Bearer guess-6", 401},
		{"IPv6: 2001:db8::2", "[2001:db8::2]:1000", "Bearer guess-7", 401},
		{"IPv6: 2001:db8::3", "[2001:db8::3]:1000", "Bearer guess-8", 401},
		{"IPv6: the same /64 shares the bucket", "[2001:db8::4]:1000", "Bearer guess-9", 429},
		{"IPv6: another /64", "[2001:db8:0:1::1]:1000", "Bearer guess-10", 401},
	}
	for _, tt := range tests {
		w := call(e, tt.remote, tt.auth)
		if w.Code != tt.want {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, w.Code, tt.want, w.Body)
		}
		if w.Code == 429 {
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("%s: Retry-After = %q, want whole seconds ≥ 1", tt.name, ra)
			}
			if body.Error.Code != "rate_limited" || !strings.Contains(body.Error.Message, "认证失败过多") {
				t.Errorf("%s: body %s, want rate_limited naming failed authentications", tt.name, w.Body)
			}
		}
	}
	// Seven failures and refusals from 192.0.2.1 within moments: one line, then silence for
	// the log interval (10 s), unless the test itself took that long.
	lines := logs.lines(t, "192.0.2.1")
	if max := 1 + int(time.Since(start)/(10*time.Second)); len(lines) == 0 || len(lines) > max {
		t.Fatalf("%d log lines for 192.0.2.1, want 1 to %d:\n%s", len(lines), max, logs.b.String())
	}
	if lines[0]["reason"] != "unknown_key" || lines[0]["path"] != "/v1/me" {
		t.Errorf("first line %v: want reason unknown_key, path /v1/me", lines[0])
	}
	if strings.Contains(logs.b.String(), "guess-") {
		t.Errorf("a tried key reached the log:\n%s", logs.b.String())
	}
	if got := logs.lines(t, "2001:db8::/64"); len(got) == 0 {
		t.Errorf("IPv6 failures not logged by their /64:\n%s", logs.b.String())
	}
}

// TestConcurrentGuessesCannotOverdraw: a burst of concurrent wrong keys from one address gets
// exactly burst 401s, the rest 429, and each is counted in techmatch_auth_failures_total.
func TestConcurrentGuessesCannotOverdraw(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := authEngine(t, 5, &syncLog{}, reg)
	const n = 60
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes <- call(e, "203.0.113.9:40000", "Bearer guess-"+strings.Repeat("x", i)).Code })
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[401] != 5 || count[429] != n-5 {
		t.Fatalf("answers %v, want 5 × 401 and %d × 429", count, n-5)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "techmatch_auth_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if got["unknown_key"] != 5 || got["too_many_failures"] != n-5 {
		t.Errorf("techmatch_auth_failures_total = %v, want unknown_key 5, too_many_failures %d", got, n-5)
	}
}
