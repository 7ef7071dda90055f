// Package config loads techmatch's one Config: defaults in code, a YAML file, then TECHMATCH_* variables.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is every setting of the service.
type Config struct {
	HTTP    HTTP    `yaml:"http"`
	DataDir string  `yaml:"data_dir"`
	Store   Store   `yaml:"store"`
	Redis   Redis   `yaml:"redis"`
	Cache   Cache   `yaml:"cache"`
	Jieba   Jieba   `yaml:"jieba"`
	Auth    Auth    `yaml:"auth"`
	Index   Index   `yaml:"index"`
	Log     Log     `yaml:"log"`
	Limits  Limits  `yaml:"limits"`
	Webhook Webhook `yaml:"webhook"`
	Demands Demands `yaml:"demands"`
}

// Demands configures the demands' lifecycle.
type Demands struct {
	// DeadlineSweep is how often the server closes the open demands whose deadline has passed
	// (at start, then at this interval). In between, such a demand is treated as closed.
	DeadlineSweep time.Duration `yaml:"deadline_sweep"`
}

// HTTP configures the server and its limits.
type HTTP struct {
	Addr            string        `yaml:"addr"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	MaxImportBytes  int64         `yaml:"max_import_bytes"`
	// MaxXLSXUnzippedBytes bounds what an .xlsx upload may unzip to, from its entries' sizes,
	// before any is read.
	MaxXLSXUnzippedBytes int64 `yaml:"max_xlsx_unzipped_bytes"`
	// ImportIdleTimeout is how long an import's body may pause: each read waits this long for
	// the next bytes (ReadTimeout, which covers a whole request, does not apply to imports).
	ImportIdleTimeout time.Duration `yaml:"import_idle_timeout"`
	// ImportTimeout caps an import's whole body, however steadily it arrives: the default
	// takes max_import_bytes (64 MiB) at 56 KiB/s.
	ImportTimeout time.Duration `yaml:"import_timeout"`
	MaxQueryLen   int           `yaml:"max_query_len"`
	MaxPageSize   int           `yaml:"max_page_size"`
	// TrustedProxies are the addresses or CIDR blocks of the load balancers in front of the
	// server. A connection from one of them counts as the client its X-Forwarded-For names
	// (the rightmost address that is not itself a trusted proxy), for the per-address rate
	// limits and the failed-authentication guard; from anywhere else the header is ignored,
	// since anyone can write it. Empty: the connection's address, always.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Store says where the records, outbox, profiles, keys and audit log are kept. An empty URL
// means the SQLite file techmatch.db in the data dir; postgres://user:password@host:port/db
// means a PostgreSQL database that several processes can share. The index and the data dir's
// lock stay in the data dir either way.
type Store struct {
	URL string `yaml:"url"`
}

// Redis configures the shared cache; an empty URL means the in-process cache.
type Redis struct {
	URL     string        `yaml:"url"`
	Timeout time.Duration `yaml:"timeout"`
}

// Cache configures cached match and search answers.
type Cache struct {
	TTL     time.Duration `yaml:"ttl"`
	MaxSize int           `yaml:"max_entries"`
}

// Jieba configures the segmenter; empty DictDir means gojieba's own dictionaries.
type Jieba struct {
	DictDir  string `yaml:"dict_dir"`
	UserDict string `yaml:"user_dict"`
}

// Auth holds the bootstrap admin key.
type Auth struct {
	AdminKey string `yaml:"admin_key"`
}

// MinAdminKeyLen is the shortest bootstrap admin key the server accepts.
const MinAdminKeyLen = 16

// commonInKeys are words and runs that make a key guessable wherever they stand in it.
var commonInKeys = []string{"secret", "password", "passw0rd", "admin", "changeme", "letmein", "welcome",
	"qwerty", "123456", "654321", "abcdef", "techmatch", "example", "default"}

// CheckAdminKey refuses a bootstrap admin key that is easy to guess, as a database refuses a
// weak superuser password: shorter than MinAdminKeyLen, made of fewer than 8 distinct
// characters (aaaa…, passwordpassword), or holding a common word or run (secret, admin,
// 123456). An empty key is no key: there is no admin until one is set. The server checks it
// at start; the other commands do not use it.
func (a Auth) CheckAdminKey() error {
	key := a.AdminKey
	if key == "" {
		return nil
	}
	var why string
	distinct := map[rune]bool{}
	for _, r := range strings.ToLower(key) {
		distinct[r] = true
	}
	switch {
	case len(key) < MinAdminKeyLen:
		why = fmt.Sprintf("it is %d characters long, want at least %d", len(key), MinAdminKeyLen)
	case len(distinct) < 8:
		why = fmt.Sprintf("it is made of %d distinct characters, want at least 8", len(distinct))
	default:
		low := strings.ToLower(key)
		for _, w := range commonInKeys {
			if strings.Contains(low, w) {
				why = fmt.Sprintf("it contains %q, which guessers try first", w)
				break
			}
		}
	}
	if why == "" {
		return nil
	}
	return fmt.Errorf("config: auth.admin_key (TECHMATCH_ADMIN_KEY) is too weak: %s; "+
		"use a random key, e.g. TECHMATCH_ADMIN_KEY=$(openssl rand -hex 16)", why)
}

// Index configures how the outbox is applied to bleve.
type Index struct {
	// BatchSize is the most outbox rows one bleve batch applies. Larger batches index a bulk
	// import faster and hold more in memory while they are built: at 100k records, 3,000
	// indexed at a median 0.92× plain bleve's rate against 0.74× with 2,000, and peaked ~150
	// MiB higher (docs/benchmarks.md). A single write is applied at once whatever the size.
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	// OutboxRetention is how long outbox rows are kept once the index and the worklist worker
	// have both applied them; 0 keeps them for ever.
	OutboxRetention time.Duration `yaml:"outbox_retention"`
	// Variants is a file of term variants (groups of terms that name the same thing, one group
	// a line) replacing the built-in configs/dict/variants.txt; empty: the built-in list.
	Variants string `yaml:"variants"`
	// TextModel is a file of text-model weights (as `techmatch fit --out` writes) replacing the
	// built-in configs/text_model.json; empty: the built-in model.
	TextModel string `yaml:"text_model"`
}

// Limits configures per-caller rate limits: a token bucket per API key, or per client IP for
// anonymous callers. RatePerSecond 0 turns rate limiting off.
type Limits struct {
	RatePerSecond float64 `yaml:"rate_per_second"`
	Burst         int     `yaml:"burst"`
	// AuthFailuresPerSecond and AuthFailureBurst bound failed authentications (a wrong,
	// revoked or malformed key) per client address: a token bucket of its own, spent before
	// the key is looked up, so that an empty one refuses every keyed request from the address
	// until it refills. AuthFailuresPerSecond 0 turns it off.
	AuthFailuresPerSecond float64 `yaml:"auth_failures_per_second"`
	AuthFailureBurst      int     `yaml:"auth_failure_burst"`
}

// Webhook configures agents' alerts. An empty Secret makes the server generate one and keep
// it in the data dir (webhook.secret): alerts are always signed.
type Webhook struct {
	Secret      string        `yaml:"secret"`
	Timeout     time.Duration `yaml:"timeout"`
	Backoff     time.Duration `yaml:"backoff"`
	MaxAttempts int           `yaml:"max_attempts"`
	// AllowPrivate lets webhook URLs point at loopback, private and link-local addresses;
	// off, such URLs are refused when an agent is saved and again when a call connects.
	AllowPrivate bool `yaml:"allow_private"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Addr:                 ":8080",
			ReadTimeout:          15 * time.Second,
			WriteTimeout:         60 * time.Second,
			ShutdownTimeout:      20 * time.Second,
			MaxBodyBytes:         1 << 20,
			MaxImportBytes:       64 << 20,
			MaxXLSXUnzippedBytes: 256 << 20,
			ImportIdleTimeout:    30 * time.Second,
			ImportTimeout:        20 * time.Minute,
			MaxQueryLen:          500,
			MaxPageSize:          100,
			TrustedProxies:       []string{},
		},
		DataDir: "./data",
		Redis:   Redis{Timeout: 500 * time.Millisecond},
		Cache:   Cache{TTL: 10 * time.Minute, MaxSize: 10000},
		Index:   Index{BatchSize: 3000, FlushInterval: 200 * time.Millisecond, OutboxRetention: 24 * time.Hour},
		Log:     Log{Level: "info", Format: "text"},
		Limits:  Limits{RatePerSecond: 50, Burst: 100, AuthFailuresPerSecond: 2, AuthFailureBurst: 10},
		Webhook: Webhook{Timeout: 5 * time.Second, Backoff: 2 * time.Second, MaxAttempts: 6},
		Demands: Demands{DeadlineSweep: time.Minute},
	}
}

// Load builds the configuration: defaults, then the YAML file at path (if path is not empty), then env.
// getenv is os.Getenv in production; tests pass their own.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) error { return fromEnv(getenv, name, dst, time.ParseDuration, "") }
	num := func(name string, dst *int) error { return fromEnv(getenv, name, dst, strconv.Atoi, "an integer") }
	boolean := func(name string, dst *bool) error {
		return fromEnv(getenv, name, dst, strconv.ParseBool, "true or false")
	}
	float := func(name string, dst *float64) error {
		return fromEnv(getenv, name, dst, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }, "a number")
	}
	str("TECHMATCH_HTTP_ADDR", &c.HTTP.Addr)
	str("TECHMATCH_DATA_DIR", &c.DataDir)
	str("TECHMATCH_STORE_URL", &c.Store.URL)
	str("TECHMATCH_REDIS_URL", &c.Redis.URL)
	str("TECHMATCH_JIEBA_DICT_DIR", &c.Jieba.DictDir)
	str("TECHMATCH_JIEBA_USER_DICT", &c.Jieba.UserDict)
	str("TECHMATCH_INDEX_VARIANTS", &c.Index.Variants)
	str("TECHMATCH_INDEX_TEXT_MODEL", &c.Index.TextModel)
	str("TECHMATCH_ADMIN_KEY", &c.Auth.AdminKey)
	str("TECHMATCH_WEBHOOK_SECRET", &c.Webhook.Secret)
	str("TECHMATCH_LOG_LEVEL", &c.Log.Level)
	str("TECHMATCH_LOG_FORMAT", &c.Log.Format)
	if v := getenv("TECHMATCH_HTTP_TRUSTED_PROXIES"); v != "" {
		c.HTTP.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.HTTP.TrustedProxies = append(c.HTTP.TrustedProxies, p)
			}
		}
	}
	for _, err := range []error{
		dur("TECHMATCH_CACHE_TTL", &c.Cache.TTL),
		dur("TECHMATCH_HTTP_READ_TIMEOUT", &c.HTTP.ReadTimeout),
		dur("TECHMATCH_HTTP_IMPORT_IDLE_TIMEOUT", &c.HTTP.ImportIdleTimeout),
		dur("TECHMATCH_HTTP_IMPORT_TIMEOUT", &c.HTTP.ImportTimeout),
		dur("TECHMATCH_REDIS_TIMEOUT", &c.Redis.Timeout),
		num("TECHMATCH_INDEX_BATCH_SIZE", &c.Index.BatchSize),
		dur("TECHMATCH_INDEX_OUTBOX_RETENTION", &c.Index.OutboxRetention),
		num("TECHMATCH_LIMITS_BURST", &c.Limits.Burst),
		num("TECHMATCH_LIMITS_AUTH_FAILURE_BURST", &c.Limits.AuthFailureBurst),
		dur("TECHMATCH_WEBHOOK_TIMEOUT", &c.Webhook.Timeout),
		dur("TECHMATCH_WEBHOOK_BACKOFF", &c.Webhook.Backoff),
		dur("TECHMATCH_DEMANDS_DEADLINE_SWEEP", &c.Demands.DeadlineSweep),
		num("TECHMATCH_WEBHOOK_MAX_ATTEMPTS", &c.Webhook.MaxAttempts),
		boolean("TECHMATCH_WEBHOOK_ALLOW_PRIVATE", &c.Webhook.AllowPrivate),
		float("TECHMATCH_LIMITS_RATE_PER_SECOND", &c.Limits.RatePerSecond),
		float("TECHMATCH_LIMITS_AUTH_FAILURES_PER_SECOND", &c.Limits.AuthFailuresPerSecond),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the configuration at start-up so that a typo fails loudly.
func (c *Config) Validate() error {
	switch {
	case c.HTTP.Addr == "":
		return errors.New("config: http.addr is empty")
	case c.DataDir == "":
		return errors.New("config: data_dir is empty")
	case c.Cache.TTL <= 0:
		return errors.New("config: cache.ttl must be positive")
	case c.HTTP.MaxBodyBytes <= 0 || c.HTTP.MaxImportBytes <= 0 || c.HTTP.MaxXLSXUnzippedBytes <= 0:
		return errors.New("config: http.max_body_bytes, http.max_import_bytes and http.max_xlsx_unzipped_bytes must be positive")
	case c.HTTP.ReadTimeout <= 0 || c.HTTP.ImportIdleTimeout <= 0 || c.HTTP.ImportTimeout < c.HTTP.ImportIdleTimeout:
		return errors.New("config: http.read_timeout and http.import_idle_timeout must be positive, http.import_timeout at least http.import_idle_timeout")
	case c.HTTP.MaxPageSize <= 0 || c.HTTP.MaxQueryLen <= 0:
		return errors.New("config: http.max_page_size and http.max_query_len must be positive")
	case badProxy(c.HTTP.TrustedProxies) != "":
		return fmt.Errorf("config: http.trusted_proxies: %q is neither an IP address nor a CIDR block such as 10.0.0.0/8", badProxy(c.HTTP.TrustedProxies))
	case c.Index.BatchSize <= 0 || c.Index.FlushInterval <= 0:
		return errors.New("config: index.batch_size and index.flush_interval must be positive")
	case c.Index.OutboxRetention < 0:
		return errors.New("config: index.outbox_retention must be ≥ 0 (0: keep the outbox for ever)")
	case c.Webhook.Timeout <= 0 || c.Webhook.Backoff <= 0 || c.Webhook.MaxAttempts < 1:
		return errors.New("config: webhook.timeout and webhook.backoff must be positive, webhook.max_attempts ≥ 1")
	case c.Demands.DeadlineSweep <= 0:
		return errors.New("config: demands.deadline_sweep must be positive, e.g. 1m")
	case !finite(c.Limits.RatePerSecond) || !finite(c.Limits.AuthFailuresPerSecond):
		return errors.New("config: limits.rate_per_second and limits.auth_failures_per_second must be finite numbers")
	case c.Limits.RatePerSecond < 0 || (c.Limits.RatePerSecond > 0 && c.Limits.Burst < 1):
		return errors.New("config: limits.rate_per_second must be ≥ 0 (0: off) and limits.burst ≥ 1 when it is on")
	case c.Limits.AuthFailuresPerSecond < 0 || (c.Limits.AuthFailuresPerSecond > 0 && c.Limits.AuthFailureBurst < 1):
		return errors.New("config: limits.auth_failures_per_second must be ≥ 0 (0: off) and limits.auth_failure_burst ≥ 1 when it is on")
	}
	if c.Store.URL != "" {
		// The URL is not quoted back: it may hold a password.
		u, err := url.Parse(c.Store.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return errors.New("config: store.url (TECHMATCH_STORE_URL): want postgres://user:password@host:port/database, or empty for SQLite in the data dir")
		}
	}
	if c.Redis.URL != "" {
		u, err := url.Parse(c.Redis.URL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			return fmt.Errorf("config: redis.url %q: want redis://host:port/db", c.Redis.URL)
		}
	}
	if c.Jieba.DictDir != "" {
		if st, err := os.Stat(c.Jieba.DictDir); err != nil || !st.IsDir() {
			return fmt.Errorf("config: jieba.dict_dir %q is not a directory", c.Jieba.DictDir)
		}
	}
	if c.Index.Variants != "" {
		if st, err := os.Stat(c.Index.Variants); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("config: index.variants %q is not a readable file", c.Index.Variants)
		}
	}
	if c.Index.TextModel != "" {
		if st, err := os.Stat(c.Index.TextModel); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("config: index.text_model %q is not a readable file", c.Index.TextModel)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fromEnv sets *dst from the environment variable name, parsed, when it is set. A value parse
// refuses is an error naming the variable and the value, and what it should have been (want),
// or parse's own error when want is empty.
func fromEnv[T any](getenv func(string) string, name string, dst *T, parse func(string) (T, error), want string) error {
	v := getenv(name)
	if v == "" {
		return nil
	}
	x, err := parse(v)
	switch {
	case err == nil:
		*dst = x
		return nil
	case want == "":
		return fmt.Errorf("config: %s=%q: %w", name, v, err)
	default:
		return fmt.Errorf("config: %s=%q: want %s", name, v, want)
	}
}

// badProxy is the first of proxies that is neither an address nor a CIDR block, "" when none.
func badProxy(proxies []string) string {
	for _, p := range proxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return p
		}
	}
	return ""
}
