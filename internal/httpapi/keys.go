package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// KeyStore keeps API keys; it sees only digests of the secrets.
type KeyStore interface {
	CreateKey(ctx context.Context, k *domain.APIKey, hash []byte) error
	KeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error)
	Keys(ctx context.Context) ([]domain.APIKey, error)
	RevokeKey(ctx context.Context, id string) error
}

// keyPrefix marks techmatch keys so that a leaked one is recognisable (secret scanners, logs).
const (
	keyPrefix    = "tmk_"
	maxKeyLen    = 256
	maxSubjectLn = 200
)

// KeyRequest is the body of POST /v1/keys.
type KeyRequest struct {
	Role    Role   `json:"role"`
	Subject string `json:"subject"`
}

// NewKey answers POST /v1/keys; Key is shown this once.
type NewKey struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Role      Role      `json:"role"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
}

func (r *KeyRequest) validate() error {
	switch r.Role {
	case RoleAdmin, RoleAgent, RoleEnterprise:
	case "":
		return domain.Invalid("role", "role 为必填项：admin、agent 或 enterprise")
	default:
		return domain.Invalid("role", "role 应为 admin、agent 或 enterprise，收到 %q", r.Role)
	}
	r.Subject = strings.TrimSpace(r.Subject)
	switch {
	case r.Subject == "" && r.Role != RoleAdmin:
		return domain.Invalid("subject", "角色 %s 须给出 subject：%s", r.Role, map[Role]string{RoleAgent: "经纪人编号", RoleEnterprise: "企业名称"}[r.Role])
	case utf8.RuneCountInString(r.Subject) > maxSubjectLn:
		return domain.Invalid("subject", "subject 超过 %d 个字符", maxSubjectLn)
	case strings.IndexFunc(r.Subject, unicode.IsControl) >= 0:
		return domain.Invalid("subject", "subject 含有控制字符")
	}
	return nil
}

func (s *Server) keysAvailable(c *gin.Context) bool {
	if s.Keys == nil {
		s.fail(c, domain.Errorf(domain.CodeUnavailable, "本服务器不保存 API 密钥，只能使用启动时配置的管理员密钥"))
		return false
	}
	return true
}

// createKey makes a key for a role and subject. The secret is 32 random bytes; only its
// digest is stored, so it cannot be shown again.
func (s *Server) createKey(c *gin.Context) {
	if !s.keysAvailable(c) {
		return
	}
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req KeyRequest
	if err := domain.DecodeJSON(body, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := req.validate(); err != nil {
		s.fail(c, err)
		return
	}
	var secret [32]byte
	var id [8]byte
	_, _ = rand.Read(secret[:]) // crypto/rand.Read never fails on supported platforms
	_, _ = rand.Read(id[:])
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	k := domain.APIKey{ID: "key-" + hex.EncodeToString(id[:]), Role: string(req.Role), Subject: req.Subject, CreatedBy: principal(c).Name()}
	if err := s.Keys.CreateKey(c, &k, hashKey(key)); err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusCreated, NewKey{ID: k.ID, Key: key, Role: req.Role, Subject: k.Subject, CreatedAt: k.CreatedAt})
}

// listKeys shows every key without its secret, revoked ones included.
func (s *Server) listKeys(c *gin.Context) {
	if !s.keysAvailable(c) {
		return
	}
	keys, err := s.Keys.Keys(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"keys": keys})
}

// revokeKey revokes a key; the next request with it is 401.
func (s *Server) revokeKey(c *gin.Context) {
	if !s.keysAvailable(c) {
		return
	}
	id := c.Param("id")
	if err := s.Keys.RevokeKey(c, id); err != nil {
		if isNotFound(err) {
			err = domain.Errorf(domain.CodeNotFound, "密钥 %q 不存在", id)
		}
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
