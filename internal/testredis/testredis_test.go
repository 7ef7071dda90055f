package testredis_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testredis"
)

func answers(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := conn.Read(buf)
	return string(buf[:n]) == "+PONG\r\n"
}

func TestStopRestartKeepsTheAddress(t *testing.T) {
	s := testredis.Start(t)
	url := s.URL()
	if !strings.HasPrefix(url, "redis://127.0.0.1:") || !strings.HasSuffix(url, "/0") {
		t.Fatalf("URL = %q", url)
	}
	if !answers(s.Addr()) {
		t.Fatal("started server does not answer PING")
	}
	s.Stop()
	if answers(s.Addr()) {
		t.Fatal("stopped server still answers")
	}
	s.Stop() // stopping twice is harmless
	s.Restart()
	if s.URL() != url {
		t.Fatalf("URL after Restart = %q, want %q", s.URL(), url)
	}
	if !answers(s.Addr()) {
		t.Fatal("restarted server does not answer PING")
	}
}
