package worklist

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		url     string
		refused bool
	}{
		{"https://hooks.example.com/techmatch", false},
		{"http://203.0.113.7:8080/x", false},
		{"http://[2001:db8::1]/x", false},
		{"http://localhost:6379/", true},
		{"http://LOCALHOST./", true},
		{"http://api.localhost/", true},
		{"http://127.0.0.1:9/x", true},
		{"http://10.1.2.3/", true},
		{"http://172.16.0.1/", true},
		{"http://192.168.1.1/", true},
		{"http://169.254.169.254/latest/meta-data/", true},
		{"http://100.64.0.1/", true},
		{"http://0.0.0.0/", true},
		{"http://[::1]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://[fe80::1]/", true},
		{"http://[fd00::1]/", true},
		{"http://2130706433/", true},  // 127.0.0.1 as one number
		{"http://0x7f.1/", true},      // hex, shortened
		{"http://0177.0.0.1/", true},  // octal
		{"http://127.1:6379/", true},  // shortened
		{"http://0xa9fea9fe/", true},  // 169.254.169.254
		{"http://3405803783/", false}, // 203.0.113.7
		{"http://1.example.com/", false},
		{"http://0x/", false},
	} {
		err := CheckTarget(tc.url)
		if got := errors.Is(err, ErrPrivateTarget); got != tc.refused {
			t.Errorf("CheckTarget(%q) = %v, want refused %v", tc.url, err, tc.refused)
		}
	}
}

// TestWebhookClientRefusesInternalAddressesWhenConnecting: the guard acts on the address the
// call connects to, after name resolution, whatever the URL says, unless internal targets are
// allowed.
func TestWebhookClientRefusesInternalAddressesWhenConnecting(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	guarded := NewWebhooks(nil, WebhookOptions{}).o.Client
	// By address, and by a name that resolves to it (no URL check sees the name here).
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port()} {
		_, err := guarded.Get(target)
		if !errors.Is(err, ErrPrivateTarget) || calls != 0 {
			t.Fatalf("guarded call to %s: err %v, %d calls; want ErrPrivateTarget and none", target, err, calls)
		}
	}
	allowed := NewWebhooks(nil, WebhookOptions{AllowPrivate: true}).o.Client
	resp, err := allowed.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if calls != 1 {
		t.Errorf("allowed call: %d calls, want 1", calls)
	}
}
