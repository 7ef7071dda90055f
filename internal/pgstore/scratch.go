package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Scratch is a schema of its own in a database that may be production's, for a store that must
// write nothing outside what it created (techmatch bench). A store opened with URL and Options
// keeps its tables in the schema and takes advisory-lock keys of its own; Drop removes the
// schema with everything in it.
type Scratch struct {
	Schema string // prefix and 16 random hex digits
	URL    string // the database's URL with search_path set to Schema

	admin                *pgx.ConnConfig // the database's own, for Drop
	writeKey, migrateKey int64
}

// NewScratch creates a schema named prefix and 16 random hex digits in the database at dbURL,
// a postgres:// or postgresql:// URL. prefix must be a lower-case SQL identifier.
func NewScratch(ctx context.Context, dbURL, prefix string) (*Scratch, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		// url.Parse's error repeats the URL, password and all.
		return nil, fmt.Errorf("pgstore: scratch schema: the database URL does not parse; want postgres://user:password@host:port/database")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		// Only the scheme: a key=value string would show its password.
		got := "no scheme"
		if u.Scheme != "" {
			got = "scheme " + u.Scheme + "://"
		}
		return nil, fmt.Errorf("pgstore: scratch schema: want a postgres:// or postgresql:// URL, got %s", got)
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: scratch schema: %w", err) // pgx masks the password
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, fmt.Errorf("pgstore: scratch schema: %w", err)
	}
	sc := &Scratch{Schema: prefix + hex.EncodeToString(random[:8]), admin: cfg.ConnConfig}
	// Two random keys, told apart by their lowest bit, and never the fixed ones a service takes.
	key := int64(binary.BigEndian.Uint64(random[8:])) &^ 1
	if key == migrateLock || key|1 == writeLock {
		key ^= 1 << 32
	}
	sc.writeKey, sc.migrateKey = key, key|1
	q := u.Query()
	q.Set("search_path", sc.Schema)
	u.RawQuery = q.Encode()
	sc.URL = u.String()

	if err := sc.exec(ctx, "CREATE SCHEMA "+pgx.Identifier{sc.Schema}.Sanitize()); err != nil {
		return nil, fmt.Errorf("pgstore: create scratch schema %s in %s: %w", sc.Schema, where(cfg), classify(err))
	}
	// Other settings of the URL or the environment (options=-c search_path=…, PGOPTIONS) could
	// still send the tables elsewhere: a connection made as the store makes them must land in
	// the schema.
	if err := sc.check(ctx); err != nil {
		return nil, fmt.Errorf("pgstore: scratch schema %s in %s: %w", sc.Schema, where(cfg),
			errors.Join(err, sc.Drop(context.WithoutCancel(ctx))))
	}
	return sc, nil
}

// Options are what a store in the schema is opened with besides URL: its advisory-lock keys.
func (sc *Scratch) Options() []Option {
	return []Option{WithLockKeys(sc.writeKey, sc.migrateKey)}
}

// Where names the database and the schema without credentials.
func (sc *Scratch) Where() string {
	return fmt.Sprintf("%s:%d/%s, schema %s", sc.admin.Host, sc.admin.Port, sc.admin.Database, sc.Schema)
}

// Drop removes the schema and everything in it. Stores opened in it must be closed first: an
// open transaction of theirs would hold Drop up until ctx ends.
func (sc *Scratch) Drop(ctx context.Context) error {
	if err := sc.exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{sc.Schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("pgstore: drop scratch schema %s: %w", sc.Schema, classify(err))
	}
	return nil
}

func (sc *Scratch) check(ctx context.Context) error {
	cfg, err := pgxpool.ParseConfig(sc.URL)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return classify(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema *string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return classify(err)
	}
	if schema == nil || *schema != sc.Schema {
		got := "none"
		if schema != nil {
			got = *schema
		}
		return fmt.Errorf("a connection with search_path=%s creates its tables in schema %s: does the URL or PGOPTIONS set search_path another way?", sc.Schema, got)
	}
	return nil
}

// exec runs sql over a connection of its own to the database, outside the schema.
func (sc *Scratch) exec(ctx context.Context, sql string) error {
	conn, err := pgx.ConnectConfig(ctx, sc.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
