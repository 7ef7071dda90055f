package index

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/techmatch/techmatch/internal/domain"
)

// SchemaVersion changes whenever the mapping or the analysis changes; an index built with
// another version is dropped and rebuilt from the store. 2: nothing is stored in bleve any more
// (title and summary are read from the store to highlight, see SearchResult.Highlight). 3: no term
// positions (see heldSet.holds). 4: the abbreviations the records define (abbrev.go). 5: a
// field's own label in the text, not its parents' (fieldLabels). 6: why a supply record is out
// of service (fInactive), which search leaves out unless asked. 7: a record's headline in
// single characters (fChars), for the characters signal.
const SchemaVersion = 7

// Field names of an index document.
const (
	fKind       = "kind"
	fText       = "text" // everything searchable, in CJK bigrams (see docs/relevance.md)
	fTitleText  = "title_text"
	fChars      = "chars" // the record's headline in single characters (headline, analyzerChars)
	fFields     = "fields"
	fFieldPath  = "field_path"
	fRegion     = "region"
	fRegionPath = "region_path"
	fTRL        = "trl"
	fModes      = "modes"
	fStatus     = "status"
	fInactive   = "inactive" // domain.InactiveReason: closed, patent_invalid; absent when in service
	fUpdated    = "updated"
	fAbbrev     = "abbrev" // the abbreviations a record defines, both ways (abbrevTerms)
)

// Analyzer names of the jieba analyzers AddAnalyzers defines (the text fields': analyzerBigram).
const (
	AnalyzerSearch = "techmatch_jieba_search" // jieba search mode: a word and its dictionary sub-words
	AnalyzerExact  = "techmatch_jieba_exact"  // jieba exact mode: one reading of the text
)

// AddAnalyzers defines the jieba analyzers AnalyzerSearch and AnalyzerExact (jieba, width
// folding, lower case) over s in im, for mappings outside this package such as baselines.
func (s *Segmenter) AddAnalyzers(im *mapping.IndexMappingImpl) error {
	for name, mode := range map[string]string{AnalyzerSearch: "search", AnalyzerExact: "exact"} {
		tok := name + "_tokenizer"
		if err := im.AddCustomTokenizer(tok, map[string]interface{}{
			"type": TokenizerName, "segmenter": s.key, "mode": mode,
		}); err != nil {
			return fmt.Errorf("index: jieba tokenizer: %w", err)
		}
		if err := im.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          custom.Name,
			"tokenizer":     tok,
			"token_filters": []string{cjk.WidthName, lowercase.Name},
		}); err != nil {
			return fmt.Errorf("index: jieba analyzer: %w", err)
		}
	}
	return nil
}

func newMapping(seg *Segmenter) (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = bindex.BM25Scoring
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false
	im.DefaultAnalyzer = keyword.Name
	if err := seg.AddAnalyzers(im); err != nil {
		return nil, err
	}

	// Nothing is stored: the store holds every record, and bleve's stored fields were read back
	// only to highlight a few hits (now from the records the caller loads, SearchResult.Highlight), yet they were a sixth of
	// the index's bytes (docs/benchmarks.md). Facets and the sort by date read doc values.
	doc := bleve.NewDocumentStaticMapping()
	add := func(name string, fm *mapping.FieldMapping) {
		fm.IncludeInAll, fm.Store = false, false
		doc.AddFieldMappingsAt(name, fm)
	}
	kw := func(docValues bool) *mapping.FieldMapping {
		fm := bleve.NewKeywordFieldMapping()
		fm.DocValues, fm.IncludeTermVectors = docValues, false
		return fm
	}
	// No term positions: recall reads which query bigrams a hit holds, not where (heldSet.holds);
	// they were a fifth of indexing time and a quarter of its memory (docs/benchmarks.md).
	text := func(analyzer string) *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer, fm.IncludeTermVectors, fm.DocValues = analyzer, false, false
		return fm
	}
	add(fKind, kw(true))
	add(fText, text(analyzerBigram))
	add(fTitleText, text(analyzerBigram))
	add(fChars, text(analyzerChars))
	add(fFields, kw(true))
	add(fFieldPath, kw(false))
	add(fRegion, kw(true))
	add(fRegionPath, kw(false))
	add(fTRL, kw(true))
	add(fModes, kw(false))
	add(fStatus, kw(false))
	add(fInactive, kw(false))
	add(fAbbrev, kw(false))
	updated := bleve.NewNumericFieldMapping()
	updated.DocValues = true
	add(fUpdated, updated)

	im.DefaultMapping = doc
	return im, im.Validate()
}

func docID(k domain.Kind, id string) string { return string(k) + "/" + id }

func splitDocID(s string) (DocKey, bool) {
	k, id, ok := strings.Cut(s, "/")
	return DocKey{Kind: domain.Kind(k), ID: id}, ok
}

// document turns a record into what bleve indexes; the store keeps the record itself.
func (ix *Index) document(r domain.Record, extra string) map[string]interface{} {
	m := r.GetMeta()
	text := SearchText(r, extra)
	d := map[string]interface{}{
		fKind:    string(r.RecordKind()),
		fUpdated: float64(m.UpdatedAt.Unix()),
		fText:    text,
		fChars:   headline(r),
	}
	if defs := ix.seg.Abbreviations(text); len(defs) > 0 {
		d[fAbbrev] = abbrevTerms(defs)
	}
	var fields []string
	var region, status string
	var trl int
	var modes []string
	switch v := r.(type) {
	case domain.SupplyRecord:
		s := v.Common()
		d[fTitleText] = s.Title
		fields, region, status, trl, modes = s.Fields, s.Region, s.Status, s.TRL, s.TransferModes
	case *domain.Demand:
		fields, region, status, trl, modes = v.Fields, v.Region, v.Status, v.MinTRL, v.AcceptModes
	}
	if len(fields) > 0 {
		d[fFields] = fields
		d[fFieldPath] = fieldPrefixes(fields)
	}
	if region != "" {
		d[fRegion] = region
		d[fRegionPath] = regionPrefixes(region)
	}
	if trl > 0 {
		d[fTRL] = strconv.Itoa(trl)
	}
	if len(modes) > 0 {
		d[fModes] = modes
	}
	if status != "" {
		d[fStatus] = status
	}
	if why := domain.InactiveReason(r); why != "" {
		d[fInactive] = why
	}
	return d
}

// SearchText is the text a record is found by, with extra (what other records lend it, Doc): title,
// keywords, summary, fields, organisation and the kind's own names (a patent's IPC, applicants
// and inventors; an expert's titles and research areas), or a demand's title, keywords,
// description, fields and enterprise.
func SearchText(r domain.Record, extra string) string {
	var parts []string
	switch v := r.(type) {
	case domain.SupplyRecord:
		s := v.Common()
		parts = append(parts, s.Title, strings.Join(s.Keywords, "；"), s.Summary, fieldLabels(s.Fields), s.Org)
		switch x := v.(type) {
		case *domain.Patent:
			parts = append(parts, strings.Join(x.IPC, "；"), strings.Join(x.Applicants, "；"), strings.Join(x.Inventors, "；"))
		case *domain.Expert:
			parts = append(parts, strings.Join(x.Titles, "；"), strings.Join(x.ResearchAreas, "；"))
		}
	case *domain.Demand:
		parts = append(parts, v.Title, strings.Join(v.Keywords, "；"), v.Description, fieldLabels(v.Fields), v.Enterprise)
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	// A line break between parts keeps bigrams from spanning two fields.
	return strings.Join(parts, "\n")
}

// headline is what a record says it is about, in a few words: a supply record's title and
// keywords, and an expert's research areas (an expert's title is a name); a demand's title and
// keywords. The characters signal reads it: read over the whole text, it cost a third of
// indexing speed and 180 MiB at 10k records (docs/benchmarks.md, "The characters signal", session 15).
func headline(r domain.Record) string {
	var parts []string
	switch v := r.(type) {
	case domain.SupplyRecord:
		s := v.Common()
		parts = append(parts, s.Title, strings.Join(s.Keywords, "；"))
		if x, ok := v.(*domain.Expert); ok {
			parts = append(parts, strings.Join(x.ResearchAreas, "；"))
		}
	case *domain.Demand:
		parts = append(parts, v.Title, strings.Join(v.Keywords, "；"))
	}
	return strings.Join(parts, "\n")
}

// fieldLabels is the text of a record's fields: each field's own label, the last part of its
// path (兽用疫苗 of 现代农业与兽医疫苗/兽用疫苗). A parent's label names a group of topics, so it
// would let every record of the group be found by any one of them (枸杞 by 疫苗); the field
// filter and the field component of matching read the whole path.
func fieldLabels(fields []string) string {
	labels := make([]string, len(fields))
	for i, f := range fields {
		f = strings.TrimRight(f, "/")
		labels[i] = f[strings.LastIndex(f, "/")+1:]
	}
	return strings.Join(labels, "；")
}

// fieldPrefixes lists every taxonomy prefix: 新材料/电池材料 gives 新材料 and 新材料/电池材料.
func fieldPrefixes(fields []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		segs := strings.Split(strings.Trim(f, "/"), "/")
		for i := range segs {
			p := strings.Join(segs[:i+1], "/")
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// regionPrefixes lists province, city and county prefixes of a division code: 320102 gives
// 32, 3201 and 320102, so a filter on any level is one term lookup.
func regionPrefixes(code string) []string {
	out := []string{code}
	for _, n := range []int{2, 4} {
		if len(code) > n {
			out = append(out, code[:n])
		}
	}
	return out
}

// normRegionPrefix drops trailing zero pairs, so 320000 filters like 32 and 320100 like 3201.
func normRegionPrefix(p string) string {
	for len(p) > 2 && strings.HasSuffix(p, "00") {
		p = p[:len(p)-2]
	}
	return p
}
