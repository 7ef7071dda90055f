package match

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// coreNoise are demand-talk words every plain sentence uses (configs/dict/demand_noise_core.txt);
// the service adds the list it is given (configs/dict/demand_noise.txt) on top. They are cut
// from the recall text only.
var coreNoise = configs.MustWordList("demand_noise_core.txt")

// intentWords open a request ("需要…", "希望…"; configs/dict/intent_words.txt); they are cut
// wherever they stand. Other noise words (需求, 问题, 计划, 对接 …) and maturity words also end
// or start technical terms (运输需求, 养护问题, 分子对接, 实验室指标), so inside a short piece
// they are kept: see keepTerms.
var intentWords = configs.MustWordList("intent_words.txt")

// termRunes is the longest piece read as one term rather than as a sentence.
const termRunes = 6

// budgetPattern reads 预算200万元, 100-200万元, 不超过300万元, 1.5亿元, 50万元以上.
var budgetPattern = regexp.MustCompile(`(?:(?:预算|经费|资金|费用|出资|报价|价格)(?:约|为|在|是|:|：)?\s*)?` +
	`(不超过|不高于|最多|最高|上限|不低于|至少|不少于)?\s*` +
	`(\d+(?:\.\d+)?)\s*(?:万元?)?\s*(?:(?:-|－|—|–|~|～|至|到)\s*(\d+(?:\.\d+)?)\s*)?` +
	`(万元|亿元|万|亿)(以内|以下|以上|左右)?`)

// budgetKeyword marks an amount as a budget when its unit is a bare 万 or 亿 (10万吨 is no budget).
var budgetKeyword = regexp.MustCompile(`^(?:预算|经费|资金|费用|出资|报价|价格|不超过|不高于|最多|最高|上限|不低于|至少|不少于)`)

// notBudget are words that, just before an amount, make it something other than a budget
// (configs/dict/not_budget.txt).
var notBudget = configs.MustWordList("not_budget.txt")

// modeWords map transfer-mode phrases to modes; longer phrases are tried first.
var modeWords = map[string]string{
	"先试用后转让": "trial_then_transfer", "作价入股": "equity", "技术入股": "equity", "入股": "equity",
	"合作开发": "joint_dev", "联合开发": "joint_dev", "联合攻关": "joint_dev",
	"技术服务": "service", "技术咨询": "service", "许可": "license", "转让": "transfer", "买断": "transfer",
}

// maturityWords map the stage a demand asks for to its minimum TRL. 产业化 here means "ready to be
// industrialised", a proven prototype (7), not the supply stage 产业化 (9) of domain.Stages.
var maturityWords = map[string]int{"实验室": 3, "小试": 4, "中试": 6, "工程化": 6, "样机": 7, "产业化": 7, "量产": 8}

var (
	modePattern     = alternation(modeWords)
	maturityPattern = alternation(maturityWords)
)

func alternation[V any](m map[string]V) *regexp.Regexp {
	words := make([]string, 0, len(m))
	for w := range m {
		words = append(words, regexp.QuoteMeta(w))
	}
	// Longest first so that 先试用后转让 wins over 转让.
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) })
	return regexp.MustCompile(strings.Join(words, "|"))
}

// reading is what one piece of text said about a demand.
type reading struct {
	budget     *domain.Range
	budgetText string
	regions    []string
	modes      []string
	trl        int
	trlWord    string
	// loneNoise are pieces that are nothing but noise words (问题 in "问题 对策"): cut from
	// the terms, yet what the user typed; a title's go to the recall body, where they count half.
	loneNoise []string
}

// InferDemand fills a plain-sentence demand's missing structured fields from its title and
// description: budget, region, accepted transfer modes, minimum TRL and fields. Stated fields
// always win. The returned copy's Title and Description are the recall text: the recognised
// phrases and demand-talk words are cut out, so "预算200万元，南京，希望许可" does not pollute
// text recall. inferred says, in Chinese, each value that was read.
func InferDemand(d *domain.Demand, tax *taxonomy.Taxonomy) (filled *domain.Demand, inferred []string) {
	return inferDemand(d, tax, nil)
}

func inferDemand(d *domain.Demand, tax *taxonomy.Taxonomy, noise []string) (*domain.Demand, []string) {
	f := *d
	title, rt := read(d.Title, tax, noise)
	desc, rd := read(d.Description, tax, noise)
	if title != "" || desc != "" || len(d.Keywords) > 0 {
		if title != "" && len(rt.loneNoise) > 0 {
			desc = strings.TrimSpace(desc + " " + strings.Join(rt.loneNoise, " "))
		}
		f.Title, f.Description = title, desc
	}
	var inferred []string
	if d.Budget == nil {
		if b, text := first(rt.budget, rd.budget), cmp.Or(rt.budgetText, rd.budgetText); b != nil {
			f.Budget = b
			inferred = append(inferred, "预算："+text+"（从文本识别）")
		}
	}
	if d.Region == "" && tax != nil {
		if regs := append(rt.regions, rd.regions...); len(regs) > 0 {
			f.Region = mostSpecific(regs)
			inferred = append(inferred, "地区："+placeName(tax, f.Region)+"（从文本识别）")
		}
	}
	if len(d.AcceptModes) == 0 {
		var modes []string
		for _, m := range append(rt.modes, rd.modes...) {
			if !slices.Contains(modes, m) {
				modes = append(modes, m)
			}
		}
		if len(modes) > 0 {
			f.AcceptModes = modes
			inferred = append(inferred, "转化方式："+modeList(modes)+"（从文本识别）")
		}
	}
	if d.MinTRL == 0 {
		r := rt
		if rd.trl > r.trl {
			r = rd
		}
		if r.trl > 0 {
			f.MinTRL = r.trl
			inferred = append(inferred, fmt.Sprintf("成熟度：TRL ≥ %d（“%s”，从文本识别）", r.trl, r.trlWord))
		}
	}
	if len(d.Fields) == 0 && tax != nil {
		text := d.Title + "\n" + strings.Join(d.Keywords, " ") + "\n" + d.Description
		if fs := tax.FieldsFromText(text); len(fs) > 0 {
			f.Fields = fs
			inferred = append(inferred, "领域："+strings.Join(fs, "、")+"（从文本识别）")
		}
	}
	return &f, inferred
}

// read finds budget, places, modes and maturity words in s and returns s without them and
// without noise words.
func read(s string, tax *taxonomy.Taxonomy, noise []string) (string, reading) {
	var r reading
	if s == "" {
		return "", r
	}
	cut := make([]bool, len(s))
	soft := make([]bool, len(s))  // cut, unless the piece turns out to be a term (keepTerms)
	noisy := make([]bool, len(s)) // a noise word (not an intent word) stands here
	mark := func(start, end int) {
		for i := start; i < end; i++ {
			cut[i] = true
		}
	}
	markSoft := func(start, end int) {
		for i := start; i < end; i++ {
			soft[i] = true
		}
	}
	for _, m := range budgetPattern.FindAllStringSubmatchIndex(s, -1) {
		if b, text, ok := parseBudget(s, m); ok {
			if r.budget == nil {
				r.budget, r.budgetText = b, text
			}
			mark(m[0], m[1])
		}
	}
	for _, m := range modePattern.FindAllStringIndex(s, -1) {
		r.modes = append(r.modes, modeWords[s[m[0]:m[1]]])
		mark(m[0], m[1])
	}
	for _, m := range maturityPattern.FindAllStringIndex(s, -1) {
		w := s[m[0]:m[1]]
		if t := maturityWords[w]; t > r.trl {
			r.trl, r.trlWord = t, w
		}
		markSoft(m[0], m[1])
	}
	if tax != nil {
		for _, m := range tax.RegionMentions(s) {
			r.regions = append(r.regions, m.Value)
			mark(m.Start, m.End)
		}
	}
	var loneNoise []string
	for _, list := range [][]string{coreNoise, noise} {
		for _, w := range list {
			if utf8.RuneCountInString(w) == 1 {
				// One character (约, 元, 拟) is part of too many technical words (制约, 元件, 模拟)
				// to be cut out of them; it is dropped only where it stands alone.
				loneNoise = append(loneNoise, w)
				continue
			}
			markWord := func(start, end int) {
				markSoft(start, end)
				for i := start; i < end; i++ {
					noisy[i] = true
				}
			}
			if slices.Contains(intentWords, w) {
				markWord = mark
			}
			for i := 0; w != "" && i < len(s); {
				j := strings.Index(s[i:], w)
				if j < 0 {
					break
				}
				markWord(i+j, i+j+len(w))
				i += j + len(w)
			}
		}
	}
	r.loneNoise = loneNoiseOf(s, cut, noisy)
	keepTerms(s, cut, soft)
	return clean(s, cut, loneNoise), r
}

// keepTerms merges the soft cuts into cut, except in a short piece (between spaces or
// punctuation) that keeps other letters after every cut: there the soft-cut words are part of
// a term, as in 运输需求, 养护问题 or 实验室指标, and cutting them would change what is searched.
// A piece made only of recognised words (南京企业, 希望许可) is cut whole as before.
func keepTerms(s string, cut, soft []bool) {
	start := 0
	for start < len(s) {
		end := start
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
				break
			}
			end += size
		}
		piece, rest := s[start:end], false
		for i := start; i < end; i++ {
			if !cut[i] && !soft[i] {
				rest = true
				break
			}
		}
		keep := rest && utf8.RuneCountInString(piece) <= termRunes
		for i := start; i < end; i++ {
			if soft[i] && !keep {
				cut[i] = true
			}
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		start = end + max(size, 1)
	}
}

// loneNoiseOf returns the pieces (between spaces or punctuation) made only of noise words, with
// no hard cut among them: 问题 in "问题 对策", 需求 in "需求 发展思路".
func loneNoiseOf(s string, cut, noisy []bool) []string {
	var out []string
	for start := 0; start < len(s); {
		end := start
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
				break
			}
			end += size
		}
		lone := end > start
		for i := start; i < end && lone; i++ {
			lone = noisy[i] && !cut[i]
		}
		if lone {
			out = append(out, s[start:end])
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		start = end + max(size, 1)
	}
	return out
}

// clean drops the cut bytes, splits what is left at punctuation and spaces, and drops pieces
// that are only function characters (的, 在, 和 …) or a one-character noise word left behind
// by the cuts.
func clean(s string, cut []bool, loneNoise []string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		if cut[i] {
			b.WriteByte(' ')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	pieces := strings.FieldsFunc(b.String(), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	out := pieces[:0]
	for _, p := range pieces {
		if strings.Trim(p, "的在于和与及或并且为以可能够将把对") != "" && !slices.Contains(loneNoise, p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// parseBudget reads one budgetPattern match; ok is false when the amount is no budget.
func parseBudget(s string, m []int) (*domain.Range, string, bool) {
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	whole, bound, lo, hi, unit, tail := group(0), group(1), group(2), group(3), group(4), group(5)
	before := []rune(s[:m[0]])
	before = before[max(0, len(before)-6):]
	for _, w := range notBudget {
		if strings.Contains(string(before), w) {
			return nil, "", false
		}
	}
	if (unit == "万" || unit == "亿") && !budgetKeyword.MatchString(whole) && tail == "" {
		return nil, "", false
	}
	scale := 1.0
	if strings.HasPrefix(unit, "亿") {
		scale = 10000
	}
	a, err := strconv.ParseFloat(lo, 64)
	if err != nil {
		return nil, "", false
	}
	a *= scale
	r := &domain.Range{}
	switch {
	case hi != "":
		b, err := strconv.ParseFloat(hi, 64)
		if err != nil {
			return nil, "", false
		}
		b *= scale
		r.Min, r.Max = &a, &b
		if a > b {
			r.Min, r.Max = &b, &a
		}
		return r, amount(*r.Min) + "–" + amount(*r.Max) + " 万元", true
	case bound == "不低于" || bound == "至少" || bound == "不少于" || tail == "以上":
		r.Min = &a
		return r, "不低于 " + amount(a) + " 万元", true
	}
	r.Max = &a
	return r, amount(a) + " 万元", true
}

// amount formats 万元 figures without trailing zeros: 200, 1.5.
func amount(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// mostSpecific prefers a city over a province, then the first named.
func mostSpecific(codes []string) string {
	for _, c := range codes {
		if !taxonomy.IsProvinceLevel(c) {
			return c
		}
	}
	return codes[0]
}

func modeList(modes []string) string {
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = cmp.Or(domain.ModeNames[m], m)
	}
	return strings.Join(names, "、")
}

func first[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}
