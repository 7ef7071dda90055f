package main

import (
	"context"
	"path/filepath"

	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/deadline"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/httpapi"
	"github.com/techmatch/techmatch/internal/indexer"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/worklist"
)

// recordStore is what the commands need of a store: the interface each consumer declares for
// the methods it uses, Count for the demo loader, and Close. Both stores serve it; the
// conformance suite (internal/store/storetest) holds them to the same behaviour.
type recordStore interface {
	httpapi.Store
	httpapi.KeyStore
	worklist.Store
	indexer.Source
	deadline.Store
	Count(ctx context.Context, k domain.Kind) (int, error)
	// Exclusive runs a job that must run once across replicas; ProfileHead is a profile's
	// latest version, asked on every use when other processes may publish one.
	Exclusive(ctx context.Context, job string, fn func(context.Context))
	ProfileHead(ctx context.Context, name string) (int, error)
	Close() error
}

var (
	_ recordStore      = (*store.Store)(nil)
	_ recordStore      = (*pgstore.Store)(nil)
	_ domain.Announcer = worklist.Announcements{}
)

// sqlitePath is where the SQLite store keeps its file: in the data dir.
func sqlitePath(cfg config.Config) string { return filepath.Join(cfg.DataDir, "techmatch.db") }

// openStore opens the store cfg names: the PostgreSQL database of store.url when it is set,
// the SQLite file in the data dir otherwise. The store queues ann's deliveries for the changes
// it announces; a nil ann queues none. pgOpts are further options for a PostgreSQL store
// (bench's scratch schema takes lock keys of its own); a SQLite store takes none.
func openStore(ctx context.Context, cfg config.Config, ann domain.Announcer, pgOpts ...pgstore.Option) (recordStore, error) {
	if cfg.Store.URL == "" {
		var opts []store.Option
		if ann != nil {
			opts = append(opts, store.WithAnnouncer(ann))
		}
		st, err := store.Open(ctx, sqlitePath(cfg), opts...)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	opts := pgOpts
	if ann != nil {
		opts = append(opts, pgstore.WithAnnouncer(ann))
	}
	st, err := pgstore.Open(ctx, cfg.Store.URL, opts...)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// storeName says which store cfg names, for the logs.
func storeName(cfg config.Config) string {
	if cfg.Store.URL != "" {
		return "postgres"
	}
	return "sqlite"
}
