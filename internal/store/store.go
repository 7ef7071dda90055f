// Package store keeps techmatch's records, outbox, weight profiles and audit log in one SQLite file.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver; its errors carry SQLite's codes
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/techmatch/techmatch/internal/domain"
)

// Store is the SQLite store. It is safe for concurrent use.
//
// Writes go through a pool of exactly one connection, so writers queue in Go instead of
// racing for SQLite's write lock: concurrent writers never see SQLITE_BUSY. Reads use a
// separate pool; in WAL mode they run alongside the writer and see committed data only.
type Store struct {
	path  string
	write *sql.DB
	read  *sql.DB
	stmts *writeStmts
	reads *readStmts
	recs  *recordCache
	ann   domain.Announcer // nil: no webhook is queued for what the store changes itself
	// prepared are the statements of stmts and reads, closed with the store.
	prepared []*sql.Stmt
}

// busyTimeoutMS only matters when another process (say `techmatch import` beside a running
// server) holds the write lock; inside one process the single writer connection never waits on SQLite.
const busyTimeoutMS = 10000

// Per-connection memory: the map is shared by the OS page cache, the cache is per connection.
const (
	mmapSize = 1 << 30
	cacheKiB = 16 << 10
)

// Open opens or creates the database file at path and brings its schema up to date.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// synchronous=FULL: a commit survives power loss too. With NORMAL the last commits could
	// vanish and AUTOINCREMENT would hand out outbox seqs the index has already applied.
	// mmap lets reads of a warm database skip a pread syscall per page, which dominated GetMany.
	common := fmt.Sprintf("_busy_timeout=%d&_journal_mode=WAL&_foreign_keys=1&_synchronous=FULL"+
		"&_pragma=mmap_size(%d)&_pragma=cache_size(-%d)", busyTimeoutMS, mmapSize, cacheKiB)
	base := "file:" + (&url.URL{Path: abs}).EscapedPath()

	write, err := sql.Open("sqlite", base+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	s := &Store{path: abs, write: write, recs: newRecordCache(DefaultRecordCache)}
	for _, o := range opts {
		o(s)
	}
	// The schema is created before the read pool exists, so readers never open a file
	// that is still being converted to WAL.
	if err := s.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}

	s.stmts = &writeStmts{}
	if err := s.prepare(ctx, write, s.stmts.specs()); err != nil {
		s.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", base+"?"+common+"&_query_only=1")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)
	s.read = read
	s.reads = &readStmts{}
	if err := s.prepare(ctx, read, s.reads.specs()); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools; the WAL is checkpointed when the last connection closes.
func (s *Store) Close() error {
	var errs []error
	for _, st := range s.prepared {
		st.Close()
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// migrations are applied in order; migration i brings user_version from i to i+1.
// Append new steps, never edit a released one.
var migrations = []string{schemaRecords, schemaMatchLists, schemaKeys, schemaLinks, schemaAuditTrail, schemaChallenges, schemaReplicas}

// schemaRecords: records, their outbox, weight profiles and the audit log.
const schemaRecords = `CREATE TABLE records (
		kind       TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		rev        INTEGER NOT NULL,
		status     TEXT    NOT NULL DEFAULT '',
		enterprise TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL, -- unix nanoseconds, UTC
		updated_at INTEGER NOT NULL,
		seq        INTEGER NOT NULL, -- outbox seq of the last write: a total order of updates
		body       TEXT    NOT NULL, -- the domain record as JSON, meta included
		UNIQUE (kind, id)
	); -- a rowid table: bodies are kilobytes, too large for a WITHOUT ROWID b-tree
	CREATE INDEX records_by_seq ON records (kind, seq);
	CREATE INDEX records_by_status ON records (kind, status, seq);
	CREATE INDEX records_by_enterprise ON records (kind, enterprise) WHERE enterprise <> '';

	CREATE TABLE outbox (
		seq  INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT    NOT NULL,
		id   TEXT    NOT NULL,
		op   TEXT    NOT NULL CHECK (op IN ('put', 'delete')),
		at   INTEGER NOT NULL
	);

	CREATE TABLE profiles (
		name       TEXT    NOT NULL,
		version    INTEGER NOT NULL CHECK (version > 0),
		created_at INTEGER NOT NULL,
		body       TEXT    NOT NULL,
		PRIMARY KEY (name, version)
	) WITHOUT ROWID;

	CREATE TABLE audit (
		seq    INTEGER PRIMARY KEY AUTOINCREMENT,
		at     INTEGER NOT NULL,
		actor  TEXT    NOT NULL,
		action TEXT    NOT NULL,
		kind   TEXT    NOT NULL,
		id     TEXT    NOT NULL,
		detail TEXT    NOT NULL
	);`

// SchemaVersion is the user_version a database has once Open has migrated it.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: %s has schema version %d, newer than this program's %d", s.path, v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			// PRAGMA takes no bound parameters; v is an int we control.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate schema to version %d: %w", v+1, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction, committing when fn returns nil and rolling back
// otherwise. Storage faults a retry may cure come back wrapping domain.ErrUnavailable.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return classify(err)
	}
	return classify(tx.Commit())
}

// execOne runs a statement in tx that must change a row; none changed is domain.ErrNotFound.
func execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// classify wraps domain.ErrUnavailable around the SQLite errors that mean the storage is out
// of service for now (full, locked, read-only, an I/O error) and the file system's "no space";
// other errors, nil included, pass unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code; extended codes add bits above
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
		}
	}
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

// stmtSpec is a statement to prepare once, and where to keep it. database/sql otherwise
// prepares an unprepared query on every call, which costs about as much as running it.
type stmtSpec struct {
	dst   **sql.Stmt
	query string
}

// prepare prepares each of specs on db; Close closes them.
func (s *Store) prepare(ctx context.Context, db *sql.DB, specs []stmtSpec) error {
	for _, p := range specs {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		*p.dst = st
		s.prepared = append(s.prepared, st)
	}
	return nil
}

// now is the server time written into records and logs: UTC, without a monotonic reading.
func now() time.Time { return time.Now().UTC() }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
