package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDataDirInUseIsRefused: while a server holds a data dir, a second serve, check and reindex
// on it exit at once naming the server's pid, instead of hanging on its locks or moving its live
// index away; the server keeps answering from its index. Once it stops, the dir is free again,
// and after kill -9 too (the kernel drops the lock with the process).
func TestDataDirInUseIsRefused(t *testing.T) {
	s := startServer(t, "", nil)
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "a-lock", "title": "钠离子电池正极材料"}, 201)
	eventually(t, "a-lock searchable", func() bool {
		return strings.Contains(string(s.do("GET", "/v1/search?q=钠离子电池", nil, "").Body), `"id":"a-lock"`)
	})
	indexDir := filepath.Join(s.DataDir, "index")
	before, err := os.Stat(indexDir)
	if err != nil {
		t.Fatal(err)
	}
	pid := fmt.Sprint(s.cmd.Process.Pid)
	for _, args := range [][]string{{"check"}, {"reindex"}, {"serve"}} {
		t.Run(args[0], func(t *testing.T) {
			// The deadline only stops a hanging command from hanging the test.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, args...)
			cmd.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+s.DataDir, "TECHMATCH_ADMIN_KEY="+adminKey, "TECHMATCH_HTTP_ADDR=127.0.0.1:0", "TECHMATCH_REDIS_URL=")
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("%s did not exit: %s", args[0], out)
			}
			if err == nil {
				t.Fatalf("%s succeeded on a data dir in use: %s", args[0], out)
			}
			if !strings.Contains(string(out), "pid "+pid) || !strings.Contains(string(out), "正被另一个 techmatch 进程使用") {
				t.Errorf("%s: %s; want the message naming pid %s", args[0], out, pid)
			}
		})
	}
	after, err := os.Stat(indexDir)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live index was moved or replaced: %v", err)
	}
	if _, err := os.Stat(indexDir + ".old"); !os.IsNotExist(err) {
		t.Errorf("index.old exists: %v", err)
	}
	if r := s.do("GET", "/v1/search?q=钠离子电池", nil, ""); !strings.Contains(string(r.Body), `"id":"a-lock"`) {
		t.Errorf("the server lost its index: %d %s", r.Status, r.Body)
	}
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "a-lock-2", "title": "钠离子电池负极材料"}, 201)
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check after stop: %v\n%s", err, out)
	}
	s.start()
	s.kill()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check after kill -9: %v\n%s", err, out)
	}
}
