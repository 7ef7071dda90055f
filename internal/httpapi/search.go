package httpapi

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/domain"
)

// SearchHit is one result of GET /v1/search.
type SearchHit struct {
	Kind       domain.Kind         `json:"kind"`
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Score      float64             `json:"score"`
	Highlights map[string][]string `json:"highlights"`
	// Inactive says why the record is out of service (closed, patent_invalid: a patent
	// invalidated or expired); such hits come only with include_inactive=true.
	Inactive string        `json:"inactive,omitempty"`
	Item     domain.Record `json:"item"`
}

// SearchAnswer is the body of GET /v1/search.
type SearchAnswer struct {
	Total  uint64                        `json:"total"`
	Page   int                           `json:"page"`
	Size   int                           `json:"size"`
	Hits   []SearchHit                   `json:"hits"`
	Facets map[string][]index.FacetCount `json:"facets"`
}

var regionPrefixPattern = regexp.MustCompile(`^[0-9]{2,6}$`)

func (s *Server) searchRequest(c *gin.Context) (index.SearchRequest, int, error) {
	var r index.SearchRequest
	q := strings.TrimSpace(c.Query("q"))
	if !utf8.ValidString(q) {
		return r, 0, domain.Invalid("q", "q 不是有效的 UTF-8")
	}
	if n := utf8.RuneCountInString(q); n > s.cfg.MaxQueryLen {
		return r, 0, domain.Invalid("q", "q 有 %d 个字符，最多 %d 个", n, s.cfg.MaxQueryLen)
	}
	r.Query = q
	kinds, err := supplyKinds(c)
	if err != nil {
		return r, 0, err
	}
	r.Kinds = kinds
	r.Field = strings.TrimSpace(c.Query("field"))
	if utf8.RuneCountInString(r.Field) > domain.MaxItemLen {
		return r, 0, domain.Invalid("field", "field 超过 %d 个字符", domain.MaxItemLen)
	}
	if reg := strings.TrimSpace(c.Query("region")); reg != "" {
		if strings.Trim(reg, "0123456789") != "" { // a name: 南京, 江苏省
			code, err := domain.ResolveRegion("region", reg)
			if err != nil {
				return r, 0, err
			}
			reg = code
		}
		if !regionPrefixPattern.MatchString(reg) {
			return r, 0, domain.Invalid("region", "region 应为行政区划代码或其前缀（2–6 位数字）或地名，收到 %q", reg)
		}
		r.RegionPrefix = strings.TrimRight(reg, "0")
		if len(r.RegionPrefix) < 2 {
			r.RegionPrefix = reg[:2]
		}
		if len(r.RegionPrefix)%2 == 1 {
			r.RegionPrefix += "0"
		}
	}
	if r.TRLMin, err = intParam(c, "trl_min", 0, 1, 9); err != nil {
		return r, 0, err
	}
	for _, v := range c.QueryArray("mode") {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m == "" {
				continue
			}
			if !slices.Contains(domain.TransferModes, m) {
				return r, 0, domain.Invalid("mode", "未知转化方式 %q：应为 %s 之一", m, strings.Join(domain.TransferModes, ", "))
			}
			r.Modes = append(r.Modes, m)
		}
	}
	switch v := c.Query("include_inactive"); v {
	case "", "false":
	case "true":
		r.IncludeInactive = true
	default:
		return r, 0, domain.Invalid("include_inactive", "include_inactive 应为 true 或 false，收到 %q", v)
	}
	page, size, err := s.page(c)
	if err != nil {
		return r, 0, err
	}
	r.From, r.Size = (page-1)*size, size
	return r, page, nil
}

func (s *Server) search(c *gin.Context) {
	req, page, err := s.searchRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	key := cache.Key("search", s.generations(req.Kinds), req.Query, kindsString(req.Kinds), req.Field, req.RegionPrefix,
		itoa(req.TRLMin), strings.Join(req.Modes, ","), itoa(req.From), itoa(req.Size), boolKey(p.SeesContacts()), "inactive="+boolKey(req.IncludeInactive))
	body, status, err := s.Cache.Get(c, key, func(ctx context.Context) ([]byte, error) {
		ans, err := s.runSearch(ctx, req, page, p)
		if err != nil {
			return nil, err
		}
		return encodeJSON(ans)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Cache", string(status))
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

func (s *Server) runSearch(ctx context.Context, req index.SearchRequest, page int, p Principal) (*SearchAnswer, error) {
	res, err := s.Index.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	items, err := index.LoadHits(ctx, s.Store, res.Hits)
	if err != nil {
		return nil, err
	}
	res.Highlight(items)
	if err := res.HighlightLinked(ctx, s.Store, items); err != nil {
		return nil, err
	}
	ans := &SearchAnswer{Total: res.Total, Page: page, Size: req.Size, Hits: []SearchHit{}, Facets: res.Facets}
	for _, h := range res.Hits {
		rec, ok := items[index.DocKey{Kind: h.Kind, ID: h.ID}]
		if !ok {
			continue // deleted since it was indexed; the next drain removes it
		}
		ans.Hits = append(ans.Hits, SearchHit{Kind: h.Kind, ID: h.ID, Title: titleOf(rec), Score: round(h.Score), Highlights: h.Highlights, Inactive: domain.InactiveReason(rec), Item: present(p, rec)})
	}
	return ans, nil
}

func titleOf(r domain.Record) string {
	switch v := r.(type) {
	case domain.SupplyRecord:
		return v.Common().Title
	case *domain.Demand:
		return v.Title
	}
	return ""
}
