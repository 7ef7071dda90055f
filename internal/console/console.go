// Package console serves the web console: an embedded, offline single-page app over the v1 API.
package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

//go:embed web
var webFS embed.FS

// contentSecurityPolicy keeps the console self-contained: nothing is loaded from elsewhere,
// and no inline script or style runs, so a highlight or a record that smuggles markup in
// cannot execute even if a renderer slipped.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Meta is what the console needs besides the API: the field taxonomy for filters and region
// names for display, taken from the same embedded files the matcher reads.
type Meta struct {
	Fields  []string `json:"fields"`
	Regions []Region `json:"regions"`
}

// Region is one administrative division as the console names it.
type Region struct {
	Code  string `json:"code" yaml:"code"`
	Name  string `json:"name" yaml:"name"`
	Short string `json:"short,omitempty" yaml:"short"`
}

// LoadMeta reads the taxonomy and region list from the embedded configs.
func LoadMeta() (*Meta, error) {
	taxYAML, err := fs.ReadFile(configs.FS, "taxonomy.yaml")
	if err != nil {
		return nil, fmt.Errorf("console: read taxonomy: %w", err)
	}
	regYAML, err := fs.ReadFile(configs.FS, "regions.yaml")
	if err != nil {
		return nil, fmt.Errorf("console: read regions: %w", err)
	}
	tax, err := taxonomy.Load(taxYAML, regYAML)
	if err != nil {
		return nil, fmt.Errorf("console: load taxonomy: %w", err)
	}
	// Taxonomy answers names for codes but does not list them; the console needs the list
	// for its region filter.
	var rf struct {
		Regions []Region `yaml:"regions"`
	}
	if err := yaml.Unmarshal(regYAML, &rf); err != nil {
		return nil, fmt.Errorf("console: parse regions: %w", err)
	}
	return &Meta{Fields: tax.Fields(), Regions: rf.Regions}, nil
}

// Mount adds the console to r: the app at /, its files under /assets/, and /assets/meta.json.
func Mount(r gin.IRoutes) {
	assets, err := fs.Sub(webFS, "web/assets")
	if err != nil {
		panic(err) // the embed directive guarantees the folder; failing here is a build mistake
	}
	index, err := webFS.ReadFile("web/index.html")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/assets/", http.FileServer(http.FS(assets)))
	meta := sync.OnceValues(func() ([]byte, error) {
		m, err := LoadMeta()
		if err != nil {
			return nil, err
		}
		return json.Marshal(m)
	})

	page := func(c *gin.Context) {
		secure(c)
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
	r.GET("/", page)
	r.HEAD("/", page)
	r.GET("/assets/*file", func(c *gin.Context) {
		secure(c)
		switch file := c.Param("file"); {
		case file == "/meta.json":
			body, err := meta()
			if err != nil {
				c.JSON(http.StatusInternalServerError, gin.H{"error": gin.H{"code": "internal", "message": err.Error()}})
				return
			}
			c.Data(http.StatusOK, "application/json; charset=utf-8", body)
		case strings.HasSuffix(file, "/"):
			// No directory listings: the console's files are not something to browse.
			c.JSON(http.StatusNotFound, gin.H{"error": gin.H{"code": "not_found", "message": "no such asset"}})
		default:
			files.ServeHTTP(c.Writer, c.Request)
		}
	})
}

// secure sets the headers every console response carries. Assets are revalidated on each load
// because an upgraded binary ships new ones under the same names.
func secure(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}
