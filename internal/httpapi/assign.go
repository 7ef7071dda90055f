package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/worklist"
)

// maxAssignDemands bounds one bulk assignment.
const maxAssignDemands = 500

// AssignRequest is the body of POST /v1/assignments and /v1/demands/{id}/assign.
type AssignRequest struct {
	// DemandIDs are the demands to hand over (bulk only; the single route takes the path's id).
	DemandIDs []string `json:"demand_ids,omitempty"`
	// AgentID takes the demands' open entries; "" leaves them unassigned.
	AgentID string `json:"agent_id"`
}

// AssignAnswer says what became of each demand.
type AssignAnswer struct {
	AgentID string              `json:"agent_id"`
	Results []worklist.Assigned `json:"results"`
}

// assignDemand hands one demand's open entries to an agent (staff).
func (s *Server) assignDemand(c *gin.Context) {
	s.assign(c, c.Param("id"))
}

// assignMany hands the open entries of many demands to an agent (staff).
func (s *Server) assignMany(c *gin.Context) {
	s.assign(c, "")
}

func (s *Server) assign(c *gin.Context, pathID string) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req AssignRequest
	if err := domain.DecodeJSON(body, &req); err != nil {
		s.fail(c, err)
		return
	}
	ids := req.DemandIDs
	switch {
	case pathID != "" && len(ids) > 0:
		s.fail(c, domain.Invalid("demand_ids", "批量分配请用 POST /v1/assignments 并给出 demand_ids；这个接口只分配路径中的需求"))
		return
	case pathID != "":
		ids = []string{pathID}
	case len(ids) == 0:
		s.fail(c, domain.Invalid("demand_ids", "demand_ids 为必填项"))
		return
	case len(ids) > maxAssignDemands:
		s.fail(c, domain.Invalid("demand_ids", "一次最多 %d 个需求，收到 %d 个", maxAssignDemands, len(ids)))
		return
	}
	for i, id := range ids {
		if !domain.ValidID(id) {
			s.fail(c, domain.InvalidID("demand_ids", ids[i]))
			return
		}
	}
	res, err := s.Worklist.Assign(c, ids, req.AgentID)
	if err != nil {
		s.fail(c, notFoundAs(err, "agent", req.AgentID))
		return
	}
	if pathID != "" && res[0].Error != "" {
		s.fail(c, domain.Errorf(domain.CodeNotFound, "企业需求 %q 不存在", pathID))
		return
	}
	writeJSON(c, http.StatusOK, AssignAnswer{AgentID: req.AgentID, Results: res})
}
