// Package pgstore keeps techmatch's records, outbox, weight profiles and audit log in PostgreSQL,
// with the semantics of the SQLite store (internal/store), so that replicas can share one store.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/techmatch/techmatch/internal/domain"
)

// Store is the PostgreSQL store. It is safe for concurrent use, by many processes too.
//
// Every write transaction first takes one transaction-level advisory lock (writeLock, or the
// key WithLockKeys gave), so writers run one at a time, as SQLite's one writer does, whichever
// process they are in: a read-modify-write (a rev, a profile version, a match entry's status)
// needs no row locks and cannot deadlock, and the outbox's seqs commit in their order (see
// outbox.go). Reads run alongside on the pool and see committed data only.
//
// Like the SQLite store it keeps a cache of decoded records, checked against each row's seq on
// every read, so that another replica's writes are seen at once (recordcache.go).
type Store struct {
	pool *pgxpool.Pool
	ann  domain.Announcer // nil: no webhook is queued for what the store changes itself
	// writeKey and migrateKey are the advisory locks' keys: writeLock and migrateLock unless
	// WithLockKeys said otherwise.
	writeKey, migrateKey int64
	recs                 *recordCache
}

// Option changes how Open sets a store up.
type Option func(*Store)

// writeLock is the key of the advisory lock every write transaction holds ("tech" and 1).
const writeLock int64 = 0x7465636800000001

// WithLockKeys has the store take write and migrate as the keys of its advisory locks in place
// of writeLock and migrateLock. Advisory locks belong to the database, not to a schema: a store
// in a schema of its own (techmatch bench's scratch schema) takes keys of its own, so that its
// writes do not queue behind those of a service on the same database, nor theirs behind its.
// Every process writing to one schema must take the same keys.
func WithLockKeys(write, migrate int64) Option {
	return func(s *Store) { s.writeKey, s.migrateKey = write, migrate }
}

// Open connects to the database at url (postgres://user:pass@host:port/db?...) and brings its
// schema up to date. A database whose schema is newer than this program's is refused.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error text masks the password.
		return nil, fmt.Errorf("pgstore: open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open %s: %w", where(cfg), classify(err))
	}
	// The pool connects lazily: a first query tells a database that is not there.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: open %s: %w", where(cfg), classify(err))
	}
	s := &Store{pool: pool, writeKey: writeLock, migrateKey: migrateLock, recs: newRecordCache(DefaultRecordCache)}
	for _, o := range opts {
		o(s)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// where names the database without credentials, for errors.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("pgstore: ping: %w", classify(err))
	}
	return nil
}

// querier is what both the pool and a transaction run statements with.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a write transaction holding the write lock, committing when fn returns nil and
// rolling back otherwise. Faults a retry may cure come back wrapping domain.ErrUnavailable.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	// Rolled back even when ctx is done, so that the connection goes back to the pool clean.
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.writeKey); err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		return classify(err)
	}
	return classify(tx.Commit(ctx))
}

// inSnapshot runs fn in a read-only transaction whose statements all see one snapshot, as a
// page and its total must.
func (s *Store) inSnapshot(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; nothing to undo
	return classify(fn(tx))
}

// execOne runs a statement that must change a row; none changed is domain.ErrNotFound.
func execOne(ctx context.Context, q querier, query string, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// classify wraps domain.ErrUnavailable around the errors that mean the database is out of
// service for now, so that nothing was written and a retry may succeed: no connection (refused,
// lost, ended by an administrator or a shutdown), no room (disk full, out of memory, too many
// connections), an I/O error, a read-only standby, and the conflicts a retry resolves
// (serialization failure, deadlock, lock not available). Other errors, nil and a cancelled
// context included, pass unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, domain.ErrUnavailable) {
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	hasCode := errors.As(err, &pe)
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		// No connection, unless the server said that this one never will be: wrong
		// credentials (class 28) or no such database (3D000) are the configuration's to fix.
		return !hasCode || pe.Code[:2] != "28" && pe.Code != "3D000"
	}
	if hasCode {
		switch pe.Code[:2] {
		case "08", // connection exception
			"53", // insufficient resources: disk full, out of memory, too many connections
			"58": // system error: I/O
			return true
		case "57": // operator intervention, but 57014 is a cancelled statement
			return pe.Code != "57014"
		}
		switch pe.Code {
		case "25006", // read-only SQL transaction: a standby
			"40001", "40P01", // serialization failure, deadlock
			"55P03": // lock not available
			return true
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// now is the server time written into records and logs: UTC, without a monotonic reading.
func now() time.Time { return time.Now().UTC() }

// Times are kept as unix nanoseconds in bigint columns, as the SQLite store keeps them, so
// that both stores hand back the same instants (timestamptz holds microseconds).
func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
