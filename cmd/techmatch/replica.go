package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
)

// replicaFile holds the name under which this data dir's index reports its outbox position to
// the store (domain.IndexConsumer): one per data dir, since each replica has its own index.
const replicaFile = "replica.id"

var replicaName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// replicaID is the data dir's replica name: the one kept in it, or a new one (the host's name
// and a random suffix) written there.
func replicaID(dataDir string) (string, error) {
	file := filepath.Join(dataDir, replicaFile)
	data, err := os.ReadFile(file)
	if err == nil {
		id := string(bytes.TrimSpace(data))
		if !replicaName.MatchString(id) {
			return "", fmt.Errorf("%s: %q is not a replica name (1–100 of A–Z a–z 0–9 . _ -)", file, id)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("replica name: %w", err)
	}
	host, _ := os.Hostname()
	host = regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(host, "")
	if len(host) > 60 {
		host = host[:60]
	}
	if host == "" {
		host = "replica"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := host + "-" + hex.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("replica name: %w", err)
	}
	return id, nil
}

// reportEvery is how often a replica reports its index's outbox position, and so that it is
// alive: pruning waits for the replicas that reported within the outbox retention.
const reportEvery = 10 * time.Second

// reportPosition reports the index's position under the replica's name every reportEvery,
// until ctx ends.
func reportPosition(ctx context.Context, st recordStore, replica string, position func() uint64, log *slog.Logger) {
	name := domain.IndexConsumer(replica)
	failing := false
	for {
		err := st.SetConsumerPosition(ctx, name, position())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			log.Warn("replica: reporting the index position failed; will retry", "replica", replica, "err", err)
		case err == nil && failing:
			log.Info("replica: reporting the index position again", "replica", replica)
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-time.After(reportEvery):
		}
	}
}

// runJob runs a job that must run once across replicas under the store's Exclusive, logging
// when this process takes it and leaves it.
func runJob(ctx context.Context, st recordStore, job string, run func(context.Context), log *slog.Logger) {
	st.Exclusive(ctx, job, func(jobCtx context.Context) {
		log.Info("job running on this replica", "job", job)
		run(jobCtx)
		if ctx.Err() == nil {
			log.Warn("job left by this replica: its lock's connection failed", "job", job)
		}
	})
}

// listener is a store that hands on what other processes commit (pgstore.Store.Listen).
type listener interface {
	Listen(ctx context.Context, fn func(topic string)) error
}

var _ listener = (*pgstore.Store)(nil)

// wakers are told of other processes' commits that concern them.
type wakers struct {
	outbox, deliveries []interface{ Notify() }
}

// listen hands the store's notifications on to w until ctx ends, listening again a second
// after a lost connection. The store's own polling (index.flush_interval, the deliverer's
// idle poll) stays the fallback; this only makes other replicas' writes arrive sooner.
func listen(ctx context.Context, l listener, w wakers, log *slog.Logger) {
	failing := false
	for ctx.Err() == nil {
		err := l.Listen(ctx, func(topic string) {
			if failing {
				log.Info("listening to the store's notifications again")
				failing = false
			}
			if topic == pgstore.TopicOutbox || topic == pgstore.TopicAll {
				for _, x := range w.outbox {
					x.Notify()
				}
			}
			if topic == pgstore.TopicDeliveries || topic == pgstore.TopicAll {
				for _, x := range w.deliveries {
					x.Notify()
				}
			}
		})
		if err != nil && !failing && ctx.Err() == nil {
			log.Warn("listening to the store's notifications failed; polling meanwhile", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
