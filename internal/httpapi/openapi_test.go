package httpapi_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/techmatch/techmatch/internal/httpapi"
)

// Every route the router serves is in the OpenAPI document, and nothing else is.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	srv := httpapi.New(httpapi.Deps{})
	doc := httpapi.OpenAPIDocument()
	paths := doc["paths"].(map[string]any)
	served := map[string]bool{}
	for _, r := range srv.Routes() {
		if r.Path == "/" || strings.HasPrefix(r.Path, "/assets") || r.Method == "HEAD" {
			continue // the web console, not the API
		}
		p := httpapi.OpenAPIPath(r.Path)
		served[strings.ToLower(r.Method)+" "+p] = true
		item, ok := paths[p].(map[string]any)
		if !ok || item[strings.ToLower(r.Method)] == nil {
			t.Errorf("%s %s is served but not in openapi.json", r.Method, p)
		}
	}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if !served[m+" "+p] {
				t.Errorf("openapi.json describes %s %s, which is not served", m, p)
			}
		}
	}
}

// TestOpenAPIDocumentIsValid: the document passes an OpenAPI 3 validator (kin-openapi), every
// JSON body and answer has a schema with properties or a reference (no bare objects a client
// generator would type as "any"), creates document 201 and deletes 204, and the record
// schemas carry the fields the domain types encode.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	data, err := json.Marshal(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	typed := func(where string, ref *openapi3.SchemaRef) {
		t.Helper()
		if ref == nil || (ref.Ref == "" && ref.Value != nil && ref.Value.Type.Is("object") && len(ref.Value.Properties) == 0 && ref.Value.AdditionalProperties.Schema == nil) {
			t.Errorf("%s has no typed schema", where)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			}
			if op.RequestBody != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					typed(where+" request body", mt.Schema)
				}
			}
			for code, resp := range op.Responses.Map() {
				if mt := resp.Value.Content.Get("application/json"); mt != nil && path != "/openapi.json" {
					typed(where+" answer "+code, mt.Schema)
				}
			}
			if method == "DELETE" && op.Responses.Value("204") == nil {
				t.Errorf("%s documents no 204", where)
			}
			if method == "POST" && (path == "/v1/achievements" || path == "/v1/demands" || path == "/v1/keys" || path == "/v1/agents") && op.Responses.Value("201") == nil {
				t.Errorf("%s documents no 201", where)
			}
		}
	}
	for name, want := range map[string][]string{
		"Achievement": {"id", "title", "summary", "keywords", "fields", "region", "trl", "transfer_modes", "price", "contact", "rev", "updated_at"},
		"Demand":      {"id", "title", "description", "budget", "min_trl", "accept_modes", "deadline", "challenge", "status"},
		"MatchList":   {"matches", "excluded", "profile"},
		"AuditEntry":  {"seq", "at", "actor", "action", "kind", "id"},
	} {
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("no component schema %s", name)
			continue
		}
		for _, f := range want {
			if s.Value.Properties[f] == nil {
				t.Errorf("schema %s has no property %s", name, f)
			}
		}
	}
	if s := doc.Components.Schemas["Demand"].Value; len(s.Required) != 0 || !slices.Equal(s.Properties["status"].Value.Enum, []any{"open", "matched", "closed"}) {
		t.Errorf("Demand requires %v and has status enum %v; want nothing required (the server makes ids) and the statuses", s.Required, s.Properties["status"].Value.Enum)
	}
	if items := doc.Components.Schemas["Achievement"].Value.Properties["transfer_modes"].Value.Items; items == nil || len(items.Value.Enum) != 6 {
		t.Errorf("Achievement.transfer_modes items = %+v, want the six modes", items)
	}
	page := doc.Paths.Find("/v1/search").Get.Parameters.GetByInAndName("query", "page")
	if page == nil || !page.Schema.Value.Type.Is("integer") {
		t.Errorf("search's page parameter is not an integer: %+v", page)
	}
}
