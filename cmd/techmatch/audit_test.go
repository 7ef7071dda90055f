package main_test

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// auditEntry is an entry of GET /v1/audit.
type auditEntry struct {
	Seq       int64  `json:"seq"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// auditLog reads every entry that query selects, newest first, page by page.
func auditLog(t *testing.T, s *server, query string) []auditEntry {
	t.Helper()
	var all []auditEntry
	for page := 1; ; page++ {
		r := s.do("GET", fmt.Sprintf("/v1/audit?size=100&page=%d&%s", page, query), nil, adminKey)
		if r.Status != 200 {
			t.Fatalf("GET /v1/audit?%s: %d %s", query, r.Status, r.Body)
		}
		var ans struct {
			Total int          `json:"total"`
			Items []auditEntry `json:"items"`
		}
		r.decode(t, &ans)
		all = append(all, ans.Items...)
		if len(ans.Items) == 0 || len(all) >= ans.Total {
			return all
		}
	}
}

// storedIDs lists the ids of every record of kind, page by page.
func storedIDs(t *testing.T, s *server, kind string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for page := 1; ; page++ {
		r := s.do("GET", fmt.Sprintf("/v1/%s?size=100&page=%d", kind, page), nil, adminKey)
		if r.Status != 200 {
			t.Fatalf("GET /v1/%s: %d %s", kind, r.Status, r.Body)
		}
		var ans struct {
			Total int `json:"total"`
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		r.decode(t, &ans)
		for _, it := range ans.Items {
			ids[it.ID] = true
		}
		if len(ans.Items) == 0 || len(ids) >= ans.Total {
			return ids
		}
	}
}

// sendAndReset writes a whole HTTP request on a new connection and resets the connection
// (RST, not FIN) after wait, without reading the answer: a client that gives up at once.
func sendAndReset(t *testing.T, s *server, method, path string, body []byte, wait time.Duration) {
	t.Helper()
	u, _ := url.Parse(s.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		method, path, u.Host, adminKey, len(body))
	req.Write(body)
	_, _ = conn.Write(req.Bytes()) // a large body may meet the server's reset half-way
	time.Sleep(wait)
	_ = conn.(*net.TCPConn).SetLinger(0)
	_ = conn.Close()
}

// settled waits until f's answer stays the same for a second: the server has finished what
// the reset connections left it.
func settled(t *testing.T, what string, f func() string) {
	t.Helper()
	last, since := f(), time.Now()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		if now := f(); now != last {
			last, since = now, time.Now()
		} else if time.Since(since) >= time.Second {
			return
		}
	}
	t.Fatalf("%s did not settle within 60 s", what)
}

// TestEveryStoredWriteHasItsAuditEntry: clients that reset their connection right after
// sending, at different moments, leave no record without its audit entry and no entry without
// its record: single creates, and imports cut anywhere in their body.
func TestEveryStoredWriteHasItsAuditEntry(t *testing.T) {
	s := startServer(t, "", nil)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := fmt.Sprintf(`{"id":"reset-%d","title":"断连写入的需求 %d 锂电池回收","enterprise":"甲公司"}`, i, i)
			sendAndReset(t, s, "POST", "/v1/demands", []byte(body), time.Duration(i%8)*time.Millisecond)
		})
	}
	for i := range 4 {
		wg.Go(func() {
			var b strings.Builder
			for j := range 2000 {
				fmt.Fprintf(&b, `{"id":"imp-%d-%d","title":"断连导入的成果 %d 固态电池电解质","summary":"%s"}`+"\n", i, j, j, strings.Repeat("硫化物电解质界面稳定性提升。", 8))
			}
			sendAndReset(t, s, "POST", "/v1/achievements/import", []byte(b.String()), time.Duration(i*40)*time.Millisecond)
		})
	}
	wg.Wait()
	// One write that completes, so that the comparison below never holds on empty sets alone.
	if r := s.do("POST", "/v1/demands", map[string]any{"id": "kept", "title": "正常写入的需求", "enterprise": "甲公司"}, adminKey); r.Status != 201 {
		t.Fatalf("POST /v1/demands: %d %s", r.Status, r.Body)
	}
	settled(t, "the audit log", func() string {
		return fmt.Sprint(len(auditLog(t, s, "")), len(storedIDs(t, s, "achievements")))
	})

	for _, kind := range []string{"demands", "achievements"} {
		stored := storedIDs(t, s, kind)
		audited := map[string]bool{}
		for _, e := range auditLog(t, s, "kind="+kind) {
			if e.ID == "" { // an import's summary
				continue
			}
			if e.Action != "create" || e.Actor != "admin" {
				t.Errorf("%s entry %+v: want admin's create", kind, e)
			}
			audited[e.ID] = true
		}
		for id := range stored {
			if !audited[id] {
				t.Errorf("%s %s is stored without an audit entry", kind, id)
			}
		}
		for id := range audited {
			if !stored[id] {
				t.Errorf("%s %s has an audit entry but is not stored", kind, id)
			}
		}
		t.Logf("%s: %d stored, each with its audit entry", kind, len(stored))
	}
}

// TestAuditLogAPI: staff read a record's history with who did what and the request of each
// change; the filters narrow by subject, kind and id, and dates; bad filters are 400s naming
// the parameter.
func TestAuditLogAPI(t *testing.T) {
	s := startServer(t, "", nil)
	ent := keyFor(t, s, "enterprise", "甲公司")
	r := s.do("POST", "/v1/demands", map[string]any{"title": "锂电池回收技术需求"}, ent)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var d struct{ ID string }
	r.decode(t, &d)
	created := r.Header.Get("X-Request-ID")
	if r := s.do("PUT", "/v1/demands/"+d.ID, map[string]any{"title": "锂电池回收技术需求（修订）"}, ent); r.Status != 200 {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	r = s.do("DELETE", "/v1/demands/"+d.ID, nil, adminKey)
	if r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	deleted := r.Header.Get("X-Request-ID")

	history := auditLog(t, s, "kind=demands&id="+d.ID)
	var got []string
	for _, e := range history {
		got = append(got, e.Actor+" "+e.Action)
	}
	if want := "[admin delete enterprise:甲公司 replace enterprise:甲公司 create]"; fmt.Sprint(got) != want {
		t.Fatalf("history of %s = %v, want %s", d.ID, got, want)
	}
	if history[0].RequestID != deleted || history[2].RequestID != created {
		t.Errorf("request ids = %q, %q; want the answers' X-Request-ID %q, %q", history[0].RequestID, history[2].RequestID, deleted, created)
	}

	// The key made for the enterprise is in the log too, under staff.
	if es := auditLog(t, s, "subject=admin&kind=keys"); len(es) != 1 || es[0].Action != "create_key" || es[0].Detail != "enterprise:甲公司" {
		t.Errorf("admin's key entries = %+v", es)
	}
	if es := auditLog(t, s, "subject=甲公司"); len(es) != 2 {
		t.Errorf("甲公司's entries = %+v, want its create and replace", es)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if es := auditLog(t, s, "from="+today+"&to="+today+"&kind=demands"); len(es) != 3 {
		t.Errorf("today's demand entries = %d, want 3", len(es))
	}
	if es := auditLog(t, s, "to=2001-01-01"); len(es) != 0 {
		t.Errorf("entries before 2001 = %+v", es)
	}

	for _, c := range []struct{ query, field string }{
		{"kind=widgets", "kind"},
		{"id=" + d.ID, "kind"},
		{"from=yesterday", "from"},
		{"to=9999-12-31", "to"},
		{"from=2026-02-01&to=2026-01-01", "to"},
		{"size=100000", "size"},
	} {
		r := s.do("GET", "/v1/audit?"+c.query, nil, adminKey)
		if code, field := r.errorField(t); r.Status != 400 || code != "invalid_argument" || field != c.field {
			t.Errorf("GET /v1/audit?%s = %d %s %s, want 400 naming %s: %s", c.query, r.Status, code, field, c.field, r.Body)
		}
	}
}
