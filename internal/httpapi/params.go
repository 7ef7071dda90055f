package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// intParam reads an optional integer query parameter within [min, max].
func intParam(c *gin.Context, name string, def, min, max int) (int, error) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, domain.Invalid(name, "%s 应为整数，收到 %q", name, v)
	}
	if n < min || n > max {
		return 0, domain.Invalid(name, "%s 应在 %d 到 %d 之间，收到 %d", name, min, max, n)
	}
	return n, nil
}

// page reads page (from 1) and size; the answer is the offset and the limit.
func (s *Server) page(c *gin.Context) (page, size int, err error) {
	if page, err = intParam(c, "page", 1, 1, 1_000_000); err != nil {
		return
	}
	if size, err = intParam(c, "size", 20, 1, s.cfg.MaxPageSize); err != nil {
		return
	}
	if (page-1)*size > 10_000 {
		return 0, 0, domain.Invalid("page", "只提供前 10,000 条结果，请缩小查询范围")
	}
	return page, size, nil
}

// supplyKinds reads kind=achievements,patents (or repeated kind=) limited to supply kinds.
func supplyKinds(c *gin.Context) ([]domain.Kind, error) {
	var kinds []domain.Kind
	for _, v := range c.QueryArray("kind") {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, err := domain.ParseKind(part)
			if err != nil || !k.IsSupply() {
				return nil, domain.Invalid("kind", "kind 应为 achievements、patents 或 experts，收到 %q", part)
			}
			if !containsKind(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if len(kinds) == 0 {
		kinds = append(kinds, domain.SupplyKinds...)
	}
	return kinds, nil
}

func containsKind(ks []domain.Kind, k domain.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindsString(ks []domain.Kind) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

// generations renders the data generation of each kind, and the text version of the query
// analysis (index.TextVersion), for cache keys.
func (s *Server) generations(ks []domain.Kind) string {
	var b strings.Builder
	if v := s.Index.TextVersion(); v != "" {
		b.WriteString("text=" + v + ";")
	}
	for _, k := range ks {
		fmt.Fprintf(&b, "%s=%d;", k, s.Index.Generation(k))
	}
	return b.String()
}
