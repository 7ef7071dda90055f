package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testpg"
)

const adminKey = "tk-7f3a9c2e51d84b06"

var binPath string

// TestMain builds the real binary once; every end-to-end test runs it as a separate process.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "techmatch-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "techmatch")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building techmatch:", err)
		os.Exit(1)
	}
	code := testpg.Run(m) // stops the PostgreSQL cluster the tests that need one started
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running techmatch process on a free port.
type server struct {
	t       testing.TB
	cmd     *exec.Cmd
	URL     string
	DataDir string
	env     []string
	args    []string
	logs    *syncBuffer // stderr
	out     *syncBuffer // stdout
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServer runs `techmatch serve` with a data dir (t.TempDir() when empty) and waits until ready.
func startServer(t testing.TB, dataDir string, args []string, env ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	s := &server{t: t, DataDir: dataDir, env: env, args: args}
	s.start()
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *server) start() {
	t := s.t
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"serve"}, s.args...)...)
	cmd.Env = append(os.Environ(),
		"TECHMATCH_HTTP_ADDR=127.0.0.1:0",
		"TECHMATCH_DATA_DIR="+s.DataDir,
		"TECHMATCH_ADMIN_KEY="+adminKey,
		"TECHMATCH_REDIS_URL=",
		"TECHMATCH_LIMITS_RATE_PER_SECOND=0", // tests call fast; the rate-limit test sets its own
	)
	cmd.Env = append(cmd.Env, s.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.logs, s.out = &syncBuffer{}, &syncBuffer{}
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(s.out, sc.Text())
			if u, ok := strings.CutPrefix(sc.Text(), "techmatch listening on "); ok {
				urlc <- u
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.URL = <-urlc:
	case err := <-s.done:
		t.Fatalf("server exited before listening: %v\n%s", err, s.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not listen within 60 s\n%s", s.logs)
	}
	s.waitReady()
}

func (s *server) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("server not ready within 120 s\n%s", s.logs)
}

// stop sends SIGTERM and waits: the graceful path.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("server did not stop within 60 s of SIGTERM\n%s", s.logs)
	}
	s.cmd = nil
}

// kill is kill -9: no shutdown path runs.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

func (s *server) restart() {
	s.stop()
	s.start()
}

// response is an HTTP answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// errorField returns the error body's code and field.
func (r response) errorField(t testing.TB) (code, field string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	r.decode(t, &e)
	if e.Error.Message == "" {
		t.Errorf("error without message: %s", r.Body)
	}
	return e.Error.Code, e.Error.Field
}

func (s *server) do(method, path string, body any, key string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Request-ID") == "" {
		s.t.Errorf("%s %s: no X-Request-ID", method, path)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// streamedAnswer is the server's answer to a streamed import.
type streamedAnswer struct {
	status int
	body   string
	err    error
}

// streamImport starts an import of achievements whose body is what the caller writes to pw,
// as a slow client sends it; the answer arrives on ans once pw is closed or the server ends it.
func (s *server) streamImport() (pw *io.PipeWriter, ans <-chan streamedAnswer) {
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", s.URL+"/v1/achievements/import", pr)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	out := make(chan streamedAnswer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- streamedAnswer{err: err}
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- streamedAnswer{status: resp.StatusCode, body: string(data)}
	}()
	return pw, out
}

// eventually retries f until it succeeds or the deadline passes: writes reach the index
// asynchronously, within a second.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10 s", what)
}

// runCLI runs the binary with args and the server's environment.
func runCLI(t testing.TB, dataDir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+dataDir, "TECHMATCH_ADMIN_KEY="+adminKey)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
