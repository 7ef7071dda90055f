package codec

import (
	"fmt"
	"slices"

	"github.com/techmatch/techmatch/internal/domain"
)

// Clone copies a record deeply enough that no change to the copy reaches the original: every
// slice and pointer is copied. Stores that cache decoded records hand out clones, since callers
// change what they read (MaskContact). The conformance suite's ReadsShareNothing fails when a
// new field is missed here.
func Clone(r domain.Record) domain.Record {
	switch v := r.(type) {
	case *domain.Achievement:
		c := *v
		cloneSupply(&c.Supply)
		return &c
	case *domain.Patent:
		c := *v
		cloneSupply(&c.Supply)
		c.IPC, c.Applicants, c.Inventors = slices.Clone(v.IPC), slices.Clone(v.Applicants), slices.Clone(v.Inventors)
		c.LicenseFee = clonePtr(v.LicenseFee)
		return &c
	case *domain.Expert:
		c := *v
		cloneSupply(&c.Supply)
		c.Titles, c.ResearchAreas, c.AvailableFor = slices.Clone(v.Titles), slices.Clone(v.ResearchAreas), slices.Clone(v.AvailableFor)
		c.AchievementIDs, c.PatentIDs = slices.Clone(v.AchievementIDs), slices.Clone(v.PatentIDs)
		return &c
	case *domain.Demand:
		c := *v
		c.Keywords, c.Fields, c.AcceptModes = slices.Clone(v.Keywords), slices.Clone(v.Fields), slices.Clone(v.AcceptModes)
		c.Budget, c.Contact = cloneRange(v.Budget), clonePtr(v.Contact)
		if v.Challenge != nil {
			ch := *v.Challenge
			ch.Bounty = clonePtr(ch.Bounty)
			c.Challenge = &ch
		}
		return &c
	}
	panic(fmt.Sprintf("codec: clone: unknown record type %T", r))
}

func cloneSupply(s *domain.Supply) {
	s.Keywords, s.Fields, s.TransferModes = slices.Clone(s.Keywords), slices.Clone(s.Fields), slices.Clone(s.TransferModes)
	s.Price, s.Market, s.Contact = cloneRange(s.Price), clonePtr(s.Market), clonePtr(s.Contact)
}

func cloneRange(r *domain.Range) *domain.Range {
	if r == nil {
		return nil
	}
	return &domain.Range{Min: clonePtr(r.Min), Max: clonePtr(r.Max)}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
