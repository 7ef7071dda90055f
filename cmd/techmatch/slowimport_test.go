package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// slowImport posts lines [0, n) of NDJSON to the import route through a pipe, chunk lines at
// a time with pause between chunks, then stall before closing the body; it returns the
// status and body of the answer, which may come before the body ends.
func slowImport(t *testing.T, s *server, n, chunk int, pause, stall time.Duration) (int, string) {
	t.Helper()
	pw, ans := s.streamImport()
	go func() {
		for i := 0; i < n; i += chunk {
			var b strings.Builder
			for j := i; j < min(i+chunk, n); j++ {
				fmt.Fprintf(&b, `{"id":"slow-%d","title":"慢速导入 %d 锂电池"}`+"\n", j, j)
			}
			if _, err := io.WriteString(pw, b.String()); err != nil {
				return // the server answered and closed the body
			}
			time.Sleep(pause)
		}
		time.Sleep(stall)
		pw.Close()
	}()
	a := <-ans
	pw.CloseWithError(io.ErrClosedPipe)
	if a.err != nil {
		t.Fatalf("import: %v", a.err)
	}
	return a.status, a.body
}

// TestSlowImportIsNotCutByTheReadTimeout: an import whose body keeps arriving completes even
// when it takes several times the server's read timeout; one that stalls is cut after the idle
// timeout with an answer naming the line, what was stored and why, and no connection addresses.
func TestSlowImportIsNotCutByTheReadTimeout(t *testing.T) {
	s := startServer(t, "", nil, "TECHMATCH_HTTP_READ_TIMEOUT=1s", "TECHMATCH_HTTP_IMPORT_IDLE_TIMEOUT=1s", "TECHMATCH_HTTP_IMPORT_TIMEOUT=2m")

	// 600 lines, 20 every 150 ms: about 4.5 s, far past the 1 s read timeout.
	status, body := slowImport(t, s, 600, 20, 150*time.Millisecond, 0)
	var rep struct {
		Accepted int
		Rejected []struct {
			Line  int
			Error string
		}
		Cut *struct {
			Line   int
			Reason string
		}
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || status != 200 || rep.Accepted != 600 || len(rep.Rejected) != 0 || rep.Cut != nil {
		t.Fatalf("slow import: %d %s; want 200 with all 600 accepted", status, body)
	}

	// 100 lines, then nothing for 5 s (past the 1 s idle timeout).
	status, body = slowImport(t, s, 100, 100, 5*time.Second, 0)
	rep.Rejected, rep.Cut = nil, nil
	if err := json.Unmarshal([]byte(body), &rep); err != nil || status != 200 || rep.Cut == nil {
		t.Fatalf("stalled import: %d %s; want 200 with a cut", status, body)
	}
	if rep.Cut.Line != 101 || rep.Accepted != 100 || !strings.Contains(rep.Cut.Reason, "http.import_idle_timeout") {
		t.Errorf("stalled import: %s; want cut at line 101, 100 stored, naming http.import_idle_timeout", body)
	}
	if len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Error, "导入在这一行中断") || !strings.Contains(rep.Rejected[0].Error, "保存 100 条") {
		t.Errorf("stalled import: rejected %+v; want one entry saying it was cut and what was stored", rep.Rejected)
	}
	for _, leak := range []string{"127.0.0.1", "tcp", "i/o timeout"} {
		if strings.Contains(body, leak) {
			t.Errorf("answer shows %q: %s", leak, body)
		}
	}
	var list struct{ Total int }
	s.do("GET", "/v1/achievements?size=1", nil, adminKey).decode(t, &list)
	if list.Total != 600 {
		// slow-0 … slow-99 of the stalled import replace the first import's: still 600 ids.
		t.Errorf("stored achievements %d, want 600", list.Total)
	}
}
