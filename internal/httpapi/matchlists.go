package httpapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// entryFor loads an entry the caller may see: staff see all, an agent only its own.
func (s *Server) entryFor(c *gin.Context) (*domain.MatchEntry, bool) {
	id := c.Param("id")
	e, err := s.Worklist.Entry(c, id)
	if err != nil {
		s.fail(c, notFoundAs(err, "match", id))
		return nil, false
	}
	if p := principal(c); p.Role == RoleAgent && p.Subject != e.AgentID {
		// Not 403: whether another agent's entry exists is not this agent's business.
		s.fail(c, domain.Errorf(domain.CodeNotFound, "匹配条目 %q 不存在", id))
		return nil, false
	}
	if !s.requireAgentOrAdmin(c, e.AgentID) {
		return nil, false
	}
	return e, true
}

func (s *Server) getEntry(c *gin.Context) {
	if e, ok := s.entryFor(c); ok {
		writeJSON(c, http.StatusOK, e)
	}
}

// patchEntry moves an entry along the workflow; an illegal transition is 409.
func (s *Server) patchEntry(c *gin.Context) {
	if _, ok := s.entryFor(c); !ok {
		return
	}
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var u domain.EntryUpdate
	if err := domain.DecodeJSON(body, &u); err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.Worklist.Update(c, c.Param("id"), u, principal(c).Name())
	if err != nil {
		s.fail(c, notFoundAs(err, "match", c.Param("id")))
		return
	}
	writeJSON(c, http.StatusOK, e)
}

// listDeliveries is the webhook delivery log, for staff: by agent and status.
func (s *Server) listDeliveries(c *gin.Context) {
	page, size, err := s.page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := domain.DeliveryFilter{AgentID: c.Query("agent_id"), Status: c.Query("status")}
	if f.Status != "" && !slices.Contains(domain.DeliveryStatuses, f.Status) {
		s.fail(c, domain.Invalid("status", "status 应为 %v 之一", domain.DeliveryStatuses))
		return
	}
	items, total, err := s.Worklist.Deliveries(c, f, (page-1)*size, size)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"total": total, "page": page, "size": size, "items": items})
}

// stats answers the funnel and its breakdowns for entries created from `from` to `to`
// (dates, both included; default the last 30 days).
// The days /v1/stats and /v1/audit accept for from and to. Entries are stored with nanosecond times, which
// hold 1678–2262 only; the window is well inside, and its answer's dates always encode.
var (
	firstStatsDay = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	lastStatsDay  = time.Date(2199, 12, 31, 0, 0, 0, 0, time.UTC)
)

// dayParam reads the date parameter name (YYYY-MM-DD, UTC), def when it is absent.
func dayParam(c *gin.Context, name string, def time.Time) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, domain.Invalid(name, "%s 应为日期 YYYY-MM-DD，收到 %q", name, v)
	}
	if t.Before(firstStatsDay) || t.After(lastStatsDay) {
		return time.Time{}, domain.Invalid(name, "%s 应在 %s 到 %s 之间，收到 %q", name, firstStatsDay.Format(time.DateOnly), lastStatsDay.Format(time.DateOnly), v)
	}
	return t, nil
}

func (s *Server) stats(c *gin.Context) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	to, err := dayParam(c, "to", today)
	if err != nil {
		s.fail(c, err)
		return
	}
	from, err := dayParam(c, "from", to.AddDate(0, 0, -29))
	if err != nil {
		s.fail(c, err)
		return
	}
	if to.Before(from) {
		s.fail(c, domain.Invalid("to", "to 早于 from"))
		return
	}
	st, err := s.Worklist.Stats(c, from, to.AddDate(0, 0, 1))
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, st)
}

// listEntries lists entries across agents, for staff: by demand, agent, status, or the unassigned.
func (s *Server) listEntries(c *gin.Context) {
	f := domain.EntryFilter{DemandID: c.Query("demand_id"), AgentID: c.Query("agent_id"), Status: c.Query("status"), Unassigned: c.Query("unassigned") == "true"}
	if f.Status != "" && !slices.Contains(domain.EntryStatuses, f.Status) {
		s.fail(c, domain.Invalid("status", "status 应为 %v 之一", domain.EntryStatuses))
		return
	}
	s.writeEntries(c, f)
}

// writeEntries answers one page of match-list entries selected by f.
func (s *Server) writeEntries(c *gin.Context, f domain.EntryFilter) {
	page, size, err := s.page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.Worklist.Entries(c, f, (page-1)*size, size)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"total": total, "page": page, "size": size, "items": items})
}
