package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/deadline"
	"github.com/techmatch/techmatch/internal/httpapi"
	"github.com/techmatch/techmatch/internal/indexer"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/worklist"
)

// backend is the store, index and indexer that serve, reindex and check share.
type backend struct {
	store   recordStore
	index   *index.Index
	indexer *indexer.Indexer
	rebuilt bool
	lock    *dataDirLock
}

// openBackend takes the data dir's lock and opens the store, the index and the indexer.
func openBackend(ctx context.Context, cfg config.Config, log *slog.Logger, pgOpts ...pgstore.Option) (*backend, error) {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	b, err := openLocked(ctx, cfg, log, lock, pgOpts...)
	if err != nil {
		lock.release()
	}
	return b, err
}

// openLocked is openBackend for a caller that already holds the data dir's lock; the backend
// releases it on close. pgOpts are as openStore's.
func openLocked(ctx context.Context, cfg config.Config, log *slog.Logger, lock *dataDirLock, pgOpts ...pgstore.Option) (*backend, error) {
	seg, err := segmenter(cfg)
	if err != nil {
		return nil, fmt.Errorf("jieba: %w", err)
	}
	variants, err := variantGroups(cfg)
	if err != nil {
		return nil, err
	}
	model, err := loadTextModel(cfg)
	if err != nil {
		return nil, err
	}
	// Whatever command writes, the agents concerned are told: a closing by an import is
	// announced as one by the API.
	st, err := openStore(ctx, cfg, worklist.Announcements{}, pgOpts...)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "index")
	openIndex := func() (*index.Index, bool, error) {
		return index.Open(dir, seg, index.WithBodyStopWords(bodyStopWords()), index.WithVariants(variants), index.WithTextModel(model))
	}
	ix, rebuilt, err := openIndex()
	if err != nil {
		st.Close()
		return nil, err
	}
	if !rebuilt {
		// A replica away for longer than the outbox retention finds the rows it missed pruned:
		// its index can only be built again.
		if stale, err := missedPrunedRows(ctx, st, ix.Position()); err != nil || stale {
			if err == nil {
				log.Warn("the index misses outbox rows that were pruned meanwhile; rebuilding it from the store", "position", ix.Position())
				err = errors.Join(ix.Close(), os.RemoveAll(dir))
			}
			if err == nil {
				ix, rebuilt, err = openIndex()
			}
			if err != nil {
				st.Close()
				return nil, err
			}
		}
	}
	b := &backend{store: st, index: ix, rebuilt: rebuilt, lock: lock}
	b.indexer = indexer.New(st, ix, indexer.Options{BatchSize: cfg.Index.BatchSize, Interval: cfg.Index.FlushInterval, Log: log})
	return b, nil
}

// missedPrunedRows says whether rows after an index's position have been pruned from the
// outbox: rows were written after it (the head is past it) and the first row left is not the
// next one.
func missedPrunedRows(ctx context.Context, st indexer.Source, position uint64) (bool, error) {
	if position == 0 {
		return false, nil // never applied anything: rebuilt by needsRebuild when the store has writes
	}
	head, err := st.OutboxHead(ctx)
	if err != nil || head <= position {
		return false, err
	}
	rows, err := st.OutboxAfter(ctx, position, 1)
	if err != nil {
		return false, err
	}
	return len(rows) == 0 || rows[0].Seq != position+1, nil
}

// expertLinks adds the titles of an expert's linked achievements and patents to the expert's
// searchable text: what they made says more about them than their bio.
// needsRebuild: a new, outdated or corrupt index, or one that never recorded a position
// while the store has writes (a rebuild that crashed half-way).
func (b *backend) needsRebuild(ctx context.Context) (bool, error) {
	if b.rebuilt {
		return true, nil
	}
	head, err := b.store.OutboxHead(ctx)
	return b.index.Position() == 0 && head > 0, err
}

func (b *backend) close() error {
	return errors.Join(b.index.Close(), b.store.Close(), b.lock.release())
}

// readiness is what /readyz reports for the index: nil once it is caught up after start.
type readiness struct {
	mu  sync.Mutex
	err error
}

func (r *readiness) set(err error) { r.mu.Lock(); r.err = err; r.mu.Unlock() }
func (r *readiness) get() error    { r.mu.Lock(); defer r.mu.Unlock(); return r.err }

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in configs/techmatch.yaml)")
	demo := fs.Bool("demo", false, "load the demo data when the store is empty")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if err := cfg.Auth.CheckAdminKey(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	return serve(ctx, cfg, *demo, stdout, log)
}

// adminKeyFile holds the admin key `serve --demo` makes when none is configured.
const adminKeyFile = "admin.key"

// demoAdminKey is the bootstrap admin key of a demo started without one: the key kept in the
// data dir by an earlier demo, or a new random one written there (mode 0600).
func demoAdminKey(dataDir string) (key, file string, err error) {
	file = filepath.Join(dataDir, adminKeyFile)
	data, err := os.ReadFile(file)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		key = string(bytes.TrimSpace(data))
		if err := (config.Auth{AdminKey: key}).CheckAdminKey(); err != nil {
			return "", "", fmt.Errorf("%s: %w", file, err)
		}
		return key, file, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("admin key: %w", err)
	}
	for key == "" || (config.Auth{AdminKey: key}).CheckAdminKey() != nil { // one in ~10⁵ holds 123456 or the like
		var b [16]byte
		_, _ = rand.Read(b[:])
		key = hex.EncodeToString(b[:])
	}
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("admin key: %w", err)
	}
	return key, file, nil
}

func serve(ctx context.Context, cfg config.Config, demo bool, stdout io.Writer, log *slog.Logger) error {
	b, err := openBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := b.close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	if err := seedProfiles(ctx, b.store, log); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	if demo {
		if err := loadDemo(ctx, b.store, log); err != nil {
			return err
		}
		if cfg.Auth.AdminKey == "" {
			key, file, err := demoAdminKey(cfg.DataDir)
			if err != nil {
				return err
			}
			cfg.Auth.AdminKey = key
			fmt.Fprintf(stdout, "admin key (no TECHMATCH_ADMIN_KEY set): %s, kept in %s\n"+
				"  use it as: curl -H \"Authorization: Bearer $(cat %s)\" ...\n", key, file, file)
		}
	}
	matcher, err := newMatcher(b.index, b.store)
	if err != nil {
		return err
	}
	// Agents' match lists: their feedback adjusts ranking, a worker fed by the outbox keeps the
	// lists, and alerts go out in the background.
	secret, secretFile, err := worklist.LoadSecret(cfg.Webhook.Secret, cfg.DataDir)
	if err != nil {
		return err
	}
	switch {
	case secretFile != "" && cfg.Store.URL != "":
		// Any replica may send a webhook: with secrets of their own, receivers would find
		// one replica's signatures wrong.
		log.Warn("webhook.secret is not configured; alerts are signed with the generated secret kept in this data dir, "+
			"so other replicas on this database sign theirs with other secrets: give every replica the same webhook.secret", "file", secretFile)
	case secretFile != "":
		log.Info("webhook.secret is not configured; alerts are signed with the generated secret kept in the data dir", "file", secretFile)
	}
	hooks := worklist.NewWebhooks(b.store, worklist.WebhookOptions{
		Secret: secret, Timeout: cfg.Webhook.Timeout, Backoff: cfg.Webhook.Backoff, MaxAttempts: cfg.Webhook.MaxAttempts,
		AllowPrivate: cfg.Webhook.AllowPrivate, Log: log,
	})
	wl := worklist.NewService(b.store, b.indexer).WithAlerts(hooks)
	matcher.WithFeedback(wl)
	// Demands past their deadline are closed at start and then every demands.deadline_sweep.
	sweeper := deadline.New(b.store, cfg.Demands.DeadlineSweep, log, b.indexer, hooks)
	lists := worklist.NewWorker(b.store, b.index, matcher, hooks, cfg.Index.FlushInterval, log).
		WithOutboxRetention(cfg.Index.OutboxRetention)
	var backendCache cache.Cache
	var buckets httpapi.SharedBuckets
	if cfg.Redis.URL != "" {
		r, err := cache.NewRedis(cfg.Redis.URL, cfg.Redis.Timeout, log)
		if err != nil {
			return err
		}
		backendCache, buckets = r, r
	} else {
		backendCache = cache.NewMemory(cfg.Cache.MaxSize)
	}
	defer backendCache.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	loader := cache.NewLoader(backendCache, cfg.Cache.TTL, log)
	reg.MustRegister(loader.Collectors()...)

	replica, err := replicaID(cfg.DataDir)
	if err != nil {
		return err
	}
	ready := &readiness{err: errors.New("starting: replaying the outbox")}
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	caughtUp := make(chan struct{})
	bg.Go(func() {
		catchUp(bgCtx, b, ready, log)
		close(caughtUp)
		b.indexer.Run(bgCtx)
	})
	// The index's position, under this data dir's replica name, holds the outbox rows it has
	// yet to apply; the other jobs run on one replica at a time (each on whichever takes it).
	bg.Go(func() { reportPosition(bgCtx, b.store, replica, b.index.Position, log) })
	bg.Go(func() {
		// Match lists are built from what the index can recall, so only after catch-up.
		select {
		case <-caughtUp:
			runJob(bgCtx, b.store, "worklist", lists.Run, log)
		case <-bgCtx.Done():
		}
	})
	bg.Go(func() { runJob(bgCtx, b.store, "webhooks", hooks.Run, log) })
	bg.Go(func() { runJob(bgCtx, b.store, "deadline", sweeper.Run, log) })
	if l, ok := b.store.(listener); ok {
		bg.Go(func() {
			listen(bgCtx, l, wakers{outbox: []interface{ Notify() }{b.indexer}, deliveries: []interface{ Notify() }{hooks}}, log)
		})
	}
	var profileHead func(context.Context, string) (int, error)
	if cfg.Store.URL != "" {
		profileHead = b.store.ProfileHead
	}

	srv := httpapi.New(httpapi.Deps{
		Store: b.store, Index: b.index, Matcher: matcher, Indexer: b.indexer, Cache: loader,
		Config: cfg, Log: log, Registry: reg, Keys: b.store, Worklist: wl, Buckets: buckets, Alerts: hooks, ProfileHead: profileHead,
		Ready: func(context.Context) error {
			if err := ready.get(); err != nil {
				return err
			}
			return b.indexer.Err()
		},
	})
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		stopBg()
		bg.Wait()
		return fmt.Errorf("listen %s: %w", cfg.HTTP.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "techmatch listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "data_dir", cfg.DataDir, "store", storeName(cfg), "cache", cacheName(cfg), "replica", replica)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in flight")
		sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stopBg()
	bg.Wait()
	// Flush: whatever was accepted goes into the index before it closes.
	fctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if derr := b.indexer.Drain(fctx); derr != nil {
		log.Error("final index flush failed; the outbox replays it on next start", "err", derr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// catchUp rebuilds the index when it needs it, then replays the outbox; the service is not
// ready until both are done.
func catchUp(ctx context.Context, b *backend, ready *readiness, log *slog.Logger) {
	for ctx.Err() == nil {
		err := func() error {
			rebuild, err := b.needsRebuild(ctx)
			if err != nil {
				return err
			}
			if rebuild {
				ready.set(errors.New("rebuilding the index from the store"))
				start := time.Now()
				n, err := b.indexer.Rebuild(ctx)
				if err != nil {
					return err
				}
				b.rebuilt = false
				log.Info("index rebuilt from the store", "records", n, "took", time.Since(start).Round(time.Millisecond))
			}
			return b.indexer.Drain(ctx)
		}()
		if err == nil {
			ready.set(nil)
			return
		}
		ready.set(fmt.Errorf("index catching up: %w", err))
		log.Error("index catch-up failed; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func cacheName(cfg config.Config) string {
	if cfg.Redis.URL != "" {
		return "redis"
	}
	return "memory"
}
