package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// Role is what a caller may do.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleAgent      Role = "agent"
	RoleEnterprise Role = "enterprise"
	RoleAnonymous  Role = "anonymous"
)

// Principal is the authenticated caller.
type Principal struct {
	Role    Role
	Subject string // enterprise name or agent id
	KeyID   string
}

// SeesContacts reports whether contacts are shown unmasked to p.
func (p Principal) SeesContacts() bool { return p.Role == RoleAdmin || p.Role == RoleAgent }

// Name is how the caller is recorded in audit logs and profile authors.
func (p Principal) Name() string {
	if p.Subject != "" {
		return string(p.Role) + ":" + p.Subject
	}
	return string(p.Role)
}

// authenticate resolves the bearer key; no header means anonymous, a wrong key is 401.
func (s *Server) authenticate(c *gin.Context) {
	p := Principal{Role: RoleAnonymous}
	h := c.GetHeader("Authorization")
	if h != "" {
		key, ok := strings.CutPrefix(h, "Bearer ")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "Authorization must be \"Bearer <key>\""))
			return
		}
		admin := s.Config.Auth.AdminKey
		if admin == "" || subtle.ConstantTimeCompare([]byte(key), []byte(admin)) != 1 {
			s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "unknown API key"))
			return
		}
		p = Principal{Role: RoleAdmin, Subject: "", KeyID: "bootstrap"}
	}
	c.Set("principal", p)
	c.Next()
}

func principal(c *gin.Context) Principal {
	if p, ok := c.Get("principal"); ok {
		return p.(Principal)
	}
	return Principal{Role: RoleAnonymous}
}

// requireAdmin guards staff-only routes: 401 without a key, 403 with a key of another role.
func (s *Server) requireAdmin(c *gin.Context) {
	switch principal(c).Role {
	case RoleAdmin:
		c.Next()
	case RoleAnonymous:
		s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "this route needs an API key: Authorization: Bearer <key>"))
	default:
		s.fail(c, domain.Errorf(domain.CodePermissionDenied, "this route is for platform staff (admin keys)"))
	}
}

// me tells the caller who the key says they are, so a console can offer only what the role may do.
func (s *Server) me(c *gin.Context) {
	p := principal(c)
	writeJSON(c, http.StatusOK, gin.H{"role": p.Role, "subject": p.Subject})
}
