package httpapi

import (
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// Role sets that routes allow.
var (
	everyone      = []Role{RoleAdmin, RoleAgent, RoleEnterprise, RoleAnonymous}
	withKey       = []Role{RoleAdmin, RoleAgent, RoleEnterprise}
	staffOrAgent  = []Role{RoleAdmin, RoleAgent}
	demandWriters = []Role{RoleAdmin, RoleEnterprise}
	staffOnly     = []Role{RoleAdmin}
)

// AccessRules says which roles may call each route, keyed "METHOD /gin/path". It is the one
// place that decides; a route missing here is staff-only (authorize fails closed), and a test
// walks every registered route to make sure none is missing. Which records within a route a
// role may touch (an enterprise's own demands) is decided by the handlers.
func AccessRules() map[string][]Role {
	rules := map[string][]Role{
		"GET /healthz":      everyone,
		"GET /readyz":       everyone,
		"GET /metrics":      everyone,
		"GET /openapi.json": everyone,
		"GET /":             everyone, // the web console: it asks for a key itself
		"HEAD /":            everyone,
		"GET /assets/*file": everyone,

		"GET /v1/me":     everyone,
		"GET /v1/search": everyone,
		// Ad-hoc matching computes on the caller's behalf; enterprises are who it is for.
		"POST /v1/match":              withKey,
		"GET /v1/demands/:id/matches": withKey,

		"POST /v1/keys":       staffOnly,
		"GET /v1/keys":        staffOnly,
		"DELETE /v1/keys/:id": staffOnly,
		"GET /v1/audit":       staffOnly,

		// Profiles explain the rankings, so anyone may read them; only staff change them.
		"GET /v1/profiles":                 everyone,
		"GET /v1/profiles/:name":           everyone,
		"GET /v1/profiles/:name/versions":  everyone,
		"PUT /v1/profiles/:name":           staffOnly,
		"POST /v1/profiles/preview":        staffOnly,
		"POST /v1/profiles/:name/rollback": staffOnly,
	}
	for _, k := range domain.AllKinds {
		p := "/v1/" + string(k)
		rules["POST "+p+"/import"] = staffOnly
		if k.IsSupply() {
			rules["POST "+p] = staffOnly
			rules["GET "+p] = everyone
			rules["GET "+p+"/:id"] = everyone
			rules["PUT "+p+"/:id"] = staffOnly
			rules["DELETE "+p+"/:id"] = staffOnly
			// Reverse matching lists open demands, which are not public.
			rules["GET "+p+"/:id/demands"] = staffOrAgent
			continue
		}
		rules["POST "+p] = demandWriters
		rules["GET "+p] = withKey
		rules["GET "+p+"/:id"] = withKey
		rules["PUT "+p+"/:id"] = demandWriters
		rules["DELETE "+p+"/:id"] = demandWriters
	}
	for route, roles := range agentRules {
		rules[route] = roles
	}
	return rules
}

// agentRules are the routes of agents' match lists. Handlers narrow an agent to its own list.
var agentRules = map[string][]Role{
	"POST /v1/agents":                            staffOnly,
	"GET /v1/agents":                             staffOnly,
	"GET /v1/agents/:id":                         staffOrAgent,
	"PUT /v1/agents/:id":                         staffOnly,
	"DELETE /v1/agents/:id":                      staffOnly,
	"GET /v1/agents/:id/matches":                 staffOrAgent,
	"GET /v1/matches":                            staffOnly,
	"GET /v1/matches/:id":                        staffOrAgent,
	"PATCH /v1/matches/:id":                      staffOrAgent,
	"GET /v1/webhooks/deliveries":                staffOnly,
	"POST /v1/webhooks/deliveries/:id/redeliver": staffOnly,
	"GET /v1/stats":                              staffOnly,
	// 揭榜: agents (for a supplier) and staff take challenges up; the enterprise reads its own
	// demands' takeups (the handler hides other enterprises' demands).
	"POST /v1/demands/:id/takeups": staffOrAgent,
	"GET /v1/demands/:id/takeups":  withKey,
	"POST /v1/assignments":         staffOnly,
	"POST /v1/demands/:id/assign":  staffOnly,
}

// authorize enforces AccessRules: 401 when a key is needed and none was given, 403 when the
// key's role may not call the route. Unmatched paths pass through to the 404 handler.
func (s *Server) authorize(rules map[string][]Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		route := c.FullPath()
		if route == "" {
			c.Next()
			return
		}
		roles, ok := rules[c.Request.Method+" "+route]
		if !ok {
			roles = staffOnly
		}
		p := principal(c)
		switch {
		case slices.Contains(roles, p.Role):
			c.Next()
		case p.Role == RoleAnonymous:
			s.fail(c, domain.Errorf(domain.CodeUnauthenticated, "这个接口需要 API 密钥（Authorization: Bearer <密钥>），角色为 %s", roleList(roles)))
		default:
			s.fail(c, domain.Errorf(domain.CodePermissionDenied, "角色为 %s 的密钥不能调用 %s %s；它只对 %s 开放", p.Role, c.Request.Method, route, roleList(roles)))
		}
	}
}

func roleList(roles []Role) string {
	parts := make([]string, 0, len(roles))
	for _, r := range roles {
		if r != RoleAnonymous {
			parts = append(parts, string(r))
		}
	}
	return strings.Join(parts, " or ")
}

func isNotFound(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }
