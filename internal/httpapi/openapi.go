package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// route describes one operation for the OpenAPI document.
type route struct {
	method, path, summary string
	params                []string // query parameters
	body                  string   // request body kind: "", "record", "ndjson", "json"
	admin                 bool
}

func apiRoutes() []route {
	rs := []route{
		{method: "GET", path: "/healthz", summary: "Liveness"},
		{method: "GET", path: "/readyz", summary: "Readiness: store and index; Redis reported, not required"},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics"},
		{method: "GET", path: "/openapi.json", summary: "This document"},
		{method: "GET", path: "/v1/me", summary: "The caller's role and subject, from the API key"},
		{method: "GET", path: "/v1/search", summary: "Full-text search of supply with filters, facets and highlights; closed records and patents no longer in force are left out unless include_inactive=true, and marked (inactive) when included", params: []string{"q", "kind", "field", "region", "trl_min", "mode", "include_inactive", "page", "size"}},
		{method: "POST", path: "/v1/match", summary: "Rank supply for a demand given in the body (not stored)", params: []string{"kind", "limit", "profile"}, body: "json"},
		{method: "GET", path: "/v1/demands/{id}/matches", summary: "Rank supply for a stored demand", params: []string{"kind", "limit", "profile"}},
		{method: "GET", path: "/v1/profiles", summary: "Weight profiles, current versions"},
		{method: "POST", path: "/v1/profiles/preview", summary: "Compare a candidate profile with the current one on given or sampled demands", body: "json", admin: true},
		{method: "GET", path: "/v1/profiles/{name}", summary: "A profile's current version"},
		{method: "PUT", path: "/v1/profiles/{name}", summary: "Publish a new version of a profile", body: "json", admin: true},
		{method: "GET", path: "/v1/profiles/{name}/versions", summary: "A profile's history"},
		{method: "POST", path: "/v1/profiles/{name}/rollback", summary: "Publish a new version equal to an old one", params: []string{"version"}, admin: true},
		{method: "POST", path: "/v1/keys", summary: "Make an API key for a role and subject; the key is shown once", body: "json", admin: true},
		{method: "GET", path: "/v1/keys", summary: "API keys without their secrets, revoked ones included", admin: true},
		{method: "DELETE", path: "/v1/keys/{id}", summary: "Revoke an API key at once", admin: true},
		{method: "GET", path: "/v1/audit", summary: "Audit log, newest first: who (subject: an actor such as agent:agt-1, or its subject alone) did what to which object (kind, id), from/to dates; every write has its entry, written in the write's own transaction", params: []string{"subject", "kind", "id", "from", "to", "page", "size"}, admin: true},
		// Agents' match lists, workflow, alerts and stats.
		{method: "POST", path: "/v1/agents", summary: "Create or replace an agent: regions, fields, capacity, webhook_url", body: "json", admin: true},
		{method: "GET", path: "/v1/agents", summary: "List agents", params: []string{"page", "size"}, admin: true},
		{method: "GET", path: "/v1/agents/{id}", summary: "Read an agent (staff, or the agent itself)"},
		{method: "PUT", path: "/v1/agents/{id}", summary: "Replace an agent", body: "json", admin: true},
		{method: "DELETE", path: "/v1/agents/{id}", summary: "Delete an agent; its open entries become unassigned", admin: true},
		{method: "GET", path: "/v1/agents/{id}/matches", summary: "An agent's match list; format=csv or xlsx downloads it whole", params: []string{"status", "page", "size", "format"}},
		{method: "GET", path: "/v1/matches", summary: "All match-list entries, by demand, agent, status or unassigned=true", params: []string{"demand_id", "agent_id", "status", "unassigned", "page", "size"}, admin: true},
		{method: "GET", path: "/v1/matches/{id}", summary: "One match-list entry with its history"},
		{method: "PATCH", path: "/v1/matches/{id}", summary: "Move an entry along new → contacted → negotiating → signed, or reject it; 409 when illegal or the entry is withdrawn (its demand deleted or closed)", body: "json"},
		{method: "GET", path: "/v1/webhooks/deliveries", summary: "Webhook delivery log", params: []string{"agent_id", "page", "size"}, admin: true},
		{method: "GET", path: "/v1/stats", summary: "Funnel, breakdowns by field, region and agent, signed amount, matches per demand and per day", params: []string{"from", "to"}, admin: true},
	}
	for _, k := range domain.AllKinds {
		p := "/v1/" + string(k)
		create := "Create or replace a record of " + string(k)
		if k == domain.Demands {
			create += "; an enterprise creates without an id (the server makes one) and may give only the id of a demand it filed, any other id answering 404"
		}
		rs = append(rs,
			route{method: "POST", path: p, summary: create, body: "record", admin: true},
			route{method: "GET", path: p, summary: "List " + string(k), params: []string{"page", "size"}},
			route{method: "POST", path: p + "/import", summary: "Bulk import: NDJSON, one record per line, or a CSV or XLSX table (body or multipart `file`); per-line report", body: "ndjson", admin: true},
			route{method: "GET", path: p + "/{id}", summary: "Read one record"},
			route{method: "PUT", path: p + "/{id}", summary: "Replace one record", body: "record", admin: true},
			route{method: "DELETE", path: p + "/{id}", summary: "Delete one record", admin: true},
		)
		if k.IsSupply() {
			rs = append(rs, route{method: "GET", path: p + "/{id}/demands", summary: "Open demands ranked for this item (reverse matching)", params: []string{"limit", "profile"}})
		}
	}
	return rs
}

// OpenAPIPath turns a gin path (/v1/x/:id) into an OpenAPI one (/v1/x/{id}).
func OpenAPIPath(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// ginPath turns an OpenAPI path (/v1/x/{id}) back into a gin one (/v1/x/:id).
func ginPath(openAPIPath string) string {
	parts := strings.Split(openAPIPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = ":" + strings.Trim(p, "{}")
		}
	}
	return strings.Join(parts, "/")
}

func (s *Server) openapi(c *gin.Context) {
	writeJSON(c, http.StatusOK, OpenAPIDocument())
}

// OpenAPIDocument describes every route of the API.
func OpenAPIDocument() map[string]any {
	errResp := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	paths := map[string]any{}
	rules := AccessRules()
	for _, r := range apiRoutes() {
		op := map[string]any{
			"summary": r.summary,
			"responses": map[string]any{
				"200":     map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{}}},
				"default": errResp,
			},
		}
		var params []any
		for _, seg := range strings.Split(r.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.params {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch r.body {
		case "record", "json":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		case "ndjson":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/x-ndjson": map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		roles, ok := rules[r.method+" "+ginPath(r.path)]
		if !ok {
			roles = staffOnly
		}
		op["x-roles"] = roles
		if r.admin || !slices.Contains(roles, RoleAnonymous) {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		item, _ := paths[r.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[r.path] = item
		}
		item[strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "techmatch", "version": "1", "description": "Matches R&D supply (achievements, patents, experts) with enterprise technical demands."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object", "properties": map[string]any{
				"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"}}}}}},
		},
	}
}
