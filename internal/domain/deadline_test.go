package domain_test

import (
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// A deadline is a date in Beijing time, open to its end: 2027-03-31 closes at 2027-04-01
// 00:00 +08:00, which is 2027-03-31 16:00 UTC.
func TestDeadlinesCloseAtTheEndOfTheDayInBeijing(t *testing.T) {
	endOfDay := time.Date(2027, 3, 31, 16, 0, 0, 0, time.UTC)
	ch := func(deadline string) *domain.Challenge {
		b := 500.0
		return &domain.Challenge{Bounty: &b, Deadline: deadline}
	}
	for _, c := range []struct {
		name      string
		d         domain.Demand
		now       time.Time
		due       string
		lapsed    bool
		takeError bool
	}{
		{"no deadline", domain.Demand{Challenge: ch("")}, endOfDay, "", false, false},
		{"the last second of the day", domain.Demand{Deadline: "2027-03-31", Challenge: ch("")}, endOfDay.Add(-time.Second), "2027-03-31", false, false},
		{"midnight in Beijing", domain.Demand{Deadline: "2027-03-31", Challenge: ch("")}, endOfDay, "2027-03-31", true, true},
		{"the challenge's earlier deadline", domain.Demand{Deadline: "2027-06-30", Challenge: ch("2027-03-31")}, endOfDay, "2027-03-31", true, true},
		{"the demand's earlier deadline", domain.Demand{Deadline: "2027-03-31", Challenge: ch("2027-06-30")}, endOfDay, "2027-03-31", true, true},
		{"matched is not lapsed, nor takeable", domain.Demand{Deadline: "2027-03-31", Status: "matched", Challenge: ch("")}, endOfDay, "2027-03-31", false, true},
		{"closed demands stay closed", domain.Demand{Status: "closed", Challenge: ch("")}, endOfDay, "", false, true},
		{"not a challenge", domain.Demand{}, endOfDay, "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.d.DueDate(); got != c.due {
				t.Errorf("DueDate = %q, want %q", got, c.due)
			}
			if got := c.d.Lapsed(c.now); got != c.lapsed {
				t.Errorf("Lapsed = %v, want %v", got, c.lapsed)
			}
			if err := c.d.CheckTakeable(c.now); (err != nil) != c.takeError || err != nil && domain.ErrorCode(err) != domain.CodeConflict {
				t.Errorf("CheckTakeable = %v, want an error: %v (a conflict)", err, c.takeError)
			}
			d := c.d
			if closed := d.CloseIfLapsed(c.now); closed != c.lapsed || closed && (d.Status != "closed" || d.ClosedReason != domain.ClosedAtDeadline) {
				t.Errorf("CloseIfLapsed = %v, demand %s/%s", closed, d.Status, d.ClosedReason)
			}
		})
	}
}

func TestOpenDemandsNeedADateToCome(t *testing.T) {
	now := time.Date(2027, 4, 1, 9, 0, 0, 0, domain.PlatformZone)
	b := 1.0
	d := domain.Demand{Title: "x", Deadline: "2027-06-30", Challenge: &domain.Challenge{Bounty: &b, Deadline: "2027-03-31"}}
	err := d.CheckOpenable(now)
	if e, ok := domain.AsError(err); !ok || e.Code != domain.CodeInvalid || e.Field != "challenge.deadline" {
		t.Fatalf("CheckOpenable = %v, want invalid_argument on challenge.deadline", err)
	}
	d.Status = "closed"
	if err := d.CheckOpenable(now); err != nil {
		t.Errorf("a closed demand with a past deadline: %v", err)
	}
}

func TestClosedReasonIsAClosedDemandsOnly(t *testing.T) {
	for _, c := range []struct {
		status, given, want string
		field               string
	}{
		{"closed", "", domain.ClosedManually, ""},
		{"closed", "deadline", domain.ClosedAtDeadline, ""},
		{"open", "deadline", "", ""},
		{"closed", "bored", "", "closed_reason"},
	} {
		d := domain.Demand{Title: "需求", Status: c.status, ClosedReason: c.given}
		err := d.Validate()
		if c.field != "" {
			if e, ok := domain.AsError(err); !ok || e.Field != c.field {
				t.Errorf("%s/%s: %v, want an error on %s", c.status, c.given, err, c.field)
			}
			continue
		}
		if err != nil || d.ClosedReason != c.want {
			t.Errorf("%s/%s: %v, closed_reason %q, want %q", c.status, c.given, err, d.ClosedReason, c.want)
		}
	}
}

func TestTakeupRequestNamesTheBadField(t *testing.T) {
	for _, c := range []struct {
		r     domain.TakeupRequest
		field string
	}{
		{domain.TakeupRequest{SupplyKind: "demands", SupplyID: "x"}, "supply_kind"},
		{domain.TakeupRequest{SupplyKind: "achievements"}, "supply_id"},
		{domain.TakeupRequest{SupplyKind: "achievements", SupplyID: "a b"}, "supply_id"},
	} {
		if e, ok := domain.AsError(c.r.Validate()); !ok || e.Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c.r, e, c.field)
		}
	}
	ok := domain.TakeupRequest{SupplyKind: "patents", SupplyID: " pat-1 ", Note: " 可提供样品 "}
	if err := ok.Validate(); err != nil || ok.SupplyID != "pat-1" || ok.Note != "可提供样品" {
		t.Errorf("%+v: %v", ok, err)
	}
}
