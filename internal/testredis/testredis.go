// Package testredis runs a private, throw-away redis-server for tests that need a real Redis.
package testredis

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a started redis-server may take to answer PING.
const startTimeout = 15 * time.Second

// Server is one redis-server process on a loopback port, owned by one test.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu     sync.Mutex
	proc   *os.Process // nil while stopped
	exited chan error  // receives the process's exit once
	runs   int
}

// Start starts a private redis-server on a free loopback port in t.TempDir() and stops it at
// t.Cleanup. Without redis-server on PATH the test is skipped, or fails when
// TECHMATCH_REQUIRE_REDIS=1 (CI sets it so that Redis tests cannot silently vanish).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("TECHMATCH_REQUIRE_REDIS") == "1" {
			t.Fatalf("testredis: redis-server not found and TECHMATCH_REQUIRE_REDIS=1: %v", err)
		}
		t.Skipf("testredis: redis-server not on PATH: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	// A free port found by listening on :0 can be taken by someone else before redis-server binds
	// it, so a failed start is retried on a new port.
	var lastErr error
	for range 3 {
		if s.port, lastErr = freePort(); lastErr != nil {
			continue
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("testredis: start: %v", lastErr)
	return nil
}

// URL is the address to give go-redis: redis://127.0.0.1:PORT/0.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop kills the server, for outage tests; its data is gone. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.Kill()
	<-s.exited // reaped; the exit error is the kill signal
	s.proc, s.exited = nil, nil
}

// Restart starts the server again on the same port, empty, and waits until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	// The port was ours a moment ago; it can only be taken by another process in this window,
	// so a failure here is worth a few tries rather than a new port.
	var err error
	for range 5 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("testredis: restart on port %d: %v", s.port, err)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs++
	logPath := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("redis-server on port %d exited: %v\n%s", s.port, err, out)
		default:
		}
		if pid, err := serverPID(s.Addr()); err == nil && pid == cmd.Process.Pid {
			s.proc, s.exited = cmd.Process, exited
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("redis-server on port %d did not answer within %s", s.port, startTimeout)
}

// serverPID asks the server on addr for its process id. Comparing it with the process just
// started tells our server apart from another one that took the port first.
func serverPID(addr string) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return 0, err
	}
	if _, err := conn.Write([]byte("INFO server\r\n")); err != nil {
		return 0, err
	}
	r := bufio.NewReader(conn)
	header, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(header, "$") {
		return 0, fmt.Errorf("INFO answered %q", header) // e.g. -LOADING while starting
	}
	n, err := strconv.Atoi(strings.TrimSpace(header[1:]))
	if err != nil {
		return 0, fmt.Errorf("INFO answered %q", header)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("INFO server has no process_id")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
