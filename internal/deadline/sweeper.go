// Package deadline closes demands whose deadline has passed, in the background.
package deadline

import (
	"context"
	"log/slog"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Store closes the open demands past their due date (store.Store.CloseLapsed).
type Store interface {
	CloseLapsed(ctx context.Context, now time.Time) ([]string, error)
}

// Notifier is told when a sweep wrote: the indexer, to re-index the closed demands soon, and
// the webhook deliverer, to announce them.
type Notifier interface{ Notify() }

// Actor is who the audit log names for the sweep's closings.
var Actor = domain.Actor{Name: "system:deadline"}

// Sweeper closes lapsed demands at start and then every interval. Between sweeps the API,
// matching and the worklist treat a lapsed demand as closed already (domain.Demand.Lapsed);
// the sweep makes it so in the store, so that its entries are withdrawn, the index and every
// reader agree, and the holders are told.
type Sweeper struct {
	st     Store
	every  time.Duration
	log    *slog.Logger
	notify []Notifier
	now    func() time.Time
}

// New builds a sweeper that sweeps every interval (a minute when ≤ 0).
func New(st Store, every time.Duration, log *slog.Logger, notify ...Notifier) *Sweeper {
	if every <= 0 {
		every = time.Minute
	}
	if log == nil {
		log = slog.Default()
	}
	return &Sweeper{st: st, every: every, log: log, notify: notify, now: time.Now}
}

// Sweep closes what has lapsed now and returns how many demands it closed.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	closed, err := s.st.CloseLapsed(domain.WithActor(ctx, Actor), s.now())
	if len(closed) > 0 {
		for _, n := range s.notify {
			n.Notify()
		}
		s.log.Info("deadline: closed demands past their deadline", "demands", len(closed), "first", closed[0])
	}
	return len(closed), err
}

// Run sweeps at once and then every interval until ctx ends; a failed sweep is logged and
// the next one retries.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("deadline: sweep failed; the next one retries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
