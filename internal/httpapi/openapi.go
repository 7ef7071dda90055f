package httpapi

import (
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
	"github.com/techmatch/techmatch/internal/worklist"
)

// route describes one operation for the OpenAPI document.
type route struct {
	method, path, summary string
	params                []string                  // query parameters (their schemas: paramSchemas)
	paramTypes            map[string]map[string]any // this route's own schemas of parameters, over paramSchemas
	body                  string                    // request body kind: "", "json", "ndjson"
	req                   any                       // the JSON body's type, as a zero value
	resp                  any                       // the answer's type (a zero value, pageOf or object); nil with no body
	created               bool                      // answers 201 when it makes the object, 200 when it replaces one
	empty                 bool                      // answers 204 without a body
	text                  bool                      // answers text/plain (metrics)
	admin                 bool
}

func apiRoutes() []route {
	rs := []route{
		{method: "GET", path: "/healthz", summary: "Liveness", resp: object{"status": ""}},
		{method: "GET", path: "/readyz", summary: "Readiness: store and index; Redis reported, not required", resp: object{"ready": true, "checks": map[string]string{}}},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics", text: true},
		{method: "GET", path: "/openapi.json", summary: "This document", resp: map[string]any{}},
		{method: "GET", path: "/v1/me", summary: "The caller's role and subject, from the API key", resp: object{"role": Role(""), "subject": ""}},
		{method: "GET", path: "/v1/search", summary: "Full-text search of supply with filters, facets and highlights; closed records and patents no longer in force are left out unless include_inactive=true, and marked (inactive) when included", params: []string{"q", "kind", "field", "region", "trl_min", "mode", "include_inactive", "page", "size"}, resp: SearchAnswer{}},
		{method: "POST", path: "/v1/match", summary: "Rank supply for a demand given in the body (not stored)", params: []string{"kind", "limit", "profile"}, body: "json", req: domain.Demand{}, resp: domain.MatchList{}},
		{method: "GET", path: "/v1/demands/{id}/matches", summary: "Rank supply for a stored demand", params: []string{"kind", "limit", "profile"}, resp: domain.MatchList{}},
		{method: "GET", path: "/v1/profiles", summary: "Weight profiles, current versions", resp: object{"profiles": []domain.Profile{}}},
		{method: "POST", path: "/v1/profiles/preview", summary: "Compare a candidate profile with the current one on given or sampled demands", body: "json", req: PreviewRequest{}, resp: match.Preview{}, admin: true},
		{method: "GET", path: "/v1/profiles/{name}", summary: "A profile's current version", resp: domain.Profile{}},
		{method: "PUT", path: "/v1/profiles/{name}", summary: "Publish a new version of a profile", body: "json", req: ProfileChange{}, resp: domain.Profile{}, admin: true},
		{method: "GET", path: "/v1/profiles/{name}/versions", summary: "A profile's history", resp: object{"name": "", "versions": []domain.Profile{}}},
		{method: "POST", path: "/v1/profiles/{name}/rollback", summary: "Publish a new version equal to an old one", params: []string{"version"}, resp: domain.Profile{}, admin: true},
		{method: "POST", path: "/v1/keys", summary: "Make an API key for a role and subject; the key is shown once", body: "json", req: KeyRequest{}, resp: NewKey{}, created: true, admin: true},
		{method: "GET", path: "/v1/keys", summary: "API keys without their secrets, revoked ones included", resp: object{"keys": []domain.APIKey{}}, admin: true},
		{method: "DELETE", path: "/v1/keys/{id}", summary: "Revoke an API key at once", empty: true, admin: true},
		{method: "GET", path: "/v1/audit", summary: "Audit log, newest first: who (subject: an actor such as agent:agt-1, or its subject alone) did what to which object (kind, id), from/to dates; every write has its entry, written in the write's own transaction", params: []string{"subject", "kind", "id", "from", "to", "page", "size"}, resp: pageOf{domain.AuditEntry{}}, admin: true},
		// Agents' match lists, workflow, alerts and stats.
		{method: "POST", path: "/v1/agents", summary: "Create or replace an agent: regions, fields, capacity, webhook_url", body: "json", req: domain.Agent{}, resp: domain.Agent{}, created: true, admin: true},
		{method: "GET", path: "/v1/agents", summary: "List agents", params: []string{"page", "size"}, resp: pageOf{domain.Agent{}}, admin: true},
		{method: "GET", path: "/v1/agents/{id}", summary: "Read an agent (staff, or the agent itself)", resp: domain.Agent{}},
		{method: "PUT", path: "/v1/agents/{id}", summary: "Replace an agent", body: "json", req: domain.Agent{}, resp: domain.Agent{}, created: true, admin: true},
		{method: "DELETE", path: "/v1/agents/{id}", summary: "Delete an agent; its open entries become unassigned", empty: true, admin: true},
		{method: "GET", path: "/v1/agents/{id}/matches", summary: "An agent's match list; format=csv or xlsx downloads it whole", params: []string{"status", "page", "size", "format"}, resp: pageOf{domain.MatchEntry{}}},
		{method: "GET", path: "/v1/matches", summary: "All match-list entries, by demand, agent, status or unassigned=true", params: []string{"demand_id", "agent_id", "status", "unassigned", "page", "size"}, resp: pageOf{domain.MatchEntry{}}, admin: true},
		{method: "GET", path: "/v1/matches/{id}", summary: "One match-list entry with its history", resp: domain.MatchEntry{}},
		{method: "PATCH", path: "/v1/matches/{id}", summary: "Move an entry along new → contacted → negotiating → signed, or reject it; 409 when illegal or the entry is withdrawn (its demand deleted or closed)", body: "json", req: domain.EntryUpdate{}, resp: domain.MatchEntry{}},
		{method: "POST", path: "/v1/assignments", summary: "Hand the open entries of many demands (demand_ids, at most 500) to an agent, or to nobody with agent_id \"\"; each demand in its own transaction, a webhook per demand the agent takes", body: "json", req: AssignRequest{}, resp: AssignAnswer{}, admin: true},
		{method: "POST", path: "/v1/demands/{id}/assign", summary: "Hand one demand's open entries to an agent (agent_id), or to nobody", body: "json", req: AssignRequest{}, resp: AssignAnswer{}, admin: true},
		{method: "GET", path: "/v1/webhooks/deliveries", summary: "Webhook delivery log, newest first, by agent and status", params: []string{"agent_id", "status", "page", "size"},
			paramTypes: map[string]map[string]any{"status": {"type": "string", "enum": domain.DeliveryStatuses}}, resp: pageOf{domain.Delivery{}}, admin: true},
		{method: "POST", path: "/v1/webhooks/deliveries/{id}/redeliver", summary: "Schedule one more attempt at a delivered or failed delivery, due now; 409 while it is pending", resp: domain.Delivery{}, admin: true},
		{method: "POST", path: "/v1/demands/{id}/takeups", summary: "揭榜: register a supply record's interest in an open challenge (agents, staff); 409 naming why when the demand is no challenge, is closed or past its deadline, or the supply took it up already", body: "json", req: domain.TakeupRequest{}, resp: domain.Takeup{}, created: true},
		{method: "GET", path: "/v1/demands/{id}/takeups", summary: "A challenge's takeups, oldest first (staff, agents, the enterprise that filed it)", resp: TakeupList{}},
		{method: "GET", path: "/v1/stats", summary: "Funnel, breakdowns by field, region and agent, signed amount, matches per demand and per day", params: []string{"from", "to"}, resp: worklist.Stats{}, admin: true},
	}
	for _, k := range domain.AllKinds {
		p := "/v1/" + string(k)
		rec, _ := domain.NewRecord(k)
		create := "Create or replace a record of " + string(k)
		if k == domain.Demands {
			create += "; an enterprise creates without an id (the server makes one) and may give only the id of a demand it filed, any other id answering 404"
		}
		rs = append(rs,
			route{method: "POST", path: p, summary: create, body: "json", req: rec, resp: rec, created: true, admin: true},
			route{method: "GET", path: p, summary: "List " + string(k), params: []string{"page", "size"}, resp: pageOf{rec}},
			route{method: "POST", path: p + "/import", summary: "Bulk import: NDJSON, one record per line, or a CSV or XLSX table (body or multipart `file`); per-line report", body: "ndjson", resp: ImportReport{}, admin: true},
			route{method: "GET", path: p + "/{id}", summary: "Read one record", resp: rec},
			route{method: "PUT", path: p + "/{id}", summary: "Replace one record", body: "json", req: rec, resp: rec, created: true, admin: true},
			route{method: "DELETE", path: p + "/{id}", summary: "Delete one record", empty: true, admin: true},
		)
		if k.IsSupply() {
			rs = append(rs, route{method: "GET", path: p + "/{id}/demands", summary: "Open demands ranked for this item (reverse matching)", params: []string{"limit", "profile"}, resp: domain.MatchList{}})
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

// OpenAPIDocument describes every route of the API, with request and answer schemas made
// from the Go types the handlers decode and encode (openapischema.go).
func OpenAPIDocument() map[string]any {
	schemas := newSchemaSet()
	errResp := map[string]any{"description": "Error", "content": jsonContent(map[string]any{"$ref": "#/components/schemas/Error"})}
	paths := map[string]any{}
	rules := AccessRules()
	for _, r := range apiRoutes() {
		responses := map[string]any{"default": errResp}
		switch {
		case r.empty:
			responses["204"] = map[string]any{"description": "Done; no body"}
		case r.text:
			responses["200"] = map[string]any{"description": "OK", "content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}
		default:
			ok := map[string]any{"description": "OK", "content": jsonContent(schemas.of(r.resp))}
			responses["200"] = ok
			if r.created {
				responses["201"] = map[string]any{"description": "Created", "content": ok["content"]}
			}
		}
		op := map[string]any{"summary": r.summary, "operationId": operationID(r), "responses": responses}
		var params []any
		for _, seg := range strings.Split(r.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.params {
			schema, ok := r.paramTypes[q]
			if !ok {
				schema = paramSchema(q)
			}
			params = append(params, map[string]any{"name": q, "in": "query", "schema": schema})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch r.body {
		case "json":
			op["requestBody"] = map[string]any{"required": true, "content": jsonContent(schemas.of(r.req))}
		case "ndjson":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/x-ndjson": map[string]any{"schema": map[string]any{"type": "string"}},
				"text/csv":             map[string]any{"schema": map[string]any{"type": "string"}},
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
				"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}},
			}}
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
	schemas.defs["Error"] = schemas.structBody(reflect.TypeFor[errorBody]())
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "techmatch", "version": "1", "description": "Matches R&D supply (achievements, patents, experts) with enterprise technical demands."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas":         schemas.defs,
		},
	}
}

func jsonContent(schema map[string]any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

// operationID names an operation for client generators: the method and the path's words,
// getV1DemandsIdMatches for GET /v1/demands/{id}/matches.
func operationID(r route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.method))
	for _, seg := range strings.Split(r.path, "/") {
		for _, w := range strings.FieldsFunc(strings.Trim(seg, "{}"), func(c rune) bool { return c == '_' || c == '.' || c == '-' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
