package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// TakeupList answers GET /v1/demands/{id}/takeups.
type TakeupList struct {
	DemandID string           `json:"demand_id"`
	Items    []*domain.Takeup `json:"items"`
}

// takeUp registers a 揭榜 of a challenge by a supply record, for an agent or staff: 201 with
// the takeup; 409 naming why when the demand is no challenge, is closed or past its deadline,
// or the supply took it up already; 404 for a missing demand.
func (s *Server) takeUp(c *gin.Context) {
	id := c.Param("id")
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var r domain.TakeupRequest
	if err := domain.DecodeJSON(body, &r); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	agentID := ""
	if p.Role == RoleAgent {
		agentID = p.Subject
	}
	t, err := s.Worklist.TakeUp(c, id, r, p.Name(), agentID)
	if err != nil {
		s.fail(c, notFound(err, domain.Demands, id))
		return
	}
	writeJSON(c, http.StatusCreated, t)
}

// listTakeups answers a demand's takeups to staff, agents and the enterprise that filed it;
// another enterprise gets the 404 of a missing demand.
func (s *Server) listTakeups(c *gin.Context) {
	h, err := s.records.demandHead(c, principal(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.Worklist.Takeups(c, h.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, TakeupList{DemandID: h.ID, Items: items})
}

// redeliver schedules one more attempt at a delivery now, for staff; 409 while it is pending.
func (s *Server) redeliver(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, domain.Invalid("id", "投递编号应为正整数，收到 %q", c.Param("id")))
		return
	}
	d, err := s.Worklist.Redeliver(c, id)
	if err != nil {
		s.fail(c, notFoundAs(err, "delivery", c.Param("id")))
		return
	}
	writeJSON(c, http.StatusOK, d)
}
