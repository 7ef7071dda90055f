package match

import (
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

// preparedDemand is a demand made ready to match, once per request: as given (with the
// agents' feedback applied), as filled in from its text (inferDemand), and what was inferred.
type preparedDemand struct {
	given, filled *domain.Demand
	inferred      []string
}

func (s *Service) prepare(d *domain.Demand) *preparedDemand {
	filled, inferred := inferDemand(d, s.tax, s.noise)
	return &preparedDemand{given: d, filled: filled, inferred: inferred}
}

// recallRequest asks the index for supply of kinds holding the filled demand's text; recall
// runs without highlights (explainListed gives the listed theirs).
func (pd *preparedDemand) recallRequest(kinds []domain.Kind, size int) index.RecallRequest {
	return index.RecallRequest{
		Title: pd.filled.Title, Keywords: pd.filled.Keywords, Body: pd.filled.Description,
		Kinds: kinds, Size: size,
	}
}

// run is one match request: the profile and the time it is judged under, and the side it
// starts from, a demand (forward) or a supply item (reverse), whose candidate demands are then
// each prepared once however many steps read them.
type run struct {
	p   *domain.Profile
	now time.Time
	// demand is the demand matched forward; nil in reverse matching.
	demand *preparedDemand
	// supply is the supply item matched in reverse; nil forward.
	supply   domain.SupplyRecord
	prepared map[*domain.Demand]*preparedDemand
}

func (s *Service) forwardRun(pd *preparedDemand, p *domain.Profile, now time.Time) *run {
	return &run{p: p, now: now, demand: pd}
}

func (s *Service) reverseRun(rec domain.SupplyRecord, p *domain.Profile, now time.Time) *run {
	return &run{p: p, now: now, supply: rec, prepared: map[*domain.Demand]*preparedDemand{}}
}

// candidate is a candidate demand of a reverse run, prepared on first use.
func (s *Service) candidate(r *run, d *domain.Demand) *preparedDemand {
	pd, ok := r.prepared[d]
	if !ok {
		pd = s.prepare(d)
		r.prepared[d] = pd
	}
	return pd
}

// pairing judges supply for the forward run's demand.
func (s *Service) pairing(r *run, explain bool) *pairing {
	pr := newPairing(s.tax, r.p.Params, r.now, r.demand.given, r.demand.filled)
	pr.explain = explain
	return pr
}

// reversePairing judges the reverse run's supply item for demand d.
func (s *Service) reversePairing(r *run, d *domain.Demand, explain bool) *pairing {
	pd := s.candidate(r, d)
	pr := newPairing(s.tax, r.p.Params, r.now, pd.given, pd.filled)
	pr.reverse, pr.explain = true, explain
	return pr
}
