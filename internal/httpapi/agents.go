package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
	"github.com/techmatch/techmatch/internal/worklist"
)

// Worklist is the agents' side of the service: agents, their match lists, alerts and stats.
type Worklist interface {
	PutAgent(ctx context.Context, a *domain.Agent) (bool, error)
	Agent(ctx context.Context, id string) (*domain.Agent, error)
	Agents(ctx context.Context, offset, limit int) ([]*domain.Agent, int, error)
	DeleteAgent(ctx context.Context, id string) error
	Entry(ctx context.Context, id string) (*domain.MatchEntry, error)
	Entries(ctx context.Context, f domain.EntryFilter, offset, limit int) ([]*domain.MatchEntry, int, error)
	Update(ctx context.Context, id string, u domain.EntryUpdate, who string) (*domain.MatchEntry, error)
	Deliveries(ctx context.Context, f domain.DeliveryFilter, offset, limit int) ([]domain.Delivery, int, error)
	Redeliver(ctx context.Context, id int64) (*domain.Delivery, error)
	Stats(ctx context.Context, from, to time.Time) (*worklist.Stats, error)
	Assign(ctx context.Context, demandIDs []string, agentID string) ([]worklist.Assigned, error)
	Adopt(ctx context.Context, a *domain.Agent) (int, error)
	TakeUp(ctx context.Context, demandID string, r domain.TakeupRequest, who, agentID string) (*domain.Takeup, error)
	Takeups(ctx context.Context, demandID string) ([]*domain.Takeup, error)
}

var _ Worklist = (*worklist.Service)(nil)

// requireAgentOrAdmin lets staff and the agent agentID through: an agent sees only its own list.
func (s *Server) requireAgentOrAdmin(c *gin.Context, agentID string) bool {
	p := principal(c)
	switch {
	case p.Role == RoleAdmin || p.Role == RoleAgent && p.Subject == agentID:
		return true
	case p.Role == RoleAnonymous:
		s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "这个接口需要 API 密钥：Authorization: Bearer <密钥>"))
	default:
		s.fail(c, domain.Errorf(domain.CodePermissionDenied, "只有平台管理员和经纪人 %s 能查看", agentID))
	}
	return false
}

func (s *Server) putAgent(c *gin.Context) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var a domain.Agent
	if err := domain.DecodeJSON(body, &a); err != nil {
		s.fail(c, err)
		return
	}
	switch id := c.Param("id"); {
	case id != "" && a.ID == "":
		a.ID = id
	case id != "" && a.ID != id:
		s.fail(c, domain.Invalid("id", "请求体中的编号 %q 与路径中的编号 %q 不一致", a.ID, id))
		return
	}
	if err := a.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	if a.WebhookURL != "" && !s.Config.Webhook.AllowPrivate {
		if err := worklist.CheckTarget(a.WebhookURL); err != nil {
			s.fail(c, domain.Invalid("webhook_url", "%v", err))
			return
		}
	}
	created, err := s.Worklist.PutAgent(c, &a)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Open demands it covers that no agent holds reach it now, not at their next write.
	if n, err := s.Worklist.Adopt(c, &a); err != nil {
		s.log.WarnContext(c, "agent saved, unassigned demands not handed over", "agent", a.ID, "err", err, "request_id", requestID(c))
	} else if n > 0 {
		s.log.InfoContext(c, "agent took unassigned demands", "agent", a.ID, "demands", n)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(c, status, &a)
}

func (s *Server) getAgent(c *gin.Context) {
	id := c.Param("id")
	if !s.requireAgentOrAdmin(c, id) {
		return
	}
	a, err := s.Worklist.Agent(c, id)
	if err != nil {
		s.fail(c, notFoundAs(err, "agent", id))
		return
	}
	writeJSON(c, http.StatusOK, a)
}

func (s *Server) listAgents(c *gin.Context) {
	page, size, err := s.page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.Worklist.Agents(c, (page-1)*size, size)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"total": total, "page": page, "size": size, "items": items})
}

func (s *Server) deleteAgent(c *gin.Context) {
	id := c.Param("id")
	if err := s.Worklist.DeleteAgent(c, id); err != nil {
		s.fail(c, notFoundAs(err, "agent", id))
		return
	}
	c.Status(http.StatusNoContent)
}

// notFoundAs gives a store's not-found error a message that names what is missing.
func notFoundAs(err error, what, id string) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeNotFound, "%s %q 不存在", thing(what), id)
	}
	return err
}

// maxExportRows bounds an exported list.
const maxExportRows = 50000

// agentMatches serves an agent's list as JSON pages, or whole as format=csv or xlsx.
func (s *Server) agentMatches(c *gin.Context) {
	id := c.Param("id")
	if !s.requireAgentOrAdmin(c, id) {
		return
	}
	if _, err := s.Worklist.Agent(c, id); err != nil {
		s.fail(c, notFoundAs(err, "agent", id))
		return
	}
	f := domain.EntryFilter{AgentID: id, Status: c.Query("status")}
	if f.Status != "" && !slices.Contains(domain.EntryStatuses, f.Status) {
		s.fail(c, domain.Invalid("status", "status 应为 %v 之一", domain.EntryStatuses))
		return
	}
	switch format := sheet.Format(c.Query("format")); format {
	case "", "json":
	case sheet.CSV, sheet.XLSX:
		items, _, err := s.Worklist.Entries(c, f, 0, maxExportRows)
		if err != nil {
			s.fail(c, err)
			return
		}
		var buf bytes.Buffer
		if err := sheet.WriteEntries(&buf, format, items); err != nil {
			s.fail(c, fmt.Errorf("httpapi: export %s list of %s: %w", format, id, err))
			return
		}
		name := fmt.Sprintf("matches-%s-%s.%s", id, time.Now().Format("20060102"), format)
		c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		c.Data(http.StatusOK, sheet.ContentTypes[format], buf.Bytes())
		return
	default:
		s.fail(c, domain.Invalid("format", "format 应为 json、csv 或 xlsx，收到 %q", format))
		return
	}
	s.writeEntries(c, f)
}

// needWorklist answers 503 on the worklist routes of a server built without one.
func (s *Server) needWorklist(c *gin.Context) {
	if s.Worklist == nil {
		s.fail(c, domain.Errorf(domain.CodeUnavailable, "本服务器未开启经纪人匹配单"))
		return
	}
	c.Next()
}
