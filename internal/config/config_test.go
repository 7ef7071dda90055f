package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("http:\n  addr: \":9000\"\ncache:\n  ttl: 5m\ndata_dir: /var/tm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(file, env(map[string]string{"TECHMATCH_CACHE_TTL": "30s", "TECHMATCH_REDIS_URL": "redis://127.0.0.1:6379/0",
		"TECHMATCH_STORE_URL": "postgres://tm:pw@db:5432/techmatch"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != ":9000" || c.DataDir != "/var/tm" {
		t.Errorf("file not applied: %+v", c)
	}
	if c.Cache.TTL != 30*time.Second || c.Redis.URL != "redis://127.0.0.1:6379/0" {
		t.Errorf("env does not override the file: ttl %v redis %q", c.Cache.TTL, c.Redis.URL)
	}
	if c.Store.URL != "postgres://tm:pw@db:5432/techmatch" {
		t.Errorf("TECHMATCH_STORE_URL not applied: %q", c.Store.URL)
	}
	if c.HTTP.MaxPageSize != config.Default().HTTP.MaxPageSize {
		t.Errorf("defaults lost for keys the file leaves out")
	}
}

// The shipped configs/techmatch.yaml is valid and says what the code's defaults say.
func TestShippedFileMatchesDefaults(t *testing.T) {
	c, err := config.Load("../../configs/techmatch.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := config.Default()
	if !reflect.DeepEqual(c.HTTP, d.HTTP) || c.Cache != d.Cache || c.DataDir != d.DataDir || c.Index != d.Index || c.Webhook != d.Webhook || c.Demands != d.Demands || c.Store != d.Store {
		t.Errorf("configs/techmatch.yaml differs from the defaults in code:\nfile %+v\ncode %+v", c, d)
	}
}

func TestRejects(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown key", "htp:\n  addr: x\n", nil, "htp"},
		{"bad duration", "", map[string]string{"TECHMATCH_CACHE_TTL": "soon"}, `TECHMATCH_CACHE_TTL="soon": time: invalid duration`},
		{"bad integer", "", map[string]string{"TECHMATCH_INDEX_BATCH_SIZE": "3k"}, `TECHMATCH_INDEX_BATCH_SIZE="3k": want an integer`},
		{"bad boolean", "", map[string]string{"TECHMATCH_WEBHOOK_ALLOW_PRIVATE": "yes please"}, `TECHMATCH_WEBHOOK_ALLOW_PRIVATE="yes please": want true or false`},
		{"bad number", "", map[string]string{"TECHMATCH_LIMITS_RATE_PER_SECOND": "fast"}, `TECHMATCH_LIMITS_RATE_PER_SECOND="fast": want a number`},
		{"bad redis url", "", map[string]string{"TECHMATCH_REDIS_URL": "localhost:6379"}, "redis.url"},
		{"store url not postgres", "", map[string]string{"TECHMATCH_STORE_URL": "mysql://tm:pw@db/techmatch"}, "store.url"},
		{"store url without host", "store:\n  url: postgres:techmatch\n", nil, "store.url"},
		{"missing dict dir", "", map[string]string{"TECHMATCH_JIEBA_DICT_DIR": filepath.Join(dir, "nope")}, "jieba.dict_dir"},
		{"missing variants file", "", map[string]string{"TECHMATCH_INDEX_VARIANTS": filepath.Join(dir, "nope.txt")}, "index.variants"},
		{"variants file a directory", "index:\n  variants: " + dir + "\n", nil, "index.variants"},
		{"bad log level", "log:\n  level: loud\n", nil, "log.level"},
		{"zero ttl", "cache:\n  ttl: 0s\n", nil, "cache.ttl"},
		{"negative auth failure rate", "", map[string]string{"TECHMATCH_LIMITS_AUTH_FAILURES_PER_SECOND": "-1"}, "limits.auth_failures_per_second"},
		{"auth failure burst 0", "limits:\n  auth_failure_burst: 0\n", nil, "limits.auth_failure_burst"},
		{"zero deadline sweep", "", map[string]string{"TECHMATCH_DEMANDS_DEADLINE_SWEEP": "0s"}, "demands.deadline_sweep"},
		{"NaN rate", "", map[string]string{"TECHMATCH_LIMITS_RATE_PER_SECOND": "NaN"}, "finite"},
		{"bad trusted proxy", "", map[string]string{"TECHMATCH_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, haproxy"}, `http.trusted_proxies: "haproxy"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.Load(file, env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// TestAdminKeyStrength: the server refuses a bootstrap admin key a guesser would try early,
// saying why and how to make a good one.
func TestAdminKeyStrength(t *testing.T) {
	cases := []struct{ key, want string }{
		{"", ""},
		{"secret", "6 characters long, want at least 16"},
		{"tk-7f3a9c2", "at least 16"},
		{"aaaaaaaaaaaaaaaaaaaa", "1 distinct characters"},
		{"passwordpassword", "7 distinct characters"},
		{"my-Secret-key-2024!", `contains "secret"`},
		{"xyz-admin-key-9876", `contains "admin"`},
		{"0123456789abcdefgh", `contains "123456"`},
		{"changeme-please-now", `contains "changeme"`},
		{"tk-7f3a9c2e51d84b06", ""},
		{"9f86d081884c7d659a2feaa0c55ad015", ""}, // openssl rand -hex 16
	}
	for _, c := range cases {
		err := config.Auth{AdminKey: c.key}.CheckAdminKey()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q refused: %v", c.key, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want one saying %q", c.key, err, c.want)
		case err != nil && (!strings.Contains(err.Error(), "openssl rand -hex 16") || strings.Contains(err.Error(), c.key)):
			t.Errorf("%q: error %q should say how to make a key and never repeat the key", c.key, err)
		}
	}
}

// A store URL that is refused is not quoted back: it may hold a password.
func TestBadStoreURLKeepsItsPassword(t *testing.T) {
	_, err := config.Load("", env(map[string]string{"TECHMATCH_STORE_URL": "mysql://tm:s3cret-pw@db/techmatch"}))
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("error %v: want a refusal that does not show the password", err)
	}
}
