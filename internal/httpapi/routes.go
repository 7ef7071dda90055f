package httpapi

import "github.com/gin-gonic/gin"

// Routes lists the registered routes, for checks that every route is documented and guarded.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }
