package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// BuiltinTextOnly is the profile that puts all weight on text; it is not stored and cannot change.
const BuiltinTextOnly = "text-only"

// resolveProfile returns the current version of a profile; "" means default.
func (s *Server) resolveProfile(ctx context.Context, name string) (*domain.Profile, error) {
	name = strings.TrimSpace(name)
	switch name {
	case "":
		name = "default"
	case BuiltinTextOnly:
		return domain.TextOnlyProfile(), nil
	}
	if !domain.ValidID(name) {
		return nil, domain.InvalidID("profile", name)
	}
	return s.profiles.get(ctx, name, s.Store.Profile, s.ProfileHead)
}

func (s *Server) listProfiles(c *gin.Context) {
	ps, err := s.Store.Profiles(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ps = append(ps, domain.TextOnlyProfile())
	writeJSON(c, http.StatusOK, gin.H{"profiles": ps})
}

func (s *Server) getProfile(c *gin.Context) {
	p, err := s.resolveProfile(c, c.Param("name"))
	if err != nil {
		s.fail(c, profileNotFound(err, c.Param("name")))
		return
	}
	writeJSON(c, http.StatusOK, p)
}

func profileNotFound(err error, name string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Errorf(domain.CodeNotFound, "权重方案 %q 不存在", name)
	}
	return err
}

func (s *Server) profileVersions(c *gin.Context) {
	name := c.Param("name")
	if name == BuiltinTextOnly {
		writeJSON(c, http.StatusOK, gin.H{"name": name, "versions": []*domain.Profile{domain.TextOnlyProfile()}})
		return
	}
	vs, err := s.Store.ProfileVersions(c, name)
	if err == nil && len(vs) == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		s.fail(c, profileNotFound(err, name))
		return
	}
	writeJSON(c, http.StatusOK, gin.H{"name": name, "versions": vs})
}

// ProfileChange is the body of PUT /v1/profiles/{name} and a preview's candidate.
type ProfileChange struct {
	Weights map[string]float64 `json:"weights"`
	Params  json.RawMessage    `json:"params"`
	Note    string             `json:"note"`
}

// apply makes a new profile from base and the change: weights named are replaced, params
// given are replaced and the rest kept.
func (ch ProfileChange) apply(base *domain.Profile, name string) (*domain.Profile, error) {
	p := &domain.Profile{Name: name, Weights: map[string]float64{}, Params: domain.DefaultParams(), Note: strings.TrimSpace(ch.Note)}
	if base != nil {
		maps.Copy(p.Weights, base.Weights)
		p.Params = base.Params
		p.Params.PartnerRegions = slices.Clone(base.Params.PartnerRegions)
		p.Params.HardFilters = slices.Clone(base.Params.HardFilters)
	}
	maps.Copy(p.Weights, ch.Weights)
	if len(ch.Params) > 0 && string(ch.Params) != "null" {
		if err := domain.DecodeJSON(ch.Params, &p.Params); err != nil {
			if e, ok := domain.AsError(err); ok && e.Field != "" {
				e.Field = "params." + e.Field
			}
			return nil, err
		}
	}
	if len([]rune(p.Note)) > 1000 {
		return nil, domain.Invalid("note", "note 超过 1000 个字符")
	}
	return p, p.Validate()
}

func (s *Server) putProfile(c *gin.Context) {
	name := c.Param("name")
	if name == BuiltinTextOnly {
		s.fail(c, domain.Errorf(domain.CodeConflict, "权重方案 %q 是内置的，不能修改", name))
		return
	}
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var ch ProfileChange
	if err := domain.DecodeJSON(body, &ch); err != nil {
		s.fail(c, err)
		return
	}
	base, err := s.Store.Profile(c, name)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.fail(c, err)
		return
	}
	if base == nil && len(ch.Weights) == 0 {
		s.fail(c, domain.Invalid("weights", "新的权重方案须给出 weights"))
		return
	}
	p, err := ch.apply(base, name)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.publish(c, p)
}

func (s *Server) publish(c *gin.Context, p *domain.Profile) {
	p.Author = principal(c).Name()
	if err := s.Store.PutProfile(c, p); err != nil {
		s.fail(c, err)
		return
	}
	s.profiles.forget(p.Name)
	writeJSON(c, http.StatusOK, p)
}

func (s *Server) rollbackProfile(c *gin.Context) {
	name := c.Param("name")
	v, err := intParam(c, "version", 0, 1, 1<<30)
	if err == nil && v == 0 {
		err = domain.Invalid("version", "version 为必填项")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	old, err := s.Store.ProfileVersion(c, name, v)
	if err != nil {
		s.fail(c, profileNotFound(err, fmt.Sprintf("%s version %d", name, v)))
		return
	}
	p := &domain.Profile{Name: name, Weights: old.Weights, Params: old.Params, Note: fmt.Sprintf("回滚到第 %d 版", v)}
	if err := p.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	s.publish(c, p)
}

// PreviewRequest is the body of POST /v1/profiles/preview.
type PreviewRequest struct {
	Profile   string        `json:"profile"`
	Candidate ProfileChange `json:"candidate"`
	DemandIDs []string      `json:"demand_ids"`
	Sample    int           `json:"sample"`
	Kind      []domain.Kind `json:"kind"`
}

const maxPreviewDemands = 50

func (s *Server) previewProfile(c *gin.Context) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req PreviewRequest
	if err := domain.DecodeJSON(body, &req); err != nil {
		s.fail(c, err)
		return
	}
	cur, err := s.resolveProfile(c, req.Profile)
	if err != nil {
		s.fail(c, profileNotFound(err, req.Profile))
		return
	}
	cand, err := req.Candidate.apply(cur, cur.Name)
	if err != nil {
		if e, ok := domain.AsError(err); ok && e.Field != "" {
			e.Field = "candidate." + e.Field
		}
		s.fail(c, err)
		return
	}
	cand.Version = 0
	demands, err := s.previewDemands(c, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i, k := range req.Kind {
		if !k.IsSupply() {
			s.fail(c, domain.Invalid(fmt.Sprintf("kind[%d]", i), "kind 应为 achievements、patents 或 experts"))
			return
		}
	}
	kinds := req.Kind
	if len(kinds) == 0 {
		kinds = domain.SupplyKinds
	}
	prev, err := s.Matcher.Preview(c, demands, kinds, cur, cand)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, prev)
}

func (s *Server) previewDemands(ctx context.Context, req PreviewRequest) ([]*domain.Demand, error) {
	ids := req.DemandIDs
	switch {
	case len(ids) > maxPreviewDemands:
		return nil, domain.Invalid("demand_ids", "每次预览最多 %d 个需求", maxPreviewDemands)
	case len(ids) == 0 && req.Sample == 0:
		return nil, domain.Invalid("demand_ids", "请给出 demand_ids 或 sample")
	case len(ids) == 0:
		if req.Sample < 1 || req.Sample > maxPreviewDemands {
			return nil, domain.Invalid("sample", "sample 应为 1–%d", maxPreviewDemands)
		}
		var err error
		if ids, err = s.Store.SampleDemandIDs(ctx, "open", req.Sample); err != nil {
			return nil, err
		}
	}
	recs, err := s.Store.GetMany(ctx, domain.Demands, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.Demand, 0, len(ids))
	for i, id := range ids {
		r, ok := recs[id]
		if !ok {
			return nil, domain.Invalid(fmt.Sprintf("demand_ids[%d]", i), "企业需求 %q 不存在", id)
		}
		out = append(out, r.(*domain.Demand))
	}
	return out, nil
}
