package cache_test

import (
	"regexp"
	"testing"

	"github.com/techmatch/techmatch/internal/cache"
)

func TestKeyStableAndReadable(t *testing.T) {
	got := cache.Key("match", "demand", "d-1", "3", "default@2", "achievements=7", "10")
	if again := cache.Key("match", "demand", "d-1", "3", "default@2", "achievements=7", "10"); again != got {
		t.Fatalf("same parts gave %q then %q", got, again)
	}
	if !regexp.MustCompile(`^tm:v1:match:[0-9a-f]{32}$`).MatchString(got) {
		t.Fatalf("key %q does not read tm:v1:match:<hash>", got)
	}
}

func TestKeyDistinct(t *testing.T) {
	tests := []struct {
		name string
		a, b []string
	}{
		{"different demand", []string{"match", "demand", "d-1"}, []string{"match", "demand", "d-2"}},
		{"different rev", []string{"match", "d-1", "3"}, []string{"match", "d-1", "4"}},
		{"different profile version", []string{"match", "default@1"}, []string{"match", "default@2"}},
		{"parts split differently", []string{"match", "ab", "c"}, []string{"match", "a", "bc"}},
		{"separator inside a part", []string{"match", "a:b"}, []string{"match", "a", "b"}},
		{"empty part is a part", []string{"match", ""}, []string{"match"}},
		{"order matters", []string{"match", "x", "y"}, []string{"match", "y", "x"}},
		{"different namespace", []string{"match", "q"}, []string{"search", "q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ka, kb := cache.Key(tt.a...), cache.Key(tt.b...); ka == kb {
				t.Fatalf("Key(%q) == Key(%q) == %q", tt.a, tt.b, ka)
			}
		})
	}
}

func TestKeyPrefixFallback(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"no parts", nil, `^tm:v1:_:[0-9a-f]{32}$`},
		{"empty first part", []string{"", "x"}, `^tm:v1:_:[0-9a-f]{32}$`},
		{"long first part is only hashed", []string{`{"title":"锂电池正极材料回收工艺，需要中试线"}`}, `^tm:v1:_:[0-9a-f]{32}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cache.Key(tt.parts...); !regexp.MustCompile(tt.want).MatchString(got) {
				t.Fatalf("Key(%q) = %q, want match of %s", tt.parts, got, tt.want)
			}
		})
	}
}
