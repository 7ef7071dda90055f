package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/techmatch/techmatch/internal/testredis"
)

// checkStore stops the server and runs `techmatch check`: store and index must agree.
func checkStore(t *testing.T, s *server) {
	t.Helper()
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
}

// TestRedisRestartUnderLoad kills Redis while clients search, match and write, then brings it
// back: no answer is a 5xx, answers are uncached (bypass) meanwhile, and hits resume.
//
// Hits are looked for once the load has ended: its writes (dozens a second, each indexed at
// once) move the index generations that every search's cache key carries, so two searches in a
// row under the load mostly find a new key: misses, as they should be. Waiting for a hit while
// they ran failed now and then, and more often once indexing got faster.
func TestRedisRestartUnderLoad(t *testing.T) {
	rs := testredis.Start(t)
	s := startServer(t, "", nil, "TECHMATCH_REDIS_URL="+rs.URL(), "TECHMATCH_REDIS_TIMEOUT=200ms")
	loadSeed(t, s)
	l := startLoad(s.URL, 6)
	l.waitFor(t, 200)
	rs.Stop()
	l.waitFor(t, 200)
	rs.Restart()
	l.waitFor(t, 100)
	l.end()
	eventually(t, "cache hits after Redis is back", func() bool {
		return s.do("GET", "/v1/search?q=锂电池", nil, "").Header.Get("X-Cache") == "hit"
	})
	l.check(t)
	if l.xcache["bypass"] == 0 {
		t.Errorf("no bypass answers while Redis was down: %v", l.xcache)
	}
	l.checkAcked(t, s)
	checkStore(t, s)
}

// TestKill9DuringProfilePublish publishes profile versions in a loop and kills the server:
// after a restart the history has no gaps, every acknowledged version is there as published,
// and the latest version is readable.
func TestKill9DuringProfilePublish(t *testing.T) {
	s := startServer(t, "", nil)
	type published struct {
		version int
		text    float64
	}
	acked := make(chan published, 1000)
	go func() {
		defer close(acked)
		for i := 1; i < 1000; i++ {
			text := 0.3 + float64(i)/10000
			body := fmt.Sprintf(`{"weights":{"text":%g,"field":0.2},"note":"publish %d"}`, text, i)
			req, _ := http.NewRequest("PUT", s.URL+"/v1/profiles/default", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+adminKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			var p struct{ Version int }
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 && resp.StatusCode != 201 {
				return
			}
			if err := json.Unmarshal(data, &p); err != nil {
				return
			}
			acked <- published{p.Version, text}
		}
	}()
	var got []published
	for p := range acked {
		got = append(got, p)
		if len(got) == 20 {
			s.kill()
		}
	}
	if len(got) < 20 {
		t.Fatalf("only %d versions published before the loop ended", len(got))
	}
	s.start()
	var history struct {
		Versions []struct {
			Version int
			Weights map[string]float64
		}
	}
	s.do("GET", "/v1/profiles/default/versions", nil, "").decode(t, &history)
	versions := history.Versions
	byVersion := map[int]map[string]float64{}
	maxV := 0
	for _, v := range versions {
		byVersion[v.Version] = v.Weights
		maxV = max(maxV, v.Version)
	}
	for v := 1; v <= maxV; v++ {
		if byVersion[v] == nil {
			t.Errorf("version %d missing from a history up to %d", v, maxV)
		}
	}
	for _, p := range got {
		if w := byVersion[p.version]; w == nil || w["text"] != p.text {
			t.Errorf("acknowledged version %d: stored weights %v, want text %g", p.version, w, p.text)
		}
	}
	var latest struct{ Version int }
	if r := s.do("GET", "/v1/profiles/default", nil, ""); r.Status != 200 {
		t.Fatalf("latest profile unreadable: %d %s", r.Status, r.Body)
	} else if r.decode(t, &latest); latest.Version != maxV {
		t.Errorf("latest version %d, history up to %d", latest.Version, maxV)
	}
	if r := s.do("POST", "/v1/match", `{"title":"锂电池正极材料"}`, adminKey); r.Status != 200 {
		t.Errorf("matching with the latest profile: %d %s", r.Status, r.Body)
	}
	checkStore(t, s)
}

// TestIndexDamagedWhileStopped deletes or corrupts the index while the server is stopped: the
// next start rebuilds it from the store before it reports ready, and nothing is missing.
func TestIndexDamagedWhileStopped(t *testing.T) {
	damage := map[string]func(t *testing.T, dir string){
		"deleted": func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		},
		"garbage in every file": func(t *testing.T, dir string) {
			n := 0
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				n++
				return os.WriteFile(path, []byte(strings.Repeat("\xde\xad\xbe\xef garbage ", 512)), 0o644)
			})
			if err != nil || n == 0 {
				t.Fatalf("corrupting %s: %d files, %v", dir, n, err)
			}
		},
		"truncated files": func(t *testing.T, dir string) {
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				return os.Truncate(path, 7)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, harm := range damage {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, "", nil)
			loadSeed(t, s)
			eventually(t, "seed indexed", func() bool { return search(t, s, "q=正极材料&size=1").Total >= 20 })
			s.stop()
			harm(t, filepath.Join(s.DataDir, "index"))
			s.start() // waits for /readyz
			if got := search(t, s, "q=正极材料&size=1").Total; got < 20 {
				t.Errorf("ready with %d of 20 records searchable", got)
			}
			if !strings.Contains(s.logs.String(), "rebuilt") {
				t.Errorf("no rebuild logged:\n%s", s.logs)
			}
			checkStore(t, s)
		})
	}
}

// TestSIGTERMUnderLoad stops the server while clients search, match and write, with an import
// whose body is still arriving: the import finishes, every acknowledged write is stored and
// indexed after the restart, and no answer is a 5xx.
func TestSIGTERMUnderLoad(t *testing.T) {
	s := startServer(t, "", nil)
	loadSeed(t, s)
	l := startLoad(s.URL, 6)
	l.waitFor(t, 200)

	pw, ans := s.streamImport()
	line := func(i int) string {
		return fmt.Sprintf(`{"id":"inflight-%d","title":"停机中导入 %d 锂电池"}`+"\n", i, i)
	}
	for i := range 100 {
		io.WriteString(pw, line(i))
	}
	// The import is now in flight: the server has its headers and part of its body.
	l.waitFor(t, 50)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 200; i++ {
		io.WriteString(pw, line(i))
	}
	pw.Close()
	a := <-ans
	if a.err != nil || a.status != 200 || !strings.Contains(a.body, `"accepted":200`) {
		t.Errorf("import in flight at SIGTERM: %v %d %s; want 200 with 200 accepted", a.err, a.status, a.body)
	}
	if err := <-s.done; err != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", err, s.logs)
	}
	s.cmd = nil
	l.end()
	l.check(t)
	// Once the listener closes, new connections are refused, and one still in the kernel's
	// accept queue is closed unanswered (EOF, reset); a request that was being served never is,
	// as the import above shows. Anything else, such as a timeout, is a failure.
	for _, e := range l.failed {
		if !strings.Contains(e, "connection refused") && !strings.Contains(e, "connection reset") && !strings.HasSuffix(e, ": EOF") {
			t.Errorf("request failed without an answer: %s", e)
		}
	}
	// The index was flushed at shutdown: check before the next start replays anything.
	if out, err := runCLI(t, s.DataDir, "check"); err != nil || strings.Contains(out, "not yet applied") {
		t.Errorf("check right after SIGTERM: %v\n%.3000s\nserver log:\n%s", err, out, s.logs)
	}
	s.start()
	l.checkAcked(t, s)
	for i := range 200 {
		if r := s.do("GET", fmt.Sprintf("/v1/achievements/inflight-%d", i), nil, ""); r.Status != 200 {
			t.Fatalf("imported inflight-%d lost: %d", i, r.Status)
		}
	}
	checkStore(t, s)
}

// TestDiskFull runs the server on a small tmpfs, fills it, and writes: 503 unavailable,
// nothing half-written; once space is freed, writes work again and store and index agree.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs as the data dir")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	s := startServer(t, filepath.Join(dir, "data"), nil)
	loadSeed(t, s)

	fill := filepath.Join(dir, "fill")
	fillDisk(t, fill)
	var full, stored []string
	big := strings.Repeat("储能电池热失控预警方案，", 1600) // 19,200 characters, ~58 KB: needs new pages
	for i := 0; i < 50 && len(full) == 0; i++ {
		id := fmt.Sprintf("full-%d", i)
		r := s.do("PUT", "/v1/achievements/"+id, fmt.Sprintf(`{"title":"磁盘满 %d","summary":%q}`, i, big), adminKey)
		switch {
		case r.Status == 503:
			if code, _ := r.errorField(t); code != "unavailable" {
				t.Errorf("503 with code %q", code)
			}
			full = append(full, id)
		case r.Status < 300:
			stored = append(stored, id)
		default:
			t.Fatalf("write on a full disk: %d %s", r.Status, r.Body)
		}
	}
	if len(full) == 0 {
		t.Fatalf("50 writes of 58 KB on a full disk all succeeded")
	}
	for _, id := range full {
		if r := s.do("GET", "/v1/achievements/"+id, nil, ""); r.Status != 404 {
			t.Errorf("write answered 503 left %s behind: %d", id, r.Status)
		}
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	if r := s.do("PUT", "/v1/achievements/after-full", `{"title":"空间释放后 锂电池"}`, adminKey); r.Status != 201 {
		t.Fatalf("write after freeing space: %d %s", r.Status, r.Body)
	}
	eventually(t, "write after freeing space indexed", func() bool {
		return strings.Contains(string(s.do("GET", "/v1/search?q=空间释放后", nil, "").Body), "after-full")
	})
	for _, id := range stored {
		if r := s.do("GET", "/v1/achievements/"+id, nil, ""); r.Status != 200 {
			t.Errorf("acknowledged %s lost: %d", id, r.Status)
		}
	}
	checkStore(t, s)
}

// fillDisk writes zeros to path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}
