package main_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWrongKeysAreLimitedAndLogged: guesses at /v1/me from one address get the configured
// burst of 401s, then 429 with Retry-After for every keyed request from it, the admin key too
// (keys are not looked up any more), while another address is unaffected; the log has a
// bounded number of lines, never the tried keys.
func TestWrongKeysAreLimitedAndLogged(t *testing.T) {
	s := startServer(t, "", nil, "TECHMATCH_LIMITS_AUTH_FAILURES_PER_SECOND=0.001", "TECHMATCH_LIMITS_AUTH_FAILURE_BURST=5")
	revoked := keyFor(t, s, "agent", "agent-1")
	var list struct{ Keys []struct{ ID string } }
	s.do("GET", "/v1/keys", nil, adminKey).decode(t, &list)
	if r := s.do("DELETE", "/v1/keys/"+list.Keys[0].ID, nil, adminKey); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	start := time.Now()
	count := map[int]int{}
	for i := range 300 {
		key := fmt.Sprintf("guess-%04d", i)
		if i == 0 {
			key = revoked
		}
		r := s.do("GET", "/v1/me", nil, key)
		count[r.Status]++
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %s", r.Body)
		}
	}
	if count[401] != 5 || count[429] != 295 {
		t.Fatalf("answers %v, want 5 × 401 then 295 × 429", count)
	}
	if r := s.do("GET", "/v1/me", nil, adminKey); r.Status != 429 {
		t.Errorf("admin key from the guessing address: %d %s, want 429 (not looked up)", r.Status, r.Body)
	}
	if r := s.do("GET", "/v1/me", nil, ""); r.Status != 200 {
		t.Errorf("anonymous call from the guessing address: %d, want 200", r.Status)
	}
	// Another loopback address (Linux routes all of 127/8 to lo) has its own bucket.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	req, _ := http.NewRequestWithContext(context.Background(), "GET", s.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("admin key from 127.0.0.2: %d, want 200", resp.StatusCode)
	}

	logs := s.logs.String()
	lines := strings.Count(logs, "authentication failed")
	if max := 1 + int(time.Since(start)/(10*time.Second)); lines == 0 || lines > max {
		t.Errorf("%d log lines about failed authentication for 300 failures, want 1 to %d:\n%s", lines, max, logs)
	}
	if !regexp.MustCompile(`authentication failed.*client=127\.0\.0\.1`).MatchString(logs) {
		t.Errorf("no log line naming the client address:\n%s", logs)
	}
	if strings.Contains(logs, "guess-") || strings.Contains(logs, revoked) {
		t.Errorf("a tried key reached the log:\n%s", logs)
	}
}

// TestWeakAdminKeyIsRefusedAtStart: serve will not start with a bootstrap admin key that is
// short or common, and says how to make one.
func TestWeakAdminKeyIsRefusedAtStart(t *testing.T) {
	for _, key := range []string{"secret", "admin", "changeme", "password1234567890", "aaaaaaaaaaaaaaaaaaaaaaaa"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, binPath, "serve", "--demo")
		cmd.Env = append(os.Environ(), "TECHMATCH_HTTP_ADDR=127.0.0.1:0", "TECHMATCH_DATA_DIR="+t.TempDir(), "TECHMATCH_ADMIN_KEY="+key)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil || strings.Contains(string(out), "listening") {
			t.Fatalf("serve with admin key %q started:\n%s", key, out)
		}
		if !strings.Contains(string(out), "TECHMATCH_ADMIN_KEY") || !strings.Contains(string(out), "too weak") || !strings.Contains(string(out), "openssl rand -hex 16") {
			t.Errorf("admin key %q: message %q; want it to name TECHMATCH_ADMIN_KEY, say too weak and how to make a key", key, out)
		}
	}
}

// TestDemoMakesAnAdminKey: `serve --demo` with no admin key makes a random one, keeps it in
// <data dir>/admin.key (0600), prints it with how to use it, and uses the same one next time.
func TestDemoMakesAnAdminKey(t *testing.T) {
	s := startServer(t, "", []string{"--demo"}, "TECHMATCH_ADMIN_KEY=")
	file := filepath.Join(s.DataDir, "admin.key")
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("no admin key file: %v\n%s", err, s.out)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", file, st.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	key := strings.TrimSpace(string(data))
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(key) {
		t.Fatalf("admin key %q, want 32 hex digits", key)
	}
	if out := s.out.String(); !strings.Contains(out, key) || !strings.Contains(out, "Authorization: Bearer $(cat "+file+")") {
		t.Errorf("stdout does not give the key and how to use it:\n%s", out)
	}
	if r := s.do("POST", "/v1/keys", map[string]string{"role": "agent", "subject": "agent-1"}, key); r.Status != 201 {
		t.Fatalf("POST /v1/keys with the demo key: %d %s", r.Status, r.Body)
	}
	s.restart()
	if r := s.do("GET", "/v1/keys", nil, key); r.Status != 200 {
		t.Errorf("the demo key after a restart: %d %s", r.Status, r.Body)
	}
	if data2, _ := os.ReadFile(file); string(data2) != string(data) {
		t.Errorf("admin key changed on restart: %q → %q", data, data2)
	}
}
