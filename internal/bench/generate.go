package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/techmatch/techmatch/internal/domain"
)

// Sizes of generated text. recordBytes is title + summary in UTF-8, the size of the records
// the targets against plain bleve are stated for (~600 bytes, about 200 Chinese characters).
const (
	recordBytes   = 600
	minTitleRunes = 20
	maxTitleRunes = 40
)

// Generator makes supply records and demands by recombining a Source. Record i depends only on
// the seed and i, never on how many records are asked for, so a 1k corpus is the first 1k of a
// 100k corpus, and reruns give the same bytes.
type Generator struct {
	src     *Source
	titled  []int // indexes of papers with a title
	fields  []string
	regions []string
	seed    uint64
}

// NewGenerator draws text from src, fields from fields (taxonomy paths) and regions from
// regions (division codes).
func NewGenerator(src *Source, fields, regions []string, seed uint64) (*Generator, error) {
	if _, err := src.check(); err != nil {
		return nil, err
	}
	if len(fields) == 0 || len(regions) == 0 {
		return nil, fmt.Errorf("bench: generator needs fields and regions")
	}
	g := &Generator{src: src, fields: fields, regions: regions, seed: seed}
	for i, p := range src.Papers {
		if p.Title != "" && len(p.Keywords) > 0 {
			g.titled = append(g.titled, i)
		}
	}
	if len(g.titled) == 0 {
		return nil, fmt.Errorf("bench: source has no paper with both a title and keywords")
	}
	return g, nil
}

// streams keep supply and demand draws apart, so adding demands never changes the supply.
const (
	streamSupply uint64 = iota + 1
	streamDemand
	streamLongDemand
)

func (g *Generator) rng(stream uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, stream<<48|uint64(i)))
}

// Supply returns records 0..n-1: about 75% achievements, 15% patents and 10% experts.
func (g *Generator) Supply(n int) []domain.Record {
	out := make([]domain.Record, n)
	for i := range out {
		out[i] = g.SupplyRecord(i)
	}
	return out
}

// SupplyRecord returns record i.
func (g *Generator) SupplyRecord(i int) domain.Record {
	r := g.rng(streamSupply, i)
	sup := g.supply(r)
	switch x := r.IntN(100); {
	case x < 75:
		sup.ID = fmt.Sprintf("bench-ach-%07d", i)
		return &domain.Achievement{Supply: sup}
	case x < 90:
		sup.ID = fmt.Sprintf("bench-pat-%07d", i)
		return g.patent(r, sup, i)
	default:
		sup.ID = fmt.Sprintf("bench-exp-%07d", i)
		return g.expert(r, sup)
	}
}

// supply fills the fields common to all supply kinds. One source paper gives the title, the
// first sentence and most keywords, so that a record reads as one topic and demands drawn from
// the same source find it; the other sentences come from anywhere.
func (g *Generator) supply(r *rand.Rand) domain.Supply {
	p := g.src.Papers[g.titled[r.IntN(len(g.titled))]]
	s := domain.Supply{
		Title:    g.title(r, p),
		Keywords: pick(r, p.Keywords, 2+r.IntN(3)),
		Fields:   pick(r, g.fields, 1+r.IntN(2)),
		Region:   g.regions[r.IntN(len(g.regions))],
		Org:      orgs[r.IntN(len(orgs))],
		OrgType:  domain.OrgTypes[r.IntN(3)], // universities, institutes, new R&D institutions
		TRL:      1 + r.IntN(9),
		Status:   "active",
	}
	if other := g.src.Papers[r.IntN(len(g.src.Papers))]; len(other.Keywords) > 0 {
		s.Keywords = append(s.Keywords, other.Keywords[r.IntN(len(other.Keywords))])
	}
	s.Summary = g.summary(r, p, recordBytes-len(s.Title))
	if r.IntN(5) > 0 {
		s.TransferModes = pick(r, domain.TransferModes, 1+r.IntN(3))
	}
	if r.IntN(5) < 3 {
		lo := float64(5 * (1 + r.IntN(60)))
		hi := lo + float64(5*(1+r.IntN(40)))
		s.Price = &domain.Range{Min: &lo, Max: &hi}
	}
	if r.IntN(3) == 0 {
		s.Market = &domain.Market{InvestorInterest: r.IntN(10), Deals: r.IntN(4)}
	}
	if r.IntN(20) == 0 {
		s.Status = "closed"
	}
	return s
}

// title is the paper's title, lengthened with a keyword of another paper when short and cut
// at maxTitleRunes.
func (g *Generator) title(r *rand.Rand, p Paper) string {
	t := p.Title
	for utf8.RuneCountInString(t) < minTitleRunes {
		o := g.src.Papers[g.titled[r.IntN(len(g.titled))]]
		t = o.Keywords[r.IntN(len(o.Keywords))] + "的" + t
	}
	return cutRunes(t, maxTitleRunes)
}

// summary strings sentences up to budget bytes: the paper's own first, then random ones.
func (g *Generator) summary(r *rand.Rand, p Paper, budget int) string {
	var b strings.Builder
	if len(p.Sentences) > 0 {
		b.WriteString(p.Sentences[0])
	}
	for tries := 0; b.Len() < budget && tries < 50; tries++ {
		o := g.src.Papers[r.IntN(len(g.src.Papers))]
		if len(o.Sentences) == 0 {
			continue
		}
		b.WriteString(o.Sentences[r.IntN(len(o.Sentences))])
	}
	return cutBytes(b.String(), budget)
}

func (g *Generator) patent(r *rand.Rand, sup domain.Supply, i int) *domain.Patent {
	sup.Title = cutRunes("一种"+sup.Title, maxTitleRunes)
	year := 2015 + r.IntN(10)
	p := &domain.Patent{
		Supply:      sup,
		PatentNo:    fmt.Sprintf("CN%d1%07d.%d", year, i%10_000_000, r.IntN(10)),
		PatentType:  domain.PatentTypes[min(r.IntN(5), 1)], // mostly inventions
		LegalStatus: domain.LegalStatuses[[]int{0, 0, 0, 0, 0, 0, 1, 1, 2, 3}[r.IntN(10)]],
		IPC:         []string{ipcs[r.IntN(len(ipcs))]},
		Applicants:  []string{sup.Org},
		Inventors:   []string{g.name(r), g.name(r)},
		FiledAt:     fmt.Sprintf("%d-%02d-%02d", year, 1+r.IntN(12), 1+r.IntN(28)),
	}
	if p.LegalStatus == "granted" {
		p.GrantedAt = fmt.Sprintf("%d-%02d-%02d", year+2, 1+r.IntN(12), 1+r.IntN(28))
		if r.IntN(4) == 0 {
			fee := float64(1 + r.IntN(20))
			p.OpenLicense, p.LicenseFee = true, &fee
		}
	}
	return p
}

func (g *Generator) expert(r *rand.Rand, sup domain.Supply) *domain.Expert {
	areas := sup.Keywords
	sup.Title = g.name(r)
	return &domain.Expert{
		Supply:        sup,
		Titles:        []string{expertTitles[r.IntN(len(expertTitles))]},
		ResearchAreas: areas,
		AvailableFor:  pick(r, domain.AvailableFor, 1+r.IntN(2)),
	}
}

func (g *Generator) name(r *rand.Rand) string {
	return surnames[r.IntN(len(surnames))] + givenNames[r.IntN(len(givenNames))]
}

// Demands returns n open demands: 2–3 keywords of one paper, or a fragment of its title, as the
// title, and structured fields in half of them. Like what an enterprise types, they are short:
// no description, which would also make every query a long disjunction unlike the issue's.
func (g *Generator) Demands(n int) []*domain.Demand {
	out := make([]*domain.Demand, n)
	for i := range out {
		r := g.rng(streamDemand, i)
		p := g.src.Papers[g.titled[r.IntN(len(g.titled))]]
		d := &domain.Demand{Meta: domain.Meta{ID: fmt.Sprintf("bench-dem-%06d", i)}, Status: "open"}
		if r.IntN(3) > 0 {
			d.Title = strings.Join(pick(r, p.Keywords, 2+r.IntN(2)), " ")
		} else {
			d.Title = cutRunes(p.Title, 8+r.IntN(8))
		}
		if r.IntN(2) == 0 {
			d.Fields = pick(r, g.fields, 1)
			d.Region = g.regions[r.IntN(len(g.regions))]
			d.MinTRL = 3 + r.IntN(5)
			d.AcceptModes = pick(r, domain.TransferModes, 2+r.IntN(3))
			lo := float64(10 * (1 + r.IntN(20)))
			hi := lo * 2
			d.Budget = &domain.Range{Min: &lo, Max: &hi}
		}
		d.Enterprise = orgs[r.IntN(len(orgs))] + "科技有限公司"
		out[i] = d
	}
	return out
}

// LongDemands returns n demands as enterprises write them at length: a title (a fragment of a
// paper's title, or its keywords) and a description of 300–1,000 characters, the paper's own
// sentences and then others', so that a description both says what the record says and
// wanders, as real ones do.
func (g *Generator) LongDemands(n int) []*domain.Demand {
	out := make([]*domain.Demand, n)
	for i := range out {
		r := g.rng(streamLongDemand, i)
		p := g.src.Papers[g.titled[r.IntN(len(g.titled))]]
		d := &domain.Demand{Meta: domain.Meta{ID: fmt.Sprintf("bench-long-%06d", i)}, Status: "open"}
		if r.IntN(2) == 0 {
			d.Title = strings.Join(pick(r, p.Keywords, 2), " ")
		} else {
			d.Title = cutRunes(p.Title, 8+r.IntN(12))
		}
		want := 300 + r.IntN(701)
		var b strings.Builder
		for _, sent := range p.Sentences {
			if utf8.RuneCountInString(b.String()) >= want {
				break
			}
			b.WriteString(sent)
		}
		for utf8.RuneCountInString(b.String()) < want {
			other := g.src.Papers[r.IntN(len(g.src.Papers))]
			if len(other.Sentences) == 0 {
				continue
			}
			b.WriteString(other.Sentences[r.IntN(len(other.Sentences))])
		}
		d.Description = cutRunes(b.String(), want)
		d.Enterprise = orgs[r.IntN(len(orgs))] + "科技有限公司"
		out[i] = d
	}
	return out
}

// pick returns up to n distinct elements of from, in a random order.
func pick(r *rand.Rand, from []string, n int) []string {
	n = min(n, len(from))
	out := make([]string, 0, n)
	for _, j := range r.Perm(len(from))[:n] {
		out = append(out, from[j])
	}
	return out
}

func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// cutBytes cuts s to at most n bytes at a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

var (
	orgs = []string{"金陵理工大学", "鹭岛海洋研究院", "塞上新材料研究院", "冰城工业大学", "江淮先进技术研究院",
		"东海生物医药研究所", "西部智能制造创新中心", "华中光电研究院", "岭南大学", "燕山信息技术研究院"}
	surnames     = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"}
	givenNames   = []string{"明远", "雅婷", "振华", "建国", "晓东", "海燕", "志强", "丽华", "文博", "思远", "静怡", "国栋"}
	expertTitles = []string{"教授", "研究员", "副教授", "副研究员", "高级工程师"}
	ipcs         = []string{"H01M10/0562", "C08L67/04", "G06N3/08", "A61K39/395", "B22F10/28", "H04W72/04", "G01N21/64"}
)
