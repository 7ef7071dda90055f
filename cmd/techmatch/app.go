package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/config"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

var (
	segOnce sync.Once
	seg     *index.Segmenter
	segErr  error
)

// segmenter loads the one process-wide jieba; it is never freed while bleve may use it.
func segmenter(cfg config.Config) (*index.Segmenter, error) {
	segOnce.Do(func() {
		userDict := cfg.Jieba.UserDict
		if userDict == "" {
			userDict, segErr = writeEmbedded(cfg.DataDir, "dict/techmatch_user.dict")
			if segErr != nil {
				return
			}
		}
		seg, segErr = index.NewSegmenter(cfg.Jieba.DictDir, userDict)
		if segErr != nil && cfg.Jieba.DictDir == "" {
			segErr = fmt.Errorf("%w (a moved binary or a container needs gojieba's dictionaries: set jieba.dict_dir or TECHMATCH_JIEBA_DICT_DIR)", segErr)
		}
	})
	return seg, segErr
}

// writeEmbedded copies an embedded file under dataDir so that C code (gojieba) can open it by path.
func writeEmbedded(dataDir, name string) (string, error) {
	data, err := fs.ReadFile(configs.FS, name)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, filepath.FromSlash(name))
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// loadTaxonomy reads the built-in field taxonomy and region codes.
func loadTaxonomy() (*taxonomy.Taxonomy, error) {
	t, err := fs.ReadFile(configs.FS, "taxonomy.yaml")
	if err != nil {
		return nil, err
	}
	r, err := fs.ReadFile(configs.FS, "regions.yaml")
	if err != nil {
		return nil, err
	}
	tax, err := taxonomy.Load(t, r)
	if err != nil {
		return nil, err
	}
	// Region fields and filters accept names (南京, 江苏省) from here on, answered with codes.
	domain.UseRegionNames(func(name string) []domain.RegionName {
		var out []domain.RegionName
		for _, r := range tax.RegionsNamed(name) {
			out = append(out, domain.RegionName{Code: r.Code, Name: r.Name})
		}
		return out
	})
	return tax, nil
}

// demandNoise is the list of demand-talk words that carry no technical meaning.
func demandNoise() []string { return configs.MustWordList("demand_noise.txt") }

// bodyStopWords are words of prose a description is not searched for (index.WithBodyStopWords),
// less the demand-talk words: those are cut from a demand's text before recall already, except
// where a title piece is nothing else (问题 in "问题 对策"), which goes to the body on purpose:
// the user typed it (docs/relevance.md, third round).
func bodyStopWords() []string {
	noise := demandNoise()
	var words []string
	for _, w := range configs.MustWordList("stop_words.txt") {
		if !slices.Contains(noise, w) {
			words = append(words, w)
		}
	}
	return words
}

// configFile reads the file a config key names, or, when it names none, the built-in one of
// configs; name says which, for messages.
func configFile(key, path, builtin string) (name string, data []byte, err error) {
	if path == "" {
		name = "configs/" + builtin + " (built in)"
		data, err = fs.ReadFile(configs.FS, builtin)
	} else {
		name = path
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return name, nil, fmt.Errorf("%s: %w", key, err)
	}
	return name, data, nil
}

// loadTextModel reads the text model's weights: index.text_model, or the built-in
// configs/text_model.json. Unknown keys and weights that are not finite and non-negative, or all
// zero, are refused, naming the file.
func loadTextModel(cfg config.Config) (index.TextModel, error) {
	name, data, err := configFile("index.text_model", cfg.Index.TextModel, "text_model.json")
	if err != nil {
		return index.TextModel{}, err
	}
	m, err := index.ParseTextModel(data)
	if err != nil {
		return index.TextModel{}, fmt.Errorf("index.text_model %s: %w", name, err)
	}
	return m, nil
}

// variantGroups are the groups of terms that name the same thing (index.WithVariants): the file
// index.variants names, or the built-in configs/dict/variants.txt.
func variantGroups(cfg config.Config) ([][]string, error) {
	name, data, err := configFile("index.variants", cfg.Index.Variants, "dict/variants.txt")
	if err != nil {
		return nil, err
	}
	return parseVariants(name, data)
}

// parseVariants reads groups of variant terms, one group a line, its terms separated by spaces;
// blank lines and lines starting with # are skipped. A line of one term is an error naming it:
// it would do nothing, and is most likely two terms run together.
func parseVariants(name string, data []byte) ([][]string, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("index.variants %s: not UTF-8 text", name)
	}
	var groups [][]string
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g := strings.Fields(line)
		if len(g) < 2 {
			return nil, fmt.Errorf("index.variants %s line %d: %q is one term; a group names two or more, separated by spaces", name, n+1, line)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// newMatcher builds the matching service over an index and a record source.
func newMatcher(ix match.Searcher, recs match.Records) (*match.Service, error) {
	tax, err := loadTaxonomy()
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	return match.New(ix, recs, tax, demandNoise()), nil
}

// seedProfiles stores the default profile from weights.yaml when the store has none.
func seedProfiles(ctx context.Context, st recordStore, log *slog.Logger) error {
	if _, err := st.Profile(ctx, "default"); err == nil || !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	data, err := fs.ReadFile(configs.FS, "weights.yaml")
	if err != nil {
		return err
	}
	p, err := parseProfileYAML(data)
	if err != nil {
		return fmt.Errorf("configs/weights.yaml: %w", err)
	}
	p.Author = "system"
	if err := st.PutProfile(ctx, p); err != nil {
		return err
	}
	log.Info("seeded weight profile", "name", p.Name, "version", p.Version)
	return nil
}

func parseProfileYAML(data []byte) (*domain.Profile, error) {
	var raw struct {
		Name    string             `yaml:"name"`
		Note    string             `yaml:"note"`
		Weights map[string]float64 `yaml:"weights"`
		Params  struct {
			Recall                *int                 `yaml:"recall"`
			ListThreshold         *float64             `yaml:"list_threshold"`
			FreshnessHalfLifeDays *float64             `yaml:"freshness_half_life_days"`
			RegionScores          *domain.RegionScores `yaml:"region_scores"`
			PartnerRegions        [][]string           `yaml:"partner_regions"`
			HardFilters           []string             `yaml:"hard_filters"`
			TRLFloorGap           *int                 `yaml:"trl_floor_gap"`
			MaturityStep          *float64             `yaml:"maturity_step"`
			MinText               *float64             `yaml:"min_text"`
		} `yaml:"params"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	p := &domain.Profile{Name: raw.Name, Note: raw.Note, Weights: raw.Weights, Params: domain.DefaultParams()}
	q := raw.Params
	setIf(&p.Params.Recall, q.Recall)
	setIf(&p.Params.ListThreshold, q.ListThreshold)
	setIf(&p.Params.FreshnessHalfLifeDays, q.FreshnessHalfLifeDays)
	setIf(&p.Params.RegionScores, q.RegionScores)
	setIf(&p.Params.TRLFloorGap, q.TRLFloorGap)
	setIf(&p.Params.MaturityStep, q.MaturityStep)
	setIf(&p.Params.MinText, q.MinText)
	if q.PartnerRegions != nil {
		p.Params.PartnerRegions = q.PartnerRegions
	}
	if q.HardFilters != nil {
		p.Params.HardFilters = q.HardFilters
	}
	return p, p.Validate()
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// loadDemo stores the built-in demo data when the store holds no records at all.
// keepDemoOpen moves the demo demands' deadlines on by whole years until the earliest is a
// month or more away, so that the demo's demands and challenges are open whenever it is loaded
// (the file's dates would otherwise lapse, and the demo close itself, as time goes by).
func keepDemoOpen(recs []domain.Record, now time.Time) {
	var dates []*string
	earliest := ""
	for _, r := range recs {
		d := r.(*domain.Demand)
		for _, p := range []*string{&d.Deadline, challengeDeadline(d)} {
			if p != nil && *p != "" {
				dates = append(dates, p)
				if earliest == "" || *p < earliest {
					earliest = *p
				}
			}
		}
	}
	first, err := time.Parse(time.DateOnly, earliest)
	if err != nil {
		return
	}
	years := 0
	for first.AddDate(years, 0, 0).Before(now.AddDate(0, 1, 0)) {
		years++
	}
	if years == 0 {
		return
	}
	for _, p := range dates {
		if t, err := time.Parse(time.DateOnly, *p); err == nil {
			*p = t.AddDate(years, 0, 0).Format(time.DateOnly)
		}
	}
}

func challengeDeadline(d *domain.Demand) *string {
	if d.Challenge == nil {
		return nil
	}
	return &d.Challenge.Deadline
}

func loadDemo(ctx context.Context, st recordStore, log *slog.Logger) error {
	for _, k := range domain.AllKinds {
		n, err := st.Count(ctx, k)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("store is not empty; demo data not loaded")
			return nil
		}
	}
	for _, k := range domain.AllKinds {
		data, err := fs.ReadFile(configs.FS, "demo/"+string(k)+".ndjson")
		if err != nil {
			return err
		}
		var recs []domain.Record
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			r, err := domain.DecodeRecord(k, line)
			if err != nil {
				return fmt.Errorf("demo %s line %d: %w", k, i+1, err)
			}
			recs = append(recs, r)
		}
		if k == domain.Demands {
			keepDemoOpen(recs, time.Now())
		}
		if err := st.PutMany(ctx, recs); err != nil {
			return fmt.Errorf("demo %s: %w", k, err)
		}
		log.Info("loaded demo data", "kind", k, "records", len(recs))
	}
	return nil
}
