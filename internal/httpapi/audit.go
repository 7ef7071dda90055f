package httpapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// auditKinds are the kinds the audit log holds: the record kinds and the other objects.
var auditKinds = append(slices.Clone(domain.AllKinds), domain.AuditAgents, domain.AuditMatches, domain.AuditKeys, domain.AuditProfiles, domain.AuditWebhooks)

// auditLog answers a page of the audit log for staff, newest first, selected by subject (who
// did it: a whole actor name or its subject), kind and id (what it was done to) and from/to
// (dates, both included).
func (s *Server) auditLog(c *gin.Context) {
	f := domain.AuditFilter{Subject: c.Query("subject"), Kind: domain.Kind(c.Query("kind")), ID: c.Query("id")}
	if f.Kind != "" && !slices.Contains(auditKinds, f.Kind) {
		s.fail(c, domain.Invalid("kind", "kind 应为 %v 之一，收到 %q", auditKinds, f.Kind))
		return
	}
	if f.ID != "" && f.Kind == "" {
		s.fail(c, domain.Invalid("kind", "给 id 时须同时给 kind：不同类型的编号可能相同"))
		return
	}
	from, err := dayParam(c, "from", time.Time{})
	if err != nil {
		s.fail(c, err)
		return
	}
	to, err := dayParam(c, "to", time.Time{})
	if err != nil {
		s.fail(c, err)
		return
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		s.fail(c, domain.Invalid("to", "to 早于 from"))
		return
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	page, size, err := s.page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.Store.AuditLog(c, f, (page-1)*size, size)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"total": total, "page": page, "size": size, "items": items})
}
