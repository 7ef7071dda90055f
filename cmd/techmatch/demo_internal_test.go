package main

import (
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// TestDemoDeadlinesStayAhead: demo deadlines a month or less away, or past, move on by whole
// years, all together, so the demo's demands stay open whenever it is loaded; ones far enough
// ahead stay as written.
func TestDemoDeadlinesStayAhead(t *testing.T) {
	demands := func() []domain.Record {
		return []domain.Record{
			&domain.Demand{Deadline: "2027-01-31"},
			&domain.Demand{Deadline: "2027-06-30", Challenge: &domain.Challenge{Deadline: "2027-03-31"}},
			&domain.Demand{},
		}
	}
	at := func(day string) time.Time { t, _ := time.Parse(time.DateOnly, day); return t }
	for _, c := range []struct {
		now  string
		want []string
	}{
		{"2026-12-03", []string{"2027-01-31", "2027-06-30", "2027-03-31"}},
		{"2027-01-10", []string{"2028-01-31", "2028-06-30", "2028-03-31"}},
		{"2031-05-01", []string{"2032-01-31", "2032-06-30", "2032-03-31"}},
	} {
		recs := demands()
		keepDemoOpen(recs, at(c.now))
		d0, d1 := recs[0].(*domain.Demand), recs[1].(*domain.Demand)
		if got := []string{d0.Deadline, d1.Deadline, d1.Challenge.Deadline}; got[0] != c.want[0] || got[1] != c.want[1] || got[2] != c.want[2] {
			t.Errorf("on %s: deadlines %v, want %v", c.now, got, c.want)
		}
		if recs[2].(*domain.Demand).Deadline != "" {
			t.Errorf("on %s: a demand without a deadline got one", c.now)
		}
	}
}
