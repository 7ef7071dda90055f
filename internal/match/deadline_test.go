package match_test

import (
	"context"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// lapsing serves the demo records with one demand's deadline moved to before the clock's
// day, as the store holds a demand past its deadline that no sweep has closed yet: the index
// still has it open.
type lapsing struct {
	records
	id string
}

func (l lapsing) GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	out, err := l.records.GetMany(ctx, k, ids)
	if d, ok := out[l.id].(*domain.Demand); ok && k == domain.Demands {
		c := *d
		c.Deadline = clock.AddDate(0, 0, -1).Format("2006-01-02")
		out[l.id] = &c
	}
	return out, err
}

// TestReverseMatchingLeavesOutDemandsPastTheirDeadline: a demand whose deadline has passed is
// not offered to supply, whatever the profile, and the answer counts it as excluded for it.
func TestReverseMatchingLeavesOutDemandsPastTheirDeadline(t *testing.T) {
	env := loadDemo(t)
	ctx := context.Background()
	sup := env.recs[domain.Achievements]["ach-001"].(domain.SupplyRecord)
	before, err := env.svc.MatchSupply(ctx, sup, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Matches) == 0 {
		t.Fatal("ach-001 has no reverse matches in the demo data")
	}
	top := before.Matches[0].ID
	svc := match.New(env.ix, lapsing{env.recs, top}, env.tax, demoNoise()).WithClock(func() time.Time { return clock })
	noFilters := match.DefaultProfile()
	noFilters.Params.HardFilters = []string{}
	for _, p := range []*domain.Profile{nil, noFilters} {
		after, err := svc.MatchSupply(ctx, sup, 5, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range after.Matches {
			if m.ID == top {
				t.Errorf("profile %v: %s is listed past its deadline", p, top)
			}
		}
		if after.Excluded.ByReason[match.ReasonDeadline] != 1 {
			t.Errorf("profile %v: excluded %v, want one for deadline", p, after.Excluded.ByReason)
		}
	}
}

// TestReverseMatchesCarryTheDemandsChallenge: an agent reading a reverse list sees each
// demand's bounty and deadlines.
func TestReverseMatchesCarryTheDemandsChallenge(t *testing.T) {
	env := loadDemo(t)
	seen := 0
	for _, k := range domain.SupplyKinds {
		for _, rec := range env.recs[k] {
			l, err := env.svc.MatchSupply(context.Background(), rec.(domain.SupplyRecord), 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range l.Matches {
				d := env.recs[domain.Demands][m.ID].(*domain.Demand)
				if m.Deadline != d.Deadline || (m.Challenge == nil) != (d.Challenge == nil) {
					t.Fatalf("%s lists %s with deadline %q challenge %v, want %q %v", rec.GetMeta().ID, m.ID, m.Deadline, m.Challenge, d.Deadline, d.Challenge)
				}
				if d.Challenge != nil {
					if *m.Challenge.Bounty != *d.Challenge.Bounty || m.Challenge.Deadline != d.Challenge.Deadline {
						t.Fatalf("%s: challenge %+v, want %+v", m.ID, m.Challenge, d.Challenge)
					}
					seen++
				}
			}
		}
	}
	if seen == 0 {
		t.Error("no reverse list holds a challenge of the demo data")
	}
}
