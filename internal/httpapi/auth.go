package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
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

// SeesContacts reports whether contacts are shown unmasked to p on any record: staff, and
// agents, whose work is to put the two sides in touch.
func (p Principal) SeesContacts() bool { return p.Role == RoleAdmin || p.Role == RoleAgent }

// SeesContactsOf reports whether p sees r's contact unmasked: besides staff and agents, an
// enterprise sees the contacts on its own demands. Supply contacts stay masked for
// enterprises, so that first contact goes through an agent.
func (p Principal) SeesContactsOf(r domain.Record) bool {
	if p.SeesContacts() {
		return true
	}
	d, ok := r.(*domain.Demand)
	return ok && p.owns(d)
}

// owns reports whether an enterprise key owns the demand.
func (p Principal) owns(d *domain.Demand) bool {
	return p.Role == RoleEnterprise && p.Subject != "" && d.Enterprise == p.Subject
}

// Name is how the caller is recorded in audit logs and profile authors.
func (p Principal) Name() string {
	if p.Subject != "" {
		return string(p.Role) + ":" + p.Subject
	}
	return string(p.Role)
}

// hashKey is what the store keeps of a key: a SHA-256 digest. Keys are 32 random bytes, so
// a plain digest needs no salt or stretching, and lookups by digest need no constant-time compare.
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// authenticate resolves the bearer key; no header means anonymous, a wrong or revoked key is 401.
// Keys are looked up in the store on every request, so a revocation takes effect at once.
// Failures are limited per client address before any lookup (see authGuard).
func (s *Server) authenticate(c *gin.Context) {
	p := Principal{Role: RoleAnonymous}
	if h := c.GetHeader("Authorization"); h != "" {
		addr := clientAddr(c)
		if ok, wait := s.auth.reserve(addr); !ok {
			s.auth.refuse(s, c, addr, wait)
			return
		}
		key, ok := strings.CutPrefix(h, "Bearer ")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			s.auth.note(c, addr, authMalformed)
			s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "Authorization 应为 \"Bearer <密钥>\""))
			return
		}
		var err error
		if p, err = s.lookupKey(c, key); err != nil {
			if e, ok := domain.AsError(err); ok && e.Code == domain.CodeUnauthenticated {
				s.auth.note(c, addr, authUnknown)
			} else {
				s.auth.release(addr)
			}
			s.fail(c, err)
			return
		}
		s.auth.release(addr)
	}
	c.Set("principal", p)
	// Every write the request makes is audited under this name, in the write's transaction.
	c.Request = c.Request.WithContext(domain.WithActor(c.Request.Context(), domain.Actor{Name: p.Name(), RequestID: requestID(c)}))
	c.Next()
}

func (s *Server) lookupKey(c *gin.Context, key string) (Principal, error) {
	if admin := s.Config.Auth.AdminKey; admin != "" && subtle.ConstantTimeCompare([]byte(key), []byte(admin)) == 1 {
		return Principal{Role: RoleAdmin, KeyID: "bootstrap"}, nil
	}
	unknown := domain.Errorf(domain.CodeUnauthenticated, "API 密钥不存在或已吊销")
	if s.Keys == nil || len(key) > maxKeyLen {
		return Principal{}, unknown
	}
	k, err := s.Keys.KeyByHash(c, hashKey(key))
	if errors.Is(err, domain.ErrNotFound) {
		return Principal{}, unknown
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Role: Role(k.Role), Subject: k.Subject, KeyID: k.ID}, nil
}

func principal(c *gin.Context) Principal {
	if p, ok := c.Get("principal"); ok {
		return p.(Principal)
	}
	return Principal{Role: RoleAnonymous}
}

// me tells the caller who the key says they are, so a console can offer only what the role may do.
func (s *Server) me(c *gin.Context) {
	p := principal(c)
	writeJSON(c, http.StatusOK, gin.H{"role": p.Role, "subject": p.Subject})
}
