package main_test

import (
	"bufio"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSlowlorisIsCut holds a connection open by sending a request's headers a byte a second,
// as slowloris does: the server drops it once its header time (5 s) is spent, and answers
// other clients meanwhile.
func TestSlowlorisIsCut(t *testing.T) {
	s := startServer(t, "", nil)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/search?q=电池 HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if _, err := io.WriteString(conn, "X-Drip: a\r\n"[i%11:i%11+1]); err != nil {
				closed <- err
				return
			}
			time.Sleep(time.Second)
		}
	}()
	readErr := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(conn).ReadString('\n')
		readErr <- err
	}()
	if r := s.do("GET", "/healthz", nil, ""); r.Status != 200 {
		t.Errorf("another client during the drip: %d", r.Status)
	}
	select {
	case <-readErr: // the server answered (408) or closed the connection: either ends it
	case <-closed: // the server reset the connection: the drip's writes fail
	case <-time.After(12 * time.Second):
		t.Fatal("a connection sending its headers a byte a second was still open after 12 s (header time 5 s)")
	}
}

// TestMarkupInRecordsIsEscaped stores records whose text carries HTML and script, as an
// attacker filing a record would, and checks that search highlights carry them escaped, with
// <mark> the only markup, and that the record itself is answered as JSON text, not HTML.
func TestMarkupInRecordsIsEscaped(t *testing.T) {
	s := startServer(t, "", nil)
	s.mustDo("POST", "/v1/achievements", map[string]any{
		"id": "x-1", "title": `<script>alert(1)</script>锂电池隔膜`,
		"summary": `锂电池<img src=x onerror=alert(1)>隔膜"><svg onload=alert(2)>`,
	}, 201)
	var res struct {
		Hits []struct {
			ID         string
			Highlights map[string][]string
		}
	}
	eventually(t, "x-1 searchable", func() bool {
		r := s.do("GET", "/v1/search?q=锂电池隔膜", nil, "")
		r.decode(t, &res)
		return len(res.Hits) > 0
	})
	r := s.do("GET", "/v1/search?q=锂电池隔膜", nil, "")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("search answered %q, want JSON", ct)
	}
	r.decode(t, &res)
	marked := false
	for _, h := range res.Hits {
		for field, frags := range h.Highlights {
			for _, f := range frags {
				rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(f)
				if strings.ContainsAny(rest, "<>") {
					t.Errorf("%s highlight of %s carries markup: %q", field, h.ID, f)
				}
				marked = marked || strings.Contains(f, "<mark>")
			}
		}
	}
	if !marked {
		t.Errorf("no highlight marked the query: %s", r.Body)
	}
	if ct := s.do("GET", "/v1/achievements/x-1", nil, "").Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("a record answered as %q, want JSON", ct)
	}
}
