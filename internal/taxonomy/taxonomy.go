// Package taxonomy knows the field taxonomy and the region codes, and reads both from free text.
package taxonomy

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Taxonomy is the field tree of configs/taxonomy.yaml and the region list of configs/regions.yaml.
// It is read-only after Load and safe for concurrent use.
type Taxonomy struct {
	fields []string          // every path, in file order
	known  map[string]bool   // path → present
	byWord map[string]string // leaf name or alias → most specific path
	words  *dictionary       // leaf names and aliases, for FieldsFromText

	regions     map[string]Region
	regionList  []Region    // in the order of the list
	regionNames *dictionary // names and short names, for RegionsFromText
}

// Region is one administrative division.
type Region struct {
	Code  string `yaml:"code"`
	Name  string `yaml:"name"`
	Short string `yaml:"short"`
}

type fieldNode struct {
	Path     string      `yaml:"path"`
	Aliases  []string    `yaml:"aliases"`
	Children []fieldNode `yaml:"children"`
}

// Load parses the taxonomy and region files.
func Load(taxonomyYAML, regionsYAML []byte) (*Taxonomy, error) {
	var tf struct {
		Fields []fieldNode `yaml:"fields"`
	}
	if err := yaml.Unmarshal(taxonomyYAML, &tf); err != nil {
		return nil, fmt.Errorf("taxonomy: parse fields: %w", err)
	}
	var rf struct {
		Regions []Region `yaml:"regions"`
	}
	if err := yaml.Unmarshal(regionsYAML, &rf); err != nil {
		return nil, fmt.Errorf("taxonomy: parse regions: %w", err)
	}
	t := &Taxonomy{known: map[string]bool{}, byWord: map[string]string{}, regions: map[string]Region{}}
	var walk func(nodes []fieldNode) error
	walk = func(nodes []fieldNode) error {
		for _, n := range nodes {
			n.Path = strings.TrimSpace(n.Path)
			if n.Path == "" {
				return fmt.Errorf("taxonomy: a field has an empty path")
			}
			if t.known[n.Path] {
				return fmt.Errorf("taxonomy: field %q appears twice", n.Path)
			}
			t.known[n.Path] = true
			t.fields = append(t.fields, n.Path)
			// A word names the most specific field it belongs to: a child takes a word over from
			// its parent (船舶 is an alias of both), otherwise the first field to claim it keeps it.
			for _, w := range append([]string{Leaf(n.Path)}, n.Aliases...) {
				if w = strings.TrimSpace(w); w != "" {
					if prev, ok := t.byWord[w]; !ok || strings.HasPrefix(n.Path, prev+"/") {
						t.byWord[w] = n.Path
					}
				}
			}
			if err := walk(n.Children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(tf.Fields); err != nil {
		return nil, err
	}
	t.words = newDictionary(t.byWord)

	names := map[string]string{}
	for _, r := range rf.Regions {
		if !validCode(r.Code) || r.Name == "" {
			return nil, fmt.Errorf("taxonomy: region %q %q: want a 6-digit code and a name", r.Code, r.Name)
		}
		if _, dup := t.regions[r.Code]; dup {
			return nil, fmt.Errorf("taxonomy: region %s appears twice", r.Code)
		}
		t.regions[r.Code] = r
		t.regionList = append(t.regionList, r)
		names[r.Name] = r.Code
	}
	// Short names only where they do not clash with a full name or another short name of a
	// higher level: bare 吉林 means the province (吉林省) far more often than the city (吉林市).
	for _, r := range rf.Regions {
		if r.Short == "" {
			continue
		}
		if prev, ok := names[r.Short]; ok && (IsProvinceLevel(prev) || !IsProvinceLevel(r.Code)) {
			continue
		}
		names[r.Short] = r.Code
	}
	t.regionNames = newDictionary(names)
	return t, nil
}

// Leaf is the last segment of a field path: 新材料/电池材料 → 电池材料.
func Leaf(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Top is the first segment of a field path: 新材料/电池材料 → 新材料.
func Top(path string) string {
	if i := strings.Index(path, "/"); i >= 0 {
		return path[:i]
	}
	return path
}

// Fields lists every field path of the taxonomy, parents before their children.
func (t *Taxonomy) Fields() []string { return slices.Clone(t.fields) }

// Known reports whether path is a field of the taxonomy.
func (t *Taxonomy) Known(path string) bool { return t.known[strings.TrimSpace(path)] }

// Resolve maps a field as records state it to a taxonomy path: known paths stay, an unknown
// path whose leaf is a field name or alias (电池材料, 电解液) becomes that field, anything
// else is kept as plain text.
func (t *Taxonomy) Resolve(field string) string {
	field = strings.TrimSpace(field)
	if t.known[field] {
		return field
	}
	if p, ok := t.byWord[Leaf(field)]; ok {
		return p
	}
	return field
}

// FieldRelation scores two fields: the same path 1, the same top level 0.5, else 0.
// Unknown paths are compared as plain text after Resolve.
func (t *Taxonomy) FieldRelation(a, b string) float64 {
	a, b = t.Resolve(a), t.Resolve(b)
	switch {
	case a == "" || b == "":
		return 0
	case a == b:
		return 1
	case Top(a) == Top(b):
		return 0.5
	}
	return 0
}

// BestFieldPair returns the best-related pair of fields across two lists and its score.
func (t *Taxonomy) BestFieldPair(as, bs []string) (a, b string, score float64) {
	score = -1
	for _, x := range as {
		for _, y := range bs {
			// Prefer an exact pair, then the more specific one, so the reason names the right field.
			if s := t.FieldRelation(x, y); s > score || (s == score && strings.Count(t.Resolve(x), "/") > strings.Count(t.Resolve(a), "/")) {
				a, b, score = t.Resolve(x), t.Resolve(y), s
			}
		}
	}
	if score < 0 {
		return "", "", 0
	}
	return a, b, score
}

// FieldsFromText finds fields named in text by their leaf names and aliases, in order of first
// mention. A top-level field is dropped when one of its children is also found.
func (t *Taxonomy) FieldsFromText(text string) []string {
	var found []string
	for _, m := range t.words.find(text) {
		if !slices.Contains(found, m.Value) {
			found = append(found, m.Value)
		}
	}
	out := found[:0:0]
	for _, f := range found {
		general := !strings.Contains(f, "/") && slices.ContainsFunc(found, func(g string) bool { return strings.HasPrefix(g, f+"/") })
		if !general {
			out = append(out, f)
		}
	}
	return out
}
