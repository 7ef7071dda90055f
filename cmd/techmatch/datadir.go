//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockFileName is the file in the data dir whose exclusive lock marks the dir as in use.
const lockFileName = "techmatch.lock"

// dataDirLock is an exclusive flock(2) on the data dir's lock file, held for as long as a
// command uses the dir. The kernel drops it when the process ends, however it ends (kill -9
// too), so a lock is never left stale; the file itself stays.
type dataDirLock struct{ f *os.File }

// lockDataDir takes the data dir's lock, or fails at once naming the process that holds it:
// two processes on one store and index (a second serve, or check or reindex beside a running
// server) would wait on each other's locks or move the live index away.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, inUse(dir, string(holder))
		}
		return nil, fmt.Errorf("data dir: lock %s: %w", path, err)
	}
	// Who holds it, for the message of the next process that tries.
	holder := fmt.Sprintf("pid %d\ncommand %s\nsince %s\n", os.Getpid(), strings.Join(os.Args, " "), time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder), 0)
	}
	return &dataDirLock{f: f}, nil
}

// inUse is the error for a data dir another process holds.
func inUse(dir, holder string) error {
	pid, command := "?", ""
	for line := range strings.Lines(holder) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch k {
		case "pid":
			if _, err := strconv.Atoi(v); err == nil {
				pid = v
			}
		case "command":
			command = v
		}
	}
	who := "pid " + pid
	if command != "" {
		who += "：" + command
	}
	return fmt.Errorf("数据目录 %s 正被另一个 techmatch 进程使用（%s）。请先停止该进程（kill -TERM %s）再运行本命令，或用 TECHMATCH_DATA_DIR 指定另一个数据目录 "+
		"(data dir in use by process %s; stop it first, or use another data dir)", dir, who, pid, pid)
}

// release drops the lock; the file is kept, so that no other process ever locks a file that is
// about to be removed.
func (l *dataDirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
