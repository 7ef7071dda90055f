package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
)

func cmdReindex(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, log, err := configOnly("reindex", args, stderr, getenv)
	if err != nil {
		return err
	}
	// The lock comes first: the live index of a running server must not be moved away.
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	// A fresh directory: the old index is removed only once the new one is complete.
	dir := filepath.Join(cfg.DataDir, "index")
	if err := os.RemoveAll(dir + ".old"); err != nil {
		lock.release()
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, dir+".old"); err != nil {
			lock.release()
			return fmt.Errorf("reindex: %w", err)
		}
	}
	b, err := openLocked(ctx, cfg, log, lock)
	if err != nil {
		lock.release()
		return err
	}
	start := time.Now()
	n, err := b.indexer.Rebuild(ctx)
	if err == nil {
		err = b.indexer.Drain(ctx)
	}
	if cerr := b.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reindex: %w (the previous index is kept in %s.old)", err, dir)
	}
	if err := os.RemoveAll(dir + ".old"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindexed %d records in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// cmdCheck compares the ids in the store with those in the index, kind by kind.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, log, err := configOnly("check", args, stderr, getenv)
	if err != nil {
		return err
	}
	b, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()
	if rebuild, err := b.needsRebuild(ctx); err != nil {
		return err
	} else if rebuild {
		return fmt.Errorf("check: the index is missing, outdated or corrupt; `techmatch serve` or `techmatch reindex` rebuilds it")
	}
	head, err := b.store.OutboxHead(ctx)
	if err != nil {
		return err
	}
	if pos := b.index.Position(); pos < head {
		fmt.Fprintf(stdout, "index is at outbox position %d of %d: %d writes not yet applied (the next start replays them)\n", pos, head, head-pos)
	}
	diffs := 0
	for _, k := range domain.AllKinds {
		var inStore []string
		if err := b.store.Scan(ctx, k, func(r domain.Record) error {
			inStore = append(inStore, r.GetMeta().ID)
			return nil
		}); err != nil {
			return err
		}
		inIndex, err := b.index.IDs(ctx, k)
		if err != nil {
			return err
		}
		slices.Sort(inStore)
		slices.Sort(inIndex)
		missing, extra := difference(inStore, inIndex), difference(inIndex, inStore)
		for _, id := range missing {
			fmt.Fprintf(stdout, "%s %s: in the store, not in the index\n", k, id)
		}
		for _, id := range extra {
			fmt.Fprintf(stdout, "%s %s: in the index, not in the store\n", k, id)
		}
		diffs += len(missing) + len(extra)
		fmt.Fprintf(stdout, "%s: store %d, index %d\n", k, len(inStore), len(inIndex))
	}
	if diffs > 0 {
		return fmt.Errorf("check: %d differences between store and index", diffs)
	}
	fmt.Fprintln(stdout, "ok: store and index agree")
	return nil
}

// configOnly parses the flags of a command that takes nothing but --config.
func configOnly(name string, args []string, stderr io.Writer, getenv func(string) string) (config.Config, *slog.Logger, error) {
	fs := newFlags(name, stderr)
	cfgPath := fs.String("config", "", "configuration file")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, errUsage
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, newLogger(cfg, stderr), nil
}

// difference returns the elements of sorted a that are not in sorted b.
func difference(a, b []string) []string {
	var out []string
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j >= len(b) || b[j] != x {
			out = append(out, x)
		}
	}
	return out
}
