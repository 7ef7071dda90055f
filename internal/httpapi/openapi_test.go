package httpapi_test

import (
	"strings"
	"testing"

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
