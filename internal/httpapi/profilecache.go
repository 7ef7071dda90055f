package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// profileTTL bounds how long a publish by another process may go unseen here when the server
// has no Deps.ProfileHead; a publish through this process is seen at once.
const profileTTL = 2 * time.Second

// profileCache keeps current profiles in memory: every match request needs one, and reading it
// from SQLite was a quarter of a cached answer's cost. Entries are shared and never mutated.
type profileCache struct {
	mu      sync.Mutex
	entries map[string]profileEntry
}

type profileEntry struct {
	p  *domain.Profile
	at time.Time
}

// get returns the current version of the named profile. With head, the version is looked up on
// every call and the profile held is used only while it is that version; without, it is used
// for profileTTL.
func (pc *profileCache) get(ctx context.Context, name string, load func(context.Context, string) (*domain.Profile, error),
	head func(context.Context, string) (int, error)) (*domain.Profile, error) {
	pc.mu.Lock()
	e, ok := pc.entries[name]
	pc.mu.Unlock()
	if head != nil {
		v, err := head(ctx, name)
		if err != nil {
			return nil, err
		}
		if ok && e.p.Version == v {
			return e.p, nil
		}
	} else if ok && time.Since(e.at) < profileTTL {
		return e.p, nil
	}
	p, err := load(ctx, name)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	if pc.entries == nil {
		pc.entries = map[string]profileEntry{}
	}
	pc.entries[name] = profileEntry{p: p, at: time.Now()}
	pc.mu.Unlock()
	return p, nil
}

func (pc *profileCache) forget(name string) {
	pc.mu.Lock()
	delete(pc.entries, name)
	pc.mu.Unlock()
}
