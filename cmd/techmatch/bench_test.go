package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchJSON runs `techmatch bench` on a small generated corpus and checks every figure.
func TestBenchJSON(t *testing.T) {
	keep := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(binPath, "bench", "--docs", "300", "--demands", "30", "--baseline", "--json", "--keep", keep)
	cmd.Env = append(cmd.Environ(), "TECHMATCH_REDIS_URL=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", stdout.String(), err)
	}
	if rep["docs"] != 300.0 {
		t.Errorf("docs = %v, want 300", rep["docs"])
	}
	for _, key := range []string{"index_docs_per_s", "baseline_index_docs_per_s", "rss_mb"} {
		if v, ok := rep[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", key, rep[key])
		}
	}
	for _, key := range []string{"match_ms", "cached_match_ms", "baseline_recall_ms"} {
		l, ok := rep[key].(map[string]any)
		if !ok {
			t.Errorf("%s missing in %s", key, stdout.String())
			continue
		}
		for _, p := range []string{"p50", "p95", "p99"} {
			if _, ok := l[p].(float64); !ok {
				t.Errorf("%s.%s = %v, want a number", key, p, l[p])
			}
		}
	}

	// The kept data dir serves: the demands bench stored are there to match.
	s := startServer(t, keep, nil)
	r := s.do("GET", "/v1/demands/bench-dem-000001/matches", nil, adminKey)
	if r.Status != http.StatusOK {
		t.Fatalf("match on the kept data dir: %d %s", r.Status, r.Body)
	}
}

// TestBenchRejectsExistingKeepDir keeps bench from writing into a data dir it did not make.
func TestBenchRejectsExistingKeepDir(t *testing.T) {
	out, err := exec.Command(binPath, "bench", "--docs", "10", "--keep", t.TempDir()).CombinedOutput()
	if err == nil {
		t.Fatalf("bench --keep on an existing dir succeeded:\n%s", out)
	}
}

// TestBenchRejectsNegativeSettle names the flag that is wrong.
func TestBenchRejectsNegativeSettle(t *testing.T) {
	out, err := exec.Command(binPath, "bench", "--docs", "10", "--settle", "-1s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--settle must not be negative") {
		t.Fatalf("bench --settle -1s: err %v, output:\n%s", err, out)
	}
}

// benchServer is a demo server whose demand dem-001 has its match list cached.
func benchServer(b *testing.B) (*server, *http.Client, *http.Request) {
	s := startServer(b, "", []string{"--demo"})
	req, err := http.NewRequest("GET", s.URL+"/v1/demands/dem-001/matches", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for i := range 2 {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Cache"); i == 1 && got != "hit" {
			b.Fatalf("second GET: X-Cache %q, want hit", got)
		}
	}
	return s, client, req
}

func get(b *testing.B, client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkCachedMatchHTTP is the whole cached path over loopback HTTP: gin, auth, the demand
// read, the key, the in-process cache hit, the answer written.
func BenchmarkCachedMatchHTTP(b *testing.B) {
	_, client, req := benchServer(b)
	for b.Loop() {
		get(b, client, req)
	}
}

// BenchmarkHealthzHTTP is the floor the cached path is compared with: gin and the middleware.
func BenchmarkHealthzHTTP(b *testing.B) {
	s, client, _ := benchServer(b)
	req, err := http.NewRequest("GET", s.URL+"/healthz", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		get(b, client, req)
	}
}
