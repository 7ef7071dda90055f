package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestKill9DuringImport kills the server in the middle of a bulk import. After a restart,
// every line it had acknowledged is in the store and in the index.
func TestKill9DuringImport(t *testing.T) {
	s := startServer(t, "", nil)
	var (
		mu       sync.Mutex
		accepted []string
		chunks   int
	)
	tick := make(chan struct{}, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := 0; c < 200; c++ {
			var b bytes.Buffer
			var ids []string
			for i := 0; i < 500; i++ {
				id := fmt.Sprintf("crash-%03d-%03d", c, i)
				ids = append(ids, id)
				fmt.Fprintf(&b, `{"id":%q,"title":"第%d批第%d条 船舶压载水处理装置","summary":"紫外与电解联合处理压载水"}`+"\n", id, c, i)
			}
			req, _ := http.NewRequest("POST", s.URL+"/v1/achievements/import", &b)
			req.Header.Set("Authorization", "Bearer "+adminKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the server died mid-request: this chunk was never acknowledged
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			var rep struct{ Accepted int }
			if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil {
				return
			}
			if rep.Accepted != 500 {
				t.Errorf("chunk %d: accepted %d", c, rep.Accepted)
			}
			mu.Lock()
			accepted = append(accepted, ids...)
			chunks++
			mu.Unlock()
			tick <- struct{}{}
		}
	}()
	for range 4 {
		<-tick
	}
	s.kill()
	<-done
	mu.Lock()
	acked := append([]string(nil), accepted...)
	mu.Unlock()
	t.Logf("killed after %d acknowledged chunks (%d records)", chunks, len(acked))

	s.start()
	for _, id := range acked {
		if r := s.do("GET", "/v1/achievements/"+id, nil, ""); r.Status != 200 {
			t.Fatalf("acknowledged %s lost: %d", id, r.Status)
		}
	}
	eventually(t, "all acknowledged records indexed", func() bool {
		return search(t, s, "q="+strings.ReplaceAll("压载水处理", " ", "")+"&size=1").Total >= len(acked)
	})
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check after crash: %v\n%s", err, out)
	}
}
