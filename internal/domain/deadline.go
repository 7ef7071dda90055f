package domain

import (
	"fmt"
	"time"
)

// PlatformZone is the time zone in which the platform's dates are read: Beijing time, UTC+8
// all year (China has kept no daylight saving time since 1991), so no zone database is needed.
var PlatformZone = time.FixedZone("Asia/Shanghai", 8*60*60)

// Today is the date now falls on in the platform's zone, as YYYY-MM-DD.
func Today(now time.Time) string { return now.In(PlatformZone).Format(time.DateOnly) }

// Why a demand is closed, as ClosedReason says it.
const (
	// ClosedAtDeadline: the server closed it when its deadline (or its challenge's) had passed.
	ClosedAtDeadline = "deadline"
	// ClosedManually: it was stored closed, by its enterprise or by staff (or an import).
	ClosedManually = "manual"
)

// ClosedByDeletion is not a record's ClosedReason: it is the reason a closing announcement
// gives for a demand that was deleted.
const ClosedByDeletion = "deleted"

// ClosedReasons are the values of Demand.ClosedReason.
var ClosedReasons = []string{ClosedAtDeadline, ClosedManually}

// DueDate is the date after which the demand closes: the earlier of its deadline and its
// challenge's, "" when it has neither. A date is open to its end, Beijing time: a demand due
// 2027-03-31 is open until 2027-03-31 24:00 +08:00 and closes at the next sweep after it.
func (d *Demand) DueDate() string {
	due := d.Deadline
	if d.Challenge != nil && d.Challenge.Deadline != "" && (due == "" || d.Challenge.Deadline < due) {
		due = d.Challenge.Deadline
	}
	return due
}

// dueField names the field DueDate came from, for error messages.
func (d *Demand) dueField() string {
	if d.Challenge != nil && d.Challenge.Deadline != "" && d.Challenge.Deadline == d.DueDate() {
		return "challenge.deadline"
	}
	return "deadline"
}

// PastDue reports whether the demand's due date lies before now's date in the platform's zone.
// Dates are validated as YYYY-MM-DD, so they compare as strings.
func (d *Demand) PastDue(now time.Time) bool {
	due := d.DueDate()
	return due != "" && due < Today(now)
}

// Lapsed reports whether the demand is open in the store while its deadline has passed: the
// server closes it at the next sweep, and treats it as closed until then.
func (d *Demand) Lapsed(now time.Time) bool {
	return (d.Status == "" || d.Status == DemandOpen) && d.PastDue(now)
}

// CloseIfLapsed closes a lapsed demand in place, saying why, and reports whether it did.
func (d *Demand) CloseIfLapsed(now time.Time) bool {
	if !d.Lapsed(now) {
		return false
	}
	d.Status, d.ClosedReason = DemandClosed, ClosedAtDeadline
	return true
}

// CheckOpenable refuses an open demand whose deadline has already passed: a demand written open
// now must have a date to come. The error names the field that passed.
func (d *Demand) CheckOpenable(now time.Time) error {
	if !d.Lapsed(now) {
		return nil
	}
	f := d.dueField()
	return Invalid(f, "%s %s 已过（需求开放到截止日当天结束，北京时间；今天是 %s）：请给出更晚的日期，或将需求存为关闭",
		f, d.DueDate(), Today(now))
}

// DeadlineNote is the audit detail of a demand closed at its deadline.
func (d *Demand) DeadlineNote() string {
	return fmt.Sprintf("%s %s passed", d.dueField(), d.DueDate())
}
