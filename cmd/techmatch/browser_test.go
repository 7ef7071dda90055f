package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one browser step so that a broken page fails the test instead of hanging
// it; it is a guard, not an assertion about speed.
const stepTimeout = 45 * time.Second

// findChromium returns Debian's chromium, skipping the test when it is missing unless
// TECHMATCH_REQUIRE_BROWSER=1 (as in CI) makes that a failure.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TECHMATCH_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium is not installed (apt-get install -y chromium) and TECHMATCH_REQUIRE_BROWSER=1")
	}
	t.Skip("chromium is not installed; apt-get install -y chromium to run the console tests")
	return ""
}

// testOutDir is where screenshots go: TECHMATCH_TEST_OUT/<sub> when set, so they survive the run.
func testOutDir(t *testing.T, sub string) string {
	t.Helper()
	base := os.Getenv("TECHMATCH_TEST_OUT")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless chromium tab on the console, with the console's messages collected.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	out  string

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := findChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first call starts the browser and binds it to ctx, so it carries no timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, base: base, out: testOutDir(t, "console")}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Logf("console screenshots in %s", b.out)
	return b
}

// do runs steps; on failure it saves a screenshot of what the page showed.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls a JavaScript predicate until it is truthy.
func (b *browser) waitFor(what, predicate string) {
	b.t.Helper()
	b.do(what, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(stepTimeout), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// open goes to a console route; the first call loads the page, later ones change the hash only,
// as following a link in the console does.
func (b *browser) open(hash string) {
	b.t.Helper()
	loaded := eval[bool](b, `document.body && document.body.dataset.ready === 'true'`)
	if !loaded {
		b.do("load the console", chromedp.Navigate(b.base+"/"+hash))
		b.waitFor("console ready", `document.body.dataset.ready === 'true'`)
		return
	}
	b.do("open "+hash, chromedp.Evaluate[chromedp.Void]("location.hash = "+jsString(hash)))
}

// clickCenterLeft clicks near the left end of an element, as a user clicking a slider's start.
func (b *browser) clickLeftEnd(selector string) {
	b.t.Helper()
	r := eval[[]float64](b, `(() => { const el = document.querySelector(`+jsString(selector)+`); el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	b.do("click "+selector, chromedp.MouseClickXY(r[0]+1, r[1]+r[3]/2))
}

func (b *browser) shot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.out, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("saving screenshot %s: %v", name, err)
	}
}

// pageErrors are uncaught exceptions, console.error calls and security (CSP) reports; a 404 of a
// route that is not built yet is a network entry and expected.
func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
			out = append(out, m.String())
		}
	}
	return out
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
