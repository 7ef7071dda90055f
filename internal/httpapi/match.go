package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/domain"
)

const maxMatchLimit = 100

// matchParams reads kind, limit and profile, shared by the match routes.
func (s *Server) matchParams(c *gin.Context) (kinds []domain.Kind, limit int, p *domain.Profile, err error) {
	if kinds, err = supplyKinds(c); err != nil {
		return
	}
	if limit, err = intParam(c, "limit", 10, 1, maxMatchLimit); err != nil {
		return
	}
	p, err = s.profileParam(c)
	return
}

// profileParam resolves the profile query parameter; an unknown name is bad input, not a 404.
func (s *Server) profileParam(c *gin.Context) (*domain.Profile, error) {
	p, err := s.resolveProfile(c, c.Query("profile"))
	if errors.Is(err, domain.ErrNotFound) {
		err = domain.Invalid("profile", "权重方案 %q 不存在", c.Query("profile"))
	}
	return p, err
}

func profileKey(p *domain.Profile) string { return p.Name + "@" + strconv.Itoa(p.Version) }

// serveCached answers from the cache or computes, with X-Cache telling which.
func (s *Server) serveCached(c *gin.Context, key string, compute func(ctx context.Context) (any, error)) {
	body, status, err := s.Cache.Get(c, key, func(ctx context.Context) ([]byte, error) {
		v, err := compute(ctx)
		if err != nil {
			return nil, err
		}
		return encodeJSON(v)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Cache", string(status))
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// matchStored ranks supply for a stored demand. A hit reads only the demand's head (rev, owner,
// feedback version: one indexed row, no JSON); the demand itself is read on a miss.
func (s *Server) matchStored(c *gin.Context) {
	id := c.Param("id")
	h, err := s.records.demandHead(c, principal(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	kinds, limit, p, err := s.matchParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	key := cache.Key("match", "demand", h.ID, strconv.FormatInt(h.Rev, 10), "fb="+strconv.FormatInt(h.Feedback, 10), profileKey(p), s.generations(kinds), kindsString(kinds), itoa(limit))
	s.serveCached(c, key, func(ctx context.Context) (any, error) {
		rec, err := s.records.get(ctx, principal(c), domain.Demands, id)
		if err != nil {
			return nil, err
		}
		// A write between the head and this read gives a list of a newer rev under the older
		// key: never staler than the key says, and the next request keys by the new rev.
		return s.Matcher.MatchDemand(ctx, rec.(*domain.Demand), kinds, limit, p)
	})
}

// matchAdHoc ranks supply for a demand in the body, which is not stored.
func (s *Server) matchAdHoc(c *gin.Context) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	rec, err := domain.DecodeRecord(domain.Demands, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := rec.(*domain.Demand)
	kinds, limit, p, err := s.matchParams(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	canonical, err := encodeJSON(d)
	if err != nil {
		s.fail(c, err)
		return
	}
	key := cache.Key("match", "adhoc", string(canonical), profileKey(p), s.generations(kinds), kindsString(kinds), itoa(limit))
	s.serveCached(c, key, func(ctx context.Context) (any, error) {
		return s.Matcher.MatchDemand(ctx, d, kinds, limit, p)
	})
}

// matchReverse ranks open demands for one supply item.
func (s *Server) matchReverse(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		rec, err := s.records.get(c, principal(c), k, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		sup := rec.(domain.SupplyRecord)
		limit, err := intParam(c, "limit", 10, 1, maxMatchLimit)
		if err != nil {
			s.fail(c, err)
			return
		}
		p, err := s.profileParam(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		// The day is in the key: a demand whose deadline passes at midnight leaves the list
		// then, before any write (the sweep's) changes the demands' generation.
		key := cache.Key("reverse", string(k), id, strconv.FormatInt(sup.GetMeta().Rev, 10), profileKey(p),
			s.generations([]domain.Kind{domain.Demands}), itoa(limit), domain.Today(time.Now()))
		s.serveCached(c, key, func(ctx context.Context) (any, error) {
			return s.Matcher.MatchSupply(ctx, sup, limit, p)
		})
	}
}
