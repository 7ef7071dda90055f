package worklist

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Headers of a webhook call. The signature covers the timestamp and the body, so that a
// captured call cannot be replayed later with a new timestamp, and receivers refuse calls whose
// timestamp is too old (see Verify).
const (
	// SignatureHeader carries "sha256=<hex HMAC-SHA256 of timestamp + "." + body>".
	SignatureHeader = "X-Techmatch-Signature"
	// TimestampHeader carries the time of the attempt, in unix seconds.
	TimestampHeader = "X-Techmatch-Timestamp"
)

// Sign returns the signature header value of a call at timestamp ts (unix seconds, as sent in
// TimestampHeader) carrying body, under secret: "sha256=" and the hex HMAC-SHA256 of
// ts + "." + body.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// MaxSkew is how far from the receiver's clock a call's timestamp may be (README: 5 minutes).
const MaxSkew = 5 * time.Minute

// Verify checks a call as a receiver should: the signature, in constant time, and a timestamp
// within MaxSkew of now. It says which check failed.
func Verify(secret, body []byte, ts, signature string, now time.Time) error {
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return errors.New("worklist: webhook signature does not match")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("worklist: webhook timestamp %q is not unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("worklist: webhook timestamp %s is %s away from now: a replay, or a clock off", ts, d.Round(time.Second))
	}
	return nil
}

// SecretFile is where a generated webhook secret is kept, inside the data dir.
const SecretFile = "webhook.secret"

// LoadSecret returns the configured secret, or the one generated earlier in dataDir, or
// generates and persists a new one: webhooks are always signed. generated names the file
// when the secret came from it, so that the operator can be told where it is.
func LoadSecret(configured, dataDir string) (secret []byte, file string, err error) {
	if configured != "" {
		return []byte(configured), "", nil
	}
	file = filepath.Join(dataDir, SecretFile)
	data, err := os.ReadFile(file)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		return bytes.TrimSpace(data), file, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("worklist: webhook secret %s: %w", file, err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(s+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("worklist: webhook secret %s: %w", file, err)
	}
	return []byte(s), file, nil
}

// WebhookOptions tune delivery.
type WebhookOptions struct {
	Secret      []byte
	Timeout     time.Duration // per call
	Backoff     time.Duration // wait after the first failure; doubles after each next one
	MaxAttempts int
	// AllowPrivate lets calls reach loopback, private and link-local addresses (see
	// ErrPrivateTarget); without it they are refused when the connection is made.
	AllowPrivate bool
	Client       *http.Client // nil: one that follows no redirects, guarded unless AllowPrivate
	Log          *slog.Logger
}

// Webhooks delivers queued webhook calls in the background, retrying failures with
// exponential backoff. The queue is the deliveries table, so retries survive a restart.
type Webhooks struct {
	st   Store
	o    WebhookOptions
	wake chan struct{}
}

// NewWebhooks builds the deliverer; Run starts it.
func NewWebhooks(st Store, o WebhookOptions) *Webhooks {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	switch {
	case o.Client != nil:
	case o.AllowPrivate:
		o.Client = &http.Client{CheckRedirect: noRedirects}
	default:
		o.Client = guardedClient()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Webhooks{st: st, o: o, wake: make(chan struct{}, 1)}
}

// Notify says deliveries were queued; it never blocks.
func (h *Webhooks) Notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// idlePoll bounds how long Run sleeps with nothing due, in case a wake-up was missed.
const idlePoll = 5 * time.Second

// Run delivers whatever is due, then sleeps until the next delivery is due or it is woken.
func (h *Webhooks) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := h.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			h.o.Log.Error("webhooks: delivering failed; will retry", "err", err)
		}
		wait := idlePoll
		if at, ok, err := h.st.NextDelivery(ctx); err == nil && ok {
			wait = min(idlePoll, max(time.Until(at), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-h.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverDue makes one attempt at every delivery that is due now.
func (h *Webhooks) DeliverDue(ctx context.Context) error {
	for {
		due, err := h.st.DueDeliveries(ctx, time.Now().UTC(), 20)
		if err != nil || len(due) == 0 {
			return err
		}
		for _, d := range due {
			if err := h.attempt(ctx, d); err != nil {
				return err
			}
		}
	}
}

func (h *Webhooks) attempt(ctx context.Context, d domain.Delivery) error {
	code, callErr := h.post(ctx, d)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the attempt does not count, it is made after restart
	}
	if callErr == nil {
		return h.st.RecordAttempt(ctx, d.ID, domain.DeliveryDelivered, code, "", time.Now().UTC())
	}
	status, next := domain.DeliveryPending, time.Now().UTC().Add(h.o.Backoff<<min(d.Attempts, 20))
	if d.Attempts+1 >= h.o.MaxAttempts {
		status = domain.DeliveryFailed
		h.o.Log.Warn("webhook given up", "delivery", d.ID, "agent", d.AgentID, "attempts", d.Attempts+1, "err", callErr)
	}
	return h.st.RecordAttempt(ctx, d.ID, status, code, callErr.Error(), next)
}

// post makes one call; any answer but 2xx is a failure.
func (h *Webhooks) post(ctx context.Context, d domain.Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "techmatch-webhook/1")
	req.Header.Set("X-Techmatch-Event", d.Event)
	req.Header.Set("X-Techmatch-Delivery", strconv.FormatInt(d.ID, 10))
	// Each attempt is signed anew: a retry carries the time it is made.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(h.o.Secret, ts, d.Body))
	resp, err := h.o.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered %s", strings.TrimSpace(resp.Status))
	}
	return resp.StatusCode, nil
}
