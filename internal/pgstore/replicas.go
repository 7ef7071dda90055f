package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
)

// schemaV3 is what replicas need of the database: when each consumer last reported its
// position (the SQLite store's version 7), so that outbox pruning waits for the live replicas'
// indexes only; and a notification on channel techmatch whenever a transaction writes outbox
// rows, profiles or webhook deliveries, which Listen hands on. A trigger per statement: a
// transaction that writes many rows notifies once, at its commit.
const schemaV3 = `
ALTER TABLE consumers ADD COLUMN seen_at bigint NOT NULL DEFAULT 0;

CREATE FUNCTION techmatch_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('techmatch', TG_ARGV[0]);
	RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
	FOR EACH STATEMENT EXECUTE FUNCTION techmatch_notify('outbox');
CREATE TRIGGER profiles_notify AFTER INSERT OR UPDATE OR DELETE ON profiles
	FOR EACH STATEMENT EXECUTE FUNCTION techmatch_notify('profiles');
CREATE TRIGGER deliveries_notify AFTER INSERT OR UPDATE ON webhook_deliveries
	FOR EACH STATEMENT EXECUTE FUNCTION techmatch_notify('deliveries');
`

// The topics Listen hands on.
const (
	TopicOutbox     = "outbox"     // records were written: indexes and the match-list worker have work
	TopicProfiles   = "profiles"   // a weight profile was published or rolled back
	TopicDeliveries = "deliveries" // webhook deliveries were queued or re-queued
	TopicAll        = ""           // (re)connected: anything may have been missed meanwhile
)

// notifyChannel is the channel schemaV3's triggers notify on.
const notifyChannel = "techmatch"

// Listen calls fn with the topic of every change a transaction commits, in this process or any
// other: first with TopicAll once it listens, since changes made before were not heard. It
// returns when ctx ends (nil) or when its connection fails; the caller listens again after a
// pause, and TopicAll tells it to catch up on what it missed.
func (s *Store) Listen(ctx context.Context, fn func(topic string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return sessionErr(ctx, "listen", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return sessionErr(ctx, "listen", err)
	}
	fn(TopicAll)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return sessionErr(ctx, "listen", err)
		}
		fn(n.Payload)
	}
}

// jobRetry is how often a replica that does not run a job tries to take it: how long a job
// waits after the replica that ran it has died. The same interval checks that the lock's
// connection is still there.
const jobRetry = time.Second

// takeoverWait is how long a process that has taken a job's lock waits before it runs the job:
// longer than jobRetry, the interval at which the previous holder checks its connection.
const takeoverWait = jobRetry + 500*time.Millisecond

// Exclusive runs fn whenever this process holds the named job's lock, until ctx ends: at most
// one process on the database runs it at a time. The lock is a session advisory lock on a
// connection of its own, so it goes with the process: when the process dies or its connection
// is cut, PostgreSQL releases it and another replica's Exclusive takes the job within jobRetry.
// fn's context ends when ctx does or when the lock's connection fails; fn must then return.
// A new holder waits takeoverWait before it starts, so that a holder whose connection was cut
// has stopped; only a job that takes longer than that to return may overlap its successor
// (a webhook call in flight: the receiver may get it twice, as after any retry).
func (s *Store) Exclusive(ctx context.Context, job string, fn func(context.Context)) {
	for ctx.Err() == nil {
		_ = s.holdJob(ctx, job, fn) // an unreachable database is retried; the API reports it
		select {
		case <-ctx.Done():
		case <-time.After(jobRetry):
		}
	}
}

// holdJob tries once to take job's lock and, if it gets it, runs fn until ctx ends or the
// lock's connection fails.
func (s *Store) holdJob(ctx context.Context, job string, fn func(context.Context)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return sessionErr(ctx, "job "+job, err)
	}
	// Closing the session releases the lock.
	defer conn.Close(context.WithoutCancel(ctx))
	var held bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, jobLock(job)).Scan(&held); err != nil || !held {
		return sessionErr(ctx, "job "+job, err)
	}
	// A process whose lock connection was cut (not killed) runs the job until its next check
	// fails: the new holder waits out that check before it starts.
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(takeoverWait):
	}
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(jobCtx)
	}()
	t := time.NewTicker(jobRetry)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-t.C:
			if err := conn.Ping(jobCtx); err != nil {
				cancel()
				<-done
				return sessionErr(ctx, "job "+job, err)
			}
		}
	}
}

// jobLock is the advisory lock key of a job: "tjob" and a hash of its name, apart from the
// keys of writeLock and migrateLock ("tech" and 1, 2).
func jobLock(job string) int64 {
	h := fnv.New32a()
	h.Write([]byte(job))
	return int64(0x746a6f62)<<32 | int64(h.Sum32())
}

// sessionErr is nil when err is or ctx has ended (shutting down is no fault), err classified
// otherwise.
func sessionErr(ctx context.Context, what string, err error) error {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("pgstore: %s: %w", what, classify(err))
}

// ProfileHead returns the latest version of the named profile, 0 when there is none: one
// index lookup, so that a replica can check on every use that the profile it holds is current.
func (s *Store) ProfileHead(ctx context.Context, name string) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM profiles WHERE name = $1`, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("pgstore: profile %s head: %w", name, classify(err))
	}
	return v, nil
}
