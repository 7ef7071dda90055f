package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

func (s *Server) healthz(c *gin.Context) {
	writeJSON(c, http.StatusOK, gin.H{"status": "ok"})
}

// readyz needs the store and the index; Redis is reported but never makes the service unready,
// since answers go on uncached without it.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c, 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ready := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["store"], ready = err.Error(), false
	} else {
		checks["store"] = "ok"
	}
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			checks["index"], ready = err.Error(), false
		} else {
			checks["index"] = "ok"
		}
	}
	backend, up, err := s.Cache.State(ctx)
	cacheState := gin.H{"backend": backend, "up": up}
	if err != nil {
		cacheState["error"] = err.Error()
	}
	checks["cache"] = cacheState
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(c, status, gin.H{"ready": ready, "checks": checks})
}
