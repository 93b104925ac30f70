package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
)

// browserTimeout bounds one browser flow: generous, for a busy 2-core
// machine running a real Chromium.
const browserTimeout = 3 * time.Minute

// chrome starts a headless Chromium for the test. The browser tests run
// unless HOOKD_SKIP_BROWSER=1; without Chromium they fail, naming how to
// install it.
func chrome(t *testing.T) context.Context {
	t.Helper()
	if os.Getenv("HOOKD_SKIP_BROWSER") == "1" {
		t.Skip("HOOKD_SKIP_BROWSER=1")
	}
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no Chromium found: install it (scripts/install-chromium.sh) or set HOOKD_SKIP_BROWSER=1")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser actions and fails the test, naming step, on error.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// screenshot saves the page as name.png under HOOKD_SCREENSHOTS, when
// that names a directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HOOKD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// button selects a button or link with exactly this text.
func button(text string) chromedp.Search {
	return chromedp.Search(`//*[(self::button or self::a) and normalize-space()="` + text + `"]`)
}

// signInBrowser signs in through the form, as a person would.
func signInBrowser(t *testing.T, ctx context.Context, base, key string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(base+"/ui/"),
		chromedp.WaitVisible(chromedp.Search(`//label[normalize-space()="API key"]`)),
		chromedp.SendKeys(chromedp.ID("api_key"), key),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(chromedp.Search(`//h1[starts-with(normalize-space(), "Endpoints")]`)),
	)
}

func TestBrowserEndpointFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	ctx := chrome(t)
	run(t, ctx, "open", chromedp.Navigate(h.ts.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("api_key")))
	screenshot(t, ctx, "signin")
	signInBrowser(t, ctx, h.ts.URL, h.key)

	run(t, ctx, "create an endpoint",
		chromedp.Click(button("New endpoint")),
		chromedp.WaitVisible(chromedp.ID("url")),
		chromedp.SendKeys(chromedp.ID("url"), h.recv.URL+"/hooks"),
		chromedp.SendKeys(chromedp.ID("description"), "Order service"),
		chromedp.SendKeys(chromedp.ID("headers"), "X-Team: billing"),
	)
	screenshot(t, ctx, "endpoint-new")
	run(t, ctx, "submit the endpoint",
		chromedp.Click(button("Create")),
		chromedp.WaitVisible(chromedp.ID("secret")),
	)
	secret, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("secret")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret shown = %q", secret)
	}
	run(t, ctx, "send a test event",
		chromedp.Click(button("Continue to the endpoint")),
		chromedp.WaitVisible(button("Send test event")),
		chromedp.Click(button("Send test event")),
		chromedp.WaitVisible(chromedp.CSS(`#deliveries .status.succeeded`)),
	)
	if h.recv.got.Load() != 1 {
		t.Errorf("receiver got %d requests, want 1", h.recv.got.Load())
	}
	h.recv.status.Store(http.StatusInternalServerError)
	run(t, ctx, "see a failed attempt",
		chromedp.Click(button("Send test event")),
		chromedp.WaitVisible(chromedp.CSS(`#deliveries .status.failed`)),
		chromedp.WaitVisible(chromedp.Search(`//td/span[@class="code c500" and text()="500"]`)),
	)
	screenshot(t, ctx, "endpoint")
	browserRetry(t, ctx, h)
}

// browserRetry retries the failed delivery from its event page, then
// visits the lists.
func browserRetry(t *testing.T, ctx context.Context, h *harness) {
	h.recv.status.Store(http.StatusOK)
	run(t, ctx, "retry it",
		chromedp.Click(chromedp.Search(`//tr[td/span[contains(@class,"failed")]]//a[starts-with(text(),"evt_")]`)),
		chromedp.WaitVisible(button("Retry")),
	)
	screenshot(t, ctx, "event")
	run(t, ctx, "retried",
		chromedp.Click(button("Retry")),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="flash" and contains(., "queued again")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#event-deliveries .status.succeeded`)),
	)
	run(t, ctx, "the deliveries list",
		chromedp.Click(chromedp.Search(`//nav//a[text()="Events"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deliveries .status.succeeded`)),
	)
	screenshot(t, ctx, "deliveries")
	run(t, ctx, "the endpoint list",
		chromedp.Click(chromedp.Search(`//nav//a[text()="Endpoints"]`)),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "Order service")]`)),
	)
	screenshot(t, ctx, "endpoints")
}

func TestBrowserReadOnlyKeyHasNoButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	admin := h.browser()
	admin.signIn(h.key)
	id, _ := admin.createEndpoint("default", h.recv.URL)
	ctx := chrome(t)
	signInBrowser(t, ctx, h.ts.URL, h.newKey("admin", true))
	for _, path := range []string{"/ui/t/default/endpoints", "/ui/t/default/endpoints/" + id, "/ui/t/default/deliveries"} {
		run(t, ctx, "open "+path, chromedp.Navigate(h.ts.URL+path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`document.querySelectorAll('main form[method=post], main form[method=post] button, a.button').length`))
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: a read-only key sees %d buttons or forms that change things", path, n)
		}
	}
}

func TestBrowserPortalShowsOnlyItsTenant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	h.putTenant("globex")
	admin := h.browser()
	admin.signIn(h.key)
	admin.createEndpoint("acme", h.recv.URL+"/acme-hooks")
	admin.createEndpoint("globex", h.recv.URL+"/globex-hooks")
	link, err := h.admin.CreatePortalLink(context.Background(), "acme", []string{"send_tests"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t)
	run(t, ctx, "open the portal link",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(chromedp.Search(`//td/a[contains(., "/acme-hooks")]`)),
	)
	screenshot(t, ctx, "portal")
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText + " " + location.href`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "globex") || strings.Contains(body, "token=") || !strings.Contains(body, "portal") {
		t.Errorf("the portal shows another tenant, or keeps its token in the address: %s", body)
	}
	run(t, ctx, "another tenant by URL",
		chromedp.Navigate(h.ts.URL+"/ui/t/globex/endpoints"),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="problem" and contains(., "not found")]`)),
	)
	run(t, ctx, "the link works once",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="problem" and contains(., "used already")]`)),
	)
}

func TestBrowserAdminScreens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.putTenant("acme")
	_, err := h.admin.CreateEventType(context.Background(), httpapi.EventTypeInput{Name: "invoice.paid", Group: "billing",
		Description: "An invoice was paid", Schema: json.RawMessage(`{"type":"object","properties":{"amount":{"type":"integer"}}}`),
		Examples: []json.RawMessage{json.RawMessage(`{"amount":1200}`)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t)
	signInBrowser(t, ctx, h.ts.URL, h.key)
	run(t, ctx, "the event catalog",
		chromedp.Click(chromedp.Search(`//nav//a[text()="Event types"]`)),
		chromedp.Click(chromedp.Search(`//td/a[text()="invoice.paid"]`)),
		chromedp.WaitVisible(chromedp.Search(`//pre[contains(., "1200")]`)),
	)
	screenshot(t, ctx, "event-type")
	run(t, ctx, "create an API key",
		chromedp.Click(chromedp.Search(`//nav//a[text()="API keys"]`)),
		chromedp.SendKeys(chromedp.ID("name"), "deploys"),
		chromedp.Click(button("Create key")),
		chromedp.WaitVisible(chromedp.ID("new-key")),
	)
	key, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("new-key")))
	if err != nil || !strings.HasPrefix(key, "hk_") {
		t.Fatalf("new key = %q, %v", key, err)
	}
	screenshot(t, ctx, "api-keys")
	if _, err := httpapi.NewClient(h.ts.URL, key).GetAPIKey(context.Background(), "key_none"); !hookd.IsNotFound(err) {
		t.Errorf("the key shown does not work: %v", err)
	}
}
