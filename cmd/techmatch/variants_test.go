package main_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testredis"
)

// TestVariantsFile: index.variants replaces the built-in list of term variants; after a restart
// with another list, answers follow the new one and are not served from Redis entries made under
// the old (the data generations are the same on both sides of the restart); a list with a
// malformed line stops the server before it listens, naming the file's line.
func TestVariantsFile(t *testing.T) {
	rs := testredis.Start(t)
	file := filepath.Join(t.TempDir(), "variants.txt")
	write := func(text string) {
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# 测试\n锂电池 锂离子电池\n")
	env := []string{"TECHMATCH_REDIS_URL=" + rs.URL(), "TECHMATCH_INDEX_VARIANTS=" + file}
	s := startServer(t, "", nil, env...)
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "a1", "title": "高电压锂离子电池电解液", "summary": "成膜添加剂提高循环寿命。"}, 201)
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "a2", "title": "退役锂电池回收", "summary": "拆解与湿法冶金。"}, 201)
	q := "/v1/search?q=" + url.QueryEscape("锂电池")
	get := func() (searchAnswer, string) {
		t.Helper()
		r := s.do("GET", q, nil, "")
		if r.Status != 200 {
			t.Fatalf("search: %d %s", r.Status, r.Body)
		}
		var a searchAnswer
		r.decode(t, &a)
		return a, r.Header.Get("X-Cache")
	}
	eventually(t, "both records searchable", func() bool { a, _ := get(); return a.Total == 2 })
	held := func(a searchAnswer) bool { // a1 marked as holding the term, in the form it has
		t.Helper()
		for _, h := range a.Hits {
			if h.ID == "a1" {
				return strings.Contains(strings.Join(h.Highlights["title"], ""), "<mark>锂离子电池</mark>")
			}
		}
		t.Fatalf("search 锂电池 misses a1 (it holds 电池 of it, whatever the variants): %+v", a.Hits)
		return false
	}
	if a, _ := get(); !held(a) {
		t.Errorf("with 锂电池 = 锂离子电池, a1 is not marked as holding it: %+v", a.Hits)
	}
	if _, xc := get(); xc != "hit" {
		t.Fatalf("a repeated search: X-Cache %q, want hit", xc)
	}

	s.stop()
	write("钠电池 钠离子电池\n")
	s.start()
	a, xc := get()
	if xc != "miss" {
		t.Errorf("after a restart with other variants: X-Cache %q, want miss (an entry of the old list was served)", xc)
	}
	if held(a) {
		t.Errorf("without the lithium group, a1 is still marked as holding 锂电池: %+v", a.Hits)
	}

	s.stop()
	write("锂电池 锂离子电池\n钠离子电池\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "serve")
	cmd.Env = append(os.Environ(), "TECHMATCH_HTTP_ADDR=127.0.0.1:0", "TECHMATCH_DATA_DIR="+s.DataDir, "TECHMATCH_INDEX_VARIANTS="+file)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "line 2") || !strings.Contains(string(out), "钠离子电池") {
		t.Errorf("serve with a one-term group: err %v, output %q; want an error naming line 2 and its term", err, out)
	}
}
