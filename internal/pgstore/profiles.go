package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// PutProfile stores p as a new version of its name: it sets p.Version to the latest
// version + 1 (1 for a new name) and p.CreatedAt to now. p must already be validated.
// The audit entry "profile" goes in the same transaction when ctx has an actor.
func (s *Store) PutProfile(ctx context.Context, p *domain.Profile) error {
	savedVersion, savedAt := p.Version, p.CreatedAt
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx,
			`SELECT COALESCE(MAX(version), 0) FROM profiles WHERE name = $1`, p.Name).Scan(&latest); err != nil {
			return err
		}
		p.Version, p.CreatedAt = latest+1, now()
		body, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO profiles (name, version, created_at, body) VALUES ($1, $2, $3, $4)`,
			p.Name, p.Version, nanos(p.CreatedAt), string(body)); err != nil {
			return err
		}
		return audited(ctx, tx, p.CreatedAt, "profile", domain.AuditProfiles, p.Name, fmt.Sprintf("version %d: %s", p.Version, p.Note))
	})
	if err != nil {
		p.Version, p.CreatedAt = savedVersion, savedAt
		return fmt.Errorf("pgstore: put profile %s: %w", p.Name, err)
	}
	return nil
}

// Profile returns the latest version of the named profile; the error wraps domain.ErrNotFound.
func (s *Store) Profile(ctx context.Context, name string) (*domain.Profile, error) {
	p, err := s.oneProfile(ctx, `SELECT body FROM profiles WHERE name = $1 ORDER BY version DESC LIMIT 1`, name)
	if err != nil {
		return nil, fmt.Errorf("pgstore: profile %s: %w", name, err)
	}
	return p, nil
}

// ProfileVersion returns one version of the named profile; the error wraps domain.ErrNotFound.
func (s *Store) ProfileVersion(ctx context.Context, name string, version int) (*domain.Profile, error) {
	p, err := s.oneProfile(ctx, `SELECT body FROM profiles WHERE name = $1 AND version = $2`, name, version)
	if err != nil {
		return nil, fmt.Errorf("pgstore: profile %s version %d: %w", name, version, err)
	}
	return p, nil
}

// ProfileVersions returns every version of the named profile, newest first;
// the error wraps domain.ErrNotFound when there is none.
func (s *Store) ProfileVersions(ctx context.Context, name string) ([]*domain.Profile, error) {
	ps, err := s.profiles(ctx, `SELECT body FROM profiles WHERE name = $1 ORDER BY version DESC`, name)
	if err == nil && len(ps) == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: profile %s versions: %w", name, err)
	}
	return ps, nil
}

// Profiles returns the latest version of every profile, by name.
func (s *Store) Profiles(ctx context.Context) ([]*domain.Profile, error) {
	ps, err := s.profiles(ctx, `SELECT DISTINCT ON (name) body FROM profiles ORDER BY name, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: profiles: %w", err)
	}
	return ps, nil
}

func (s *Store) oneProfile(ctx context.Context, query string, args ...any) (*domain.Profile, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, query, args...).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, classify(err)
	}
	return decodeProfile(body)
}

// decodeProfile decodes a stored profile onto the default params, so that a version stored
// before a param existed reads with that param's default, not its zero.
func decodeProfile(body []byte) (*domain.Profile, error) {
	p := domain.Profile{Params: domain.DefaultParams()}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &p, nil
}

func (s *Store) profiles(ctx context.Context, query string, args ...any) ([]*domain.Profile, error) {
	bodies, err := queryBodies(ctx, s.pool, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	var out []*domain.Profile
	for _, b := range bodies {
		p, err := decodeProfile(b)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
