package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are applied in order; migration i brings the schema from version i to i+1, and
// schema_migrations gets a row for each. Append new steps, never edit a released one.
var migrations = []string{schemaV1, schemaV2, schemaV3}

// SchemaVersion is the version a database has once Open has migrated it.
var SchemaVersion = len(migrations)

// migrateLock is the key of the advisory lock that makes processes starting at once migrate
// one after the other ("tech" and 2).
const migrateLock int64 = 0x7465636800000002

// schemaV1 is the SQLite store's schema as of its version 5, in PostgreSQL's terms. Times are
// unix nanoseconds (bigint), bodies the records' JSON as text, exactly as encoding/json wrote
// it. Columns that are compared or ordered as ids use the "C" collation, so that they sort
// bytewise as in SQLite whatever the database's locale.
const schemaV1 = `
CREATE TABLE records (
	kind       text   NOT NULL,
	id         text   COLLATE "C" NOT NULL,
	rev        bigint NOT NULL,
	status     text   NOT NULL DEFAULT '',
	enterprise text   NOT NULL DEFAULT '',
	created_at bigint NOT NULL,
	updated_at bigint NOT NULL,
	seq        bigint NOT NULL, -- outbox seq of the last write: a total order of updates
	body       text   NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_seq ON records (kind, seq);
CREATE INDEX records_by_status ON records (kind, status, seq);
CREATE INDEX records_by_enterprise ON records (kind, enterprise) WHERE enterprise <> '';

-- The last seq handed out: one row, so that the head stays put when the outbox is pruned
-- empty and a rolled-back write hands out nothing.
CREATE TABLE outbox_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq bigint  NOT NULL
);
INSERT INTO outbox_head (seq) VALUES (0);

CREATE TABLE outbox (
	seq  bigint PRIMARY KEY,
	kind text   NOT NULL,
	id   text   NOT NULL,
	op   text   NOT NULL CHECK (op IN ('put', 'delete')),
	at   bigint NOT NULL
);

CREATE TABLE profiles (
	name       text    COLLATE "C" NOT NULL,
	version    integer NOT NULL CHECK (version > 0),
	created_at bigint  NOT NULL,
	body       text    NOT NULL,
	PRIMARY KEY (name, version)
);

CREATE TABLE audit (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at         bigint NOT NULL,
	actor      text   NOT NULL,
	action     text   NOT NULL,
	kind       text   NOT NULL,
	id         text   NOT NULL,
	detail     text   NOT NULL,
	request_id text   NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_object ON audit (kind, id, seq);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_time ON audit (at);

-- API keys: only a hash of each key is kept; revoked keys stay, for the audit trail.
CREATE TABLE api_keys (
	id         text   COLLATE "C" PRIMARY KEY,
	hash       bytea  NOT NULL UNIQUE, -- SHA-256 of the key
	role       text   NOT NULL,
	subject    text   NOT NULL DEFAULT '',
	created_by text   NOT NULL DEFAULT '',
	created_at bigint NOT NULL,
	revoked_at bigint -- NULL while the key works
);

-- Which expert links which achievement or patent (ExpertsLinking).
CREATE TABLE expert_links (
	kind      text NOT NULL, -- achievements | patents
	target_id text COLLATE "C" NOT NULL,
	expert_id text COLLATE "C" NOT NULL,
	PRIMARY KEY (kind, target_id, expert_id)
);
CREATE INDEX expert_links_by_expert ON expert_links (expert_id);

CREATE TABLE agents (
	id         text   COLLATE "C" PRIMARY KEY,
	created_at bigint NOT NULL,
	body       text   NOT NULL
);

CREATE TABLE match_entries (
	id            text   COLLATE "C" PRIMARY KEY,
	demand_id     text   COLLATE "C" NOT NULL,
	supply_kind   text   NOT NULL,
	supply_id     text   COLLATE "C" NOT NULL,
	agent_id      text   NOT NULL DEFAULT '',
	status        text   NOT NULL,
	score         double precision NOT NULL, -- the body's score, for ordering
	created_at    bigint NOT NULL,
	updated_at    bigint NOT NULL,
	demand_region text   NOT NULL DEFAULT '',
	demand_fields text   NOT NULL DEFAULT '[]', -- JSON array, for stats by field
	body          text   NOT NULL,
	UNIQUE (demand_id, supply_kind, supply_id)
);
CREATE INDEX match_entries_by_agent ON match_entries (agent_id, status, created_at);
CREATE INDEX match_entries_by_created ON match_entries (created_at);

-- version is bumped on every workflow change of a demand's entries; match cache keys carry it.
CREATE TABLE demand_feedback (
	demand_id text   PRIMARY KEY,
	version   bigint NOT NULL
);

CREATE TABLE consumers (
	name     text   PRIMARY KEY,
	position bigint NOT NULL
);

CREATE TABLE webhook_deliveries (
	id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id   text    NOT NULL,
	url        text    NOT NULL,
	event      text    NOT NULL,
	body       text    NOT NULL,
	status     text    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts   integer NOT NULL DEFAULT 0,
	last_code  integer NOT NULL DEFAULT 0,
	last_error text    NOT NULL DEFAULT '',
	next_at    bigint  NOT NULL,
	created_at bigint  NOT NULL,
	updated_at bigint  NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
CREATE INDEX webhook_deliveries_by_agent ON webhook_deliveries (agent_id, id);
`

// schemaV2 follows the SQLite store's version 6 (schemaChallenges): a demand's due date in its
// own column, which the deadline sweep looks up (the earlier of deadline and
// challenge.deadline, filled for the demands already stored; dates compare bytewise, hence
// "C"); closed demands stored before closed_reason say they were closed by hand (their bodies
// go through jsonb, which orders keys and spaces them its own way: they decode the same, and
// their next write stores encoding/json's text again); takeups (揭榜) of challenges.
const schemaV2 = `
ALTER TABLE records ADD COLUMN due text COLLATE "C" NOT NULL DEFAULT '';
UPDATE records SET due = CASE
	WHEN coalesce(body::jsonb #>> '{challenge,deadline}', '') = '' THEN coalesce(body::jsonb ->> 'deadline', '')
	WHEN coalesce(body::jsonb ->> 'deadline', '') = '' THEN body::jsonb #>> '{challenge,deadline}'
	ELSE least((body::jsonb ->> 'deadline') COLLATE "C", (body::jsonb #>> '{challenge,deadline}') COLLATE "C")
END WHERE kind = 'demands';
UPDATE records SET body = jsonb_set(body::jsonb, '{closed_reason}', '"manual"')::text
	WHERE kind = 'demands' AND status = 'closed' AND body::jsonb ->> 'closed_reason' IS NULL;
CREATE INDEX records_due ON records (status, due) WHERE kind = 'demands' AND due <> '';

CREATE TABLE takeups (
	id          text   COLLATE "C" PRIMARY KEY,
	demand_id   text   COLLATE "C" NOT NULL,
	supply_kind text   NOT NULL,
	supply_id   text   COLLATE "C" NOT NULL,
	created_at  bigint NOT NULL,
	body        text   NOT NULL,
	UNIQUE (demand_id, supply_kind, supply_id)
);
`

// migrate applies the migrations the database lacks, all in one transaction under
// migrateLock: replicas starting together migrate once, and a failed step leaves the schema
// as it was.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", classify(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	v, err := schemaVersion(ctx, tx, s.migrateKey)
	if err != nil {
		return fmt.Errorf("pgstore: read schema version: %w", classify(err))
	}
	if v > len(migrations) {
		return fmt.Errorf("pgstore: the database has schema version %d, newer than this program's %d", v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	for ; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("pgstore: migrate schema to version %d: %w", v+1, classify(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
			v+1, nanos(now())); err != nil {
			return fmt.Errorf("pgstore: migrate schema to version %d: %w", v+1, classify(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate schema to version %d: %w", len(migrations), classify(err))
	}
	return nil
}

// schemaVersion takes the migrate lock (key) and reads the version, making the table on first use.
func schemaVersion(ctx context.Context, tx pgx.Tx, key int64) (int, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at bigint  NOT NULL
	)`); err != nil {
		return 0, err
	}
	var v int
	err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
