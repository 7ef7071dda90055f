package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/console"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	console.Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		method, path string
		status       int
		contentType  string
		contains     string
	}{
		{"GET", "/", 200, "text/html", `src="/assets/app.js"`},
		{"HEAD", "/", 200, "text/html", ""},
		{"GET", "/assets/app.js", 200, "javascript", "hashchange"},
		{"GET", "/assets/app.css", 200, "text/css", "@media"},
		{"GET", "/assets/meta.json", 200, "application/json", `"fields"`},
		{"GET", "/assets/missing.js", 404, "", ""},
		{"GET", "/assets/", 404, "", ""},
		{"GET", "/assets/../console.go", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := get(t, tt.method, srv.URL+tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.contentType)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			if tt.status == 200 {
				csp := resp.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("Content-Security-Policy %q: want self only, no inline code", csp)
				}
			}
		})
	}
}

func TestMeta(t *testing.T) {
	m, err := console.LoadMeta()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, r := range m.Regions {
		names[r.Code] = r.Name
	}
	for code, want := range map[string]string{"320100": "南京市", "350200": "厦门市", "640100": "银川市", "230100": "哈尔滨市", "320000": "江苏省"} {
		if names[code] != want {
			t.Errorf("region %s = %q, want %q", code, names[code], want)
		}
	}
	found := false
	for _, f := range m.Fields {
		found = found || f == "新材料/电池材料"
	}
	if !found {
		t.Errorf("fields %v lack 新材料/电池材料", m.Fields)
	}

	// The console reads the JSON names, so check them as served.
	srv := newServer(t)
	_, body := get(t, "GET", srv.URL+"/assets/meta.json")
	var served struct {
		Regions []map[string]string `json:"regions"`
	}
	if err := json.Unmarshal([]byte(body), &served); err != nil {
		t.Fatal(err)
	}
	if len(served.Regions) == 0 || served.Regions[0]["code"] == "" || served.Regions[0]["name"] == "" {
		t.Errorf("served regions lack code and name: %.200s", body)
	}
}

var (
	importPattern = regexp.MustCompile(`(?m)^import .* from '\./([a-z]+\.js)';$`)
	markupPattern = regexp.MustCompile(`\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write`)
	urlPattern    = regexp.MustCompile(`https?://[^\s'"` + "`" + `)]+`)
)

// TestAssetsSelfContained follows every module import from app.js, so a missing or misnamed
// module fails here and not only in a browser, and checks that no asset loads anything from
// elsewhere: the console must work offline.
func TestAssetsSelfContained(t *testing.T) {
	srv := newServer(t)
	seen := map[string]bool{}
	queue := []string{"app.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		resp, body := get(t, "GET", srv.URL+"/assets/"+name)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("module %s: status %d", name, resp.StatusCode)
			continue
		}
		for _, m := range importPattern.FindAllStringSubmatch(body, -1) {
			queue = append(queue, m[1])
		}
		checkURLs(t, name, body)
		if m := markupPattern.FindString(body); m != "" {
			t.Errorf("%s uses %s; text must go in as text nodes", name, m)
		}
	}
	for _, want := range []string{"api.js", "labels.js", "search.js", "match.js", "tuning.js", "agents.js", "dashboard.js", "charts.js", "audit.js", "admin.js", "demands.js", "challenge.js", "deliveries.js"} {
		if !seen[want] {
			t.Errorf("module %s is not reached from app.js", want)
		}
	}
	for _, name := range []string{"/", "/assets/app.css"} {
		_, body := get(t, "GET", srv.URL+name)
		checkURLs(t, name, body)
	}
}

func checkURLs(t *testing.T, name, body string) {
	t.Helper()
	for _, u := range urlPattern.FindAllString(body, -1) {
		if u != "http://www.w3.org/2000/svg" { // an XML namespace name, never fetched
			t.Errorf("%s refers to %s; the console must not load anything from elsewhere", name, u)
		}
	}
}
