package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/techmatch/techmatch/internal/domain"
)

// TestConsole drives the web console in headless chromium against the real binary with demo
// data: each page is used the way a person would, and what it shows is checked.
func TestConsole(t *testing.T) {
	findChromium(t)
	// Webhooks to a receiver on loopback, given up after one attempt: the challenges subtest
	// redelivers a failed one.
	srv := startServer(t, "", []string{"--demo"}, "TECHMATCH_WEBHOOK_ALLOW_PRIVATE=true", "TECHMATCH_WEBHOOK_MAX_ATTEMPTS=1",
		"TECHMATCH_WEBHOOK_SECRET="+webhookSecret)
	b := newBrowser(t, srv.URL)

	t.Run("anonymous sees search only", func(t *testing.T) {
		b.t = t
		b.open("#/search")
		pages := eval[[]string](b, `[...document.querySelectorAll('#nav a:not([hidden])')].map(a => a.dataset.page)`)
		if strings.Join(pages, ",") != "search" {
			t.Errorf("menu for anonymous = %v, want only search", pages)
		}
		b.open("#/tuning")
		b.waitFor("tuning refused", `document.querySelector('[data-state=forbidden]')`)
	})

	t.Run("search, facet and open a hit", func(t *testing.T) {
		b.t = t
		b.open("#/search")
		b.do("search 锂电池",
			chromedp.SetValue(chromedp.CSS(`#search-form input[name=q]`), "锂电池"),
			chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)))
		b.waitFor("hits", `document.querySelectorAll('#search-results[data-q="锂电池"] .hit').length > 0`)
		if n := eval[int](b, `document.querySelectorAll('#search-results .hit mark').length`); n == 0 {
			t.Error("no highlighted terms in the hits")
		}
		if n := eval[int](b, `document.querySelectorAll('#search-results .facet').length`); n == 0 {
			t.Error("no facets")
		}
		b.shot("search")
		kind := eval[string](b, `document.querySelector('#search-results .facet[data-facet=kind]').dataset.value`)
		b.do("click the kind facet", chromedp.Click(chromedp.CSS(`#search-results .facet[data-facet=kind]`)))
		b.waitFor("filtered by kind", `location.hash.includes('kind=`+kind+`') && document.querySelector('#search-results .facet.on')`)
		kinds := eval[[]string](b, `[...document.querySelectorAll('#search-results .hit')].map(h => h.dataset.kind)`)
		for _, k := range kinds {
			if k != kind {
				t.Errorf("after the facet %s a hit of kind %s is listed", kind, k)
			}
		}
		b.do("open the first hit", chromedp.Click(chromedp.CSS(`#search-results .hit-title`)))
		b.waitFor("record page", `document.querySelector('.record h1')`)
		contact := eval[string](b, `document.querySelector('#contact')?.textContent || ''`)
		if !strings.Contains(contact, "****") {
			t.Errorf("anonymous contact %q is not masked", contact)
		}
		b.shot("record")
	})

	t.Run("markup in records stays text", func(t *testing.T) {
		b.t = t
		rec := map[string]any{"id": "ach-markup", "title": `<img src=x id=pwn-title>注入演示电解质`,
			"summary": `锂电池注入演示 <img src=x id=pwn-summary> <b id=pwn-bold>粗体</b>`, "region": "320100", "trl": 5}
		if r := srv.do("POST", "/v1/achievements", rec, adminKey); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		eventually(t, "indexed", func() bool {
			return strings.Contains(string(srv.do("GET", "/v1/search?q=注入演示", nil, "").Body), "ach-markup")
		})
		b.open("#/search?q=注入演示")
		b.waitFor("hit", `document.querySelector('#search-results .hit[data-id="ach-markup"]')`)
		if n := eval[int](b, `document.querySelectorAll('#pwn-title, #pwn-summary, #pwn-bold, #search-results img').length`); n != 0 {
			t.Errorf("record text became %d elements", n)
		}
		if title := eval[string](b, `document.querySelector('.hit[data-id="ach-markup"] .hit-title').textContent`); !strings.HasPrefix(title, "<img") {
			t.Errorf("title shown as %q, want the literal text", title)
		}
	})

	t.Run("closed records marked when asked for", func(t *testing.T) {
		b.t = t
		if r := srv.do("POST", "/v1/achievements", map[string]any{"id": "ach-closed", "title": "已停用的氢燃料电池催化剂", "status": "closed"}, adminKey); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		eventually(t, "indexed", func() bool {
			return strings.Contains(string(srv.do("GET", "/v1/search?q=氢燃料电池催化剂&include_inactive=true", nil, "").Body), "ach-closed")
		})
		b.open("#/search?q=氢燃料电池催化剂")
		b.waitFor("results", `document.querySelector('#search-results[data-q="氢燃料电池催化剂"] .summary')`)
		if n := eval[int](b, `document.querySelectorAll('.hit[data-id="ach-closed"]').length`); n != 0 {
			t.Error("a closed record is listed without asking")
		}
		b.do("tick 含已关闭", chromedp.Click(chromedp.CSS(`#search-form input[name=include_inactive]`)), chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)))
		b.waitFor("closed hit", `location.hash.includes('include_inactive=true') && document.querySelector('.hit[data-id="ach-closed"] .badge.inactive')`)
		if text := eval[string](b, `document.querySelector('.hit[data-id="ach-closed"] .badge.inactive').textContent`); text != "已关闭" {
			t.Errorf("badge reads %q, want 已关闭", text)
		}
		if text := eval[string](b, `document.querySelector('#search-results .summary').textContent`); !strings.Contains(text, "缓存命中") && !strings.Contains(text, "缓存未命中") && !strings.Contains(text, "缓存未启用") {
			t.Errorf("summary %q does not say the cache state in Chinese", text)
		}
		b.shot("search-inactive")
	})

	t.Run("sign in", func(t *testing.T) {
		b.t = t
		b.do("wrong key", chromedp.Click(chromedp.ID("signin")), chromedp.SetValue(chromedp.ID("signin-key"), "not-a-key"), chromedp.Click(chromedp.ID("signin-submit")))
		b.waitFor("refused", `!document.querySelector('#signin-error').hidden`)
		b.do("admin key", chromedp.SetValue(chromedp.ID("signin-key"), adminKey), chromedp.Click(chromedp.ID("signin-submit")))
		b.waitFor("signed in", `document.querySelector('#role').dataset.role === 'admin'`)
		pages := eval[[]string](b, `[...document.querySelectorAll('#nav a:not([hidden])')].map(a => a.dataset.page)`)
		if len(pages) != 8 {
			t.Errorf("menu for admin = %v, want all eight pages", pages)
		}
	})

	// Before the workbench subtest: no agent holds the new challenge's list yet.
	t.Run("揭榜挂帅 and redelivering a failed webhook", func(t *testing.T) { b.t = t; challenges(t, srv, b) })

	t.Run("match list of a stored demand", func(t *testing.T) {
		b.t = t
		b.open("#/match")
		b.waitFor("demand list", `document.querySelector('#demand-list a[data-id="dem-002"]')`)
		b.do("pick dem-002", chromedp.Click(chromedp.CSS(`#demand-list a[data-id="dem-002"]`)))
		b.waitFor("matches", `document.querySelectorAll('.match-list[data-source="dem-002"] .match').length > 0`)
		type view struct{ Matches, Bars, Reasons int }
		v := eval[view](b, `({Matches: document.querySelectorAll('.match-list .match').length,
			Bars: document.querySelectorAll('.match-list .match svg.components rect.bar').length,
			Reasons: document.querySelectorAll('.match-list .match .reasons li').length})`)
		if v.Bars != 8*v.Matches {
			t.Errorf("%d component bars for %d matches, want 8 each", v.Bars, v.Matches)
		}
		if v.Reasons == 0 {
			t.Error("no reasons shown")
		}
		if !strings.Contains(eval[string](b, `document.querySelector('#excluded').textContent`), "已排除") {
			t.Error("the excluded summary is missing")
		}
		b.shot("match")
	})

	t.Run("match a one-sentence demand", func(t *testing.T) {
		b.t = t
		b.do("post a sentence",
			chromedp.SetValue(chromedp.CSS(`#match-form textarea`), "需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可"),
			chromedp.Click(chromedp.CSS(`#match-form button[type=submit]`)))
		b.waitFor("ad-hoc matches", `document.querySelectorAll('.match-list[data-source=adhoc] .match').length > 0`)
		if got := eval[string](b, `document.querySelector('#inferred')?.textContent || ''`); !strings.Contains(got, "200") {
			t.Errorf("inferred %q does not show the budget", got)
		}
	})

	var before int
	t.Run("tuning preview follows a slider", func(t *testing.T) {
		b.t = t
		var p struct{ Version int }
		srv.do("GET", "/v1/profiles/default", nil, "").decode(t, &p)
		before = p.Version
		b.open("#/tuning")
		b.waitFor("first preview", `document.querySelector('#overlap') && document.querySelectorAll('#preview .demand-preview').length > 0`)
		if got := eval[string](b, `document.querySelector('#overlap').textContent`); got != "100%" {
			t.Errorf("overlap of the unchanged candidate = %s, want 100%%", got)
		}
		if got := eval[float64](b, `Number(document.querySelector('#slider-params-min_text')?.value)`); got != domain.DefaultParams().MinText {
			t.Errorf("the text floor's slider reads %v, want the profile's %v", got, domain.DefaultParams().MinText)
		}
		seq := eval[string](b, `document.querySelector('#preview').dataset.seq`)
		b.clickLeftEnd("#slider-weights-text")
		b.waitFor("text weight at 0", `Number(document.querySelector('#slider-weights-text').value) < 0.05`)
		// The demo's top 10s keep their members when text weighs nothing, so the order is what moves.
		b.waitFor("preview changed", `document.querySelector('#preview').dataset.seq !== `+jsString(seq)+
			` && document.querySelector('#rank-shift').textContent !== '0'`)
		if n := eval[int](b, `document.querySelectorAll('#preview .candidate [data-change=up], #preview .candidate [data-change=down], #preview .candidate [data-change=new]').length`); n == 0 {
			t.Error("no rank arrows after the change")
		}
		b.shot("tuning")
	})

	t.Run("publish and roll back", func(t *testing.T) {
		b.t = t
		b.do("publish", chromedp.SetValue(chromedp.ID("publish-note"), "浏览器测试：不看文本"), chromedp.Click(chromedp.CSS(`#publish-form button[type=submit]`)))
		next := before + 1
		b.waitFor("new version listed", fmt.Sprintf(`document.querySelector('#versions tr[data-version="%d"] .badge.current')`, next))
		var p struct {
			Version int
			Note    string
			Weights map[string]float64
		}
		srv.do("GET", "/v1/profiles/default", nil, "").decode(t, &p)
		if p.Version != next || p.Note != "浏览器测试：不看文本" || p.Weights["text"] > 0.05 {
			t.Errorf("published profile = v%d %q text=%g, want v%d with the note and text ≈ 0", p.Version, p.Note, p.Weights["text"], next)
		}
		// The preview reloads under the new version and moves the history down; click after it settles.
		b.waitFor("preview under the new version", fmt.Sprintf(`!document.querySelector('#preview').classList.contains('busy') && document.querySelector('#preview h4')?.textContent === '当前 v%d'`, next))
		b.shot("published")
		sel := fmt.Sprintf(`#versions button.rollback[data-version="%d"]`, before)
		b.do("roll back (two clicks)", chromedp.Click(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		b.waitFor("rollback version listed", fmt.Sprintf(`document.querySelector('#versions tr[data-version="%d"] .badge.current')`, next+1))
		srv.do("GET", "/v1/profiles/default", nil, "").decode(t, &p)
		if p.Version != next+1 || p.Weights["text"] < 0.05 {
			t.Errorf("after rollback: v%d text=%g, want v%d with the old text weight", p.Version, p.Weights["text"], next+1)
		}
	})

	t.Run("workbench", func(t *testing.T) { b.t = t; workbench(t, srv, b) })

	t.Run("dashboard", func(t *testing.T) {
		b.t = t
		b.open("#/dashboard")
		b.waitFor("funnel", `document.querySelector('#chart-funnel svg')`)
		// The workbench subtest has put entries on a list and moved one to contacted.
		if n := eval[string](b, `document.querySelector('#total-entries').textContent`); n == "0" {
			t.Error("the dashboard counts no match-list entries")
		}
		steps := eval[[]string](b, `[...document.querySelectorAll('#chart-funnel text.inbar')].map(t => t.textContent)`)
		if len(steps) != 4 || steps[1] == "已联系 0" || steps[0] == "新分配 0" {
			t.Errorf("funnel steps %q, want four with entries reaching 已联系", steps)
		}
		b.shot("dashboard")
	})

	t.Run("audit trail and a record's history", func(t *testing.T) {
		b.t = t
		b.open("#/audit")
		b.waitFor("entries", `document.querySelectorAll('#audit-log tbody tr').length > 0`)
		// The subtests above published a profile and created ach-markup as staff.
		b.do("filter to profiles", chromedp.SetValue(chromedp.CSS(`#audit-form select[name=kind]`), "profiles"),
			chromedp.Click(chromedp.CSS(`#audit-form button[type=submit]`)))
		b.waitFor("profile entries", `location.hash.includes('kind=profiles') && document.querySelector('#audit-log tbody tr[data-kind=profiles]')`)
		if kinds := eval[[]string](b, `[...new Set([...document.querySelectorAll('#audit-log tbody tr')].map(r => r.dataset.kind))]`); len(kinds) != 1 || kinds[0] != "profiles" {
			t.Errorf("kinds listed under the profiles filter = %v", kinds)
		}
		if text := eval[string](b, `document.querySelector('#audit-log tbody tr').textContent`); !strings.Contains(text, "平台管理员") || !strings.Contains(text, "发布权重方案") {
			t.Errorf("profile entry reads %q, want the actor and action in Chinese", text)
		} else if strings.Contains(text, "version") {
			t.Errorf("profile entry reads %q, want its version in Chinese", text)
		}
		b.shot("audit")
		b.open("#/record/achievements/ach-markup")
		b.waitFor("history", `document.querySelector('#record-history tbody tr')`)
		if text := eval[string](b, `document.querySelector('#record-history tbody tr').textContent`); !strings.Contains(text, "平台管理员") || !strings.Contains(text, "新建") {
			t.Errorf("ach-markup's history reads %q, want 平台管理员 新建", text)
		}
		if text := eval[string](b, `document.querySelector('#record-history').textContent`); strings.Contains(text, "null") || strings.Contains(text, "undefined") {
			t.Errorf("the history card shows %q", text)
		}
		b.shot("record-history")
	})

	t.Run("staff screens: records, import, agents, keys", func(t *testing.T) {
		b.t = t
		b.open("#/admin/records?kind=achievements")
		b.waitFor("record table", `document.querySelectorAll('#record-table tbody tr').length > 0`)
		b.do("new record", chromedp.Click(chromedp.ID("record-new")))
		b.waitFor("form", `document.querySelector('#record-form input[name=title]')`)
		b.do("fill and save",
			chromedp.SetValue(chromedp.CSS(`#record-form input[name=id]`), "ach-console"),
			chromedp.SetValue(chromedp.CSS(`#record-form input[name=title]`), "控制台新增的石墨烯散热膜"),
			chromedp.SetValue(chromedp.CSS(`#record-form input[name=region]`), "南京"),
			chromedp.SetValue(chromedp.CSS(`#record-form input[name=keywords]`), "石墨烯、散热"),
			chromedp.Click(chromedp.CSS(`#record-form button[type=submit]`)))
		b.waitFor("form closed", `!document.querySelector('#record-form')`)
		var rec struct {
			Region, Status string
			Keywords       []string
		}
		srv.do("GET", "/v1/achievements/ach-console", nil, adminKey).decode(t, &rec)
		if rec.Region != "320100" || len(rec.Keywords) != 2 {
			t.Fatalf("saved record = %+v, want region 320100 and two keywords", rec)
		}
		b.waitFor("listed", `document.querySelector('#record-table tr[data-id="ach-console"]')`)
		b.do("close it", chromedp.Click(chromedp.CSS(`#record-table tr[data-id="ach-console"] button.toggle`)))
		b.waitFor("closed", `document.querySelector('#record-table tr[data-id="ach-console"][data-status=closed]')`)
		srv.do("GET", "/v1/achievements/ach-console", nil, adminKey).decode(t, &rec)
		if rec.Status != "closed" {
			t.Errorf("after 关闭 the record's status is %q", rec.Status)
		}

		file := filepath.Join(t.TempDir(), "import.ndjson")
		if err := os.WriteFile(file, []byte(`{"id":"ach-imported","title":"控制台导入的固态电解质"}`+"\n"+`{"id":"bad","title":""}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.do("import a file", chromedp.SetUploadFiles(chromedp.CSS(`#import-form input[type=file]`), []string{file}),
			chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)))
		b.waitFor("report", `document.querySelector('#import-summary')`)
		if text := eval[string](b, `document.querySelector('#import-summary').textContent`); !strings.Contains(text, "已导入 1 条，拒绝 1 条") {
			t.Errorf("import report reads %q", text)
		}
		if v := eval[int](b, `document.querySelector('#import-progress').value`); v != 100 {
			t.Errorf("progress bar at %d after the import, want 100", v)
		}
		b.shot("admin-records")

		b.open("#/admin/agents")
		b.waitFor("agents", `document.querySelector('#agent-new')`)
		b.do("new agent", chromedp.Click(chromedp.ID("agent-new")))
		b.do("fill agent",
			chromedp.SetValue(chromedp.CSS(`#agent-form input[name=id]`), "agt-staff"),
			chromedp.SetValue(chromedp.CSS(`#agent-form input[name=name]`), "控制台经纪人"),
			chromedp.SetValue(chromedp.CSS(`#agent-form input[name=regions]`), "江苏、福建省"),
			chromedp.Click(chromedp.CSS(`#agent-form button[type=submit]`)))
		b.waitFor("agent listed", `document.querySelector('#agent-table tr[data-id="agt-staff"]')`)
		if text := eval[string](b, `document.querySelector('#agent-table tr[data-id="agt-staff"]').textContent`); !strings.Contains(text, "江苏省、福建省") {
			t.Errorf("agent row reads %q, want its regions by name", text)
		}
		b.waitFor("assign form", `document.querySelector('#assign-form input[name=demand_ids][value="dem-002"]')`)
		b.do("assign dem-002 to agt-staff", chromedp.Click(chromedp.CSS(`#assign-form input[name=demand_ids][value="dem-002"]`)),
			chromedp.SetValue(chromedp.CSS(`#assign-form select[name=agent_id]`), "agt-staff"),
			chromedp.Click(chromedp.CSS(`#assign-form button[type=submit]`)))
		b.waitFor("assigned", `document.querySelector('#assign-result .summary')`)
		if body := string(srv.do("GET", "/v1/matches?demand_id=dem-002&status=new", nil, adminKey).Body); strings.Contains(body, `"status":"new"`) && !strings.Contains(body, `"agent_id":"agt-staff"`) {
			t.Errorf("dem-002's new entries after the assignment: %s", body)
		}
		b.shot("admin-agents")

		b.open("#/admin/keys")
		b.waitFor("keys", `document.querySelector('#key-form')`)
		b.do("make a key", chromedp.SetValue(chromedp.CSS(`#key-form input[name=subject]`), "控制台企业"),
			chromedp.Click(chromedp.CSS(`#key-form button[type=submit]`)))
		b.waitFor("key shown once", `document.querySelector('#new-key-value')`)
		key := eval[string](b, `document.querySelector('#new-key-value').textContent`)
		if r := srv.do("GET", "/v1/me", nil, key); !strings.Contains(string(r.Body), "控制台企业") {
			t.Fatalf("the key shown does not work: %d %s", r.Status, r.Body)
		}
		id := eval[string](b, `[...document.querySelectorAll('#key-table tbody tr')].find(r => r.textContent.includes('控制台企业')).dataset.id`)
		sel := `#key-table tr[data-id="` + id + `"] button.danger`
		b.do("revoke (two clicks)", chromedp.Click(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		b.waitFor("revoked", `document.querySelector('#key-table tr[data-id="`+id+`"][data-revoked=true]')`)
		if r := srv.do("GET", "/v1/me", nil, key); r.Status != http.StatusUnauthorized {
			t.Errorf("the revoked key answers %d, want 401", r.Status)
		}
		b.shot("admin-keys")
	})

	t.Run("an enterprise publishes and manages its demands", func(t *testing.T) {
		b.t = t
		ent := keyFor(t, srv, "enterprise", "浏览器测试企业")
		signIn := func(key, role string) {
			t.Helper()
			b.do("sign out", chromedp.Click(chromedp.ID("signout")))
			b.waitFor("signed out", `document.querySelector('#role').dataset.role === 'anonymous'`)
			b.do("sign in", chromedp.Click(chromedp.ID("signin")), chromedp.SetValue(chromedp.ID("signin-key"), key), chromedp.Click(chromedp.ID("signin-submit")))
			b.waitFor("signed in as "+role, `document.querySelector('#role').dataset.role === '`+role+`'`)
		}
		signIn(ent, "enterprise")
		defer signIn(adminKey, "admin")
		b.open("#/demands")
		b.waitFor("empty list", `document.querySelector('#demand-table .notice')`)
		b.do("new demand", chromedp.Click(chromedp.ID("demand-new")))
		b.waitFor("form", `document.querySelector('#demand-form input[name=title]')`)
		b.do("fill the form",
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=title]`), "储能电池热失控早期预警"),
			chromedp.SetValue(chromedp.CSS(`#demand-form textarea[name=description]`), "需要一种低成本的电池热失控早期预警方案，可在产线上批量部署。"),
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=region]`), "苏州"),
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=budget_max]`), "300"),
			chromedp.SetValue(chromedp.CSS(`#demand-form select[name=min_trl]`), "5"),
			chromedp.Click(chromedp.CSS(`#demand-form input[name=accept_modes][value=license]`)),
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=deadline]`), "2099-12-31"),
			chromedp.Click(chromedp.CSS(`#demand-form input[name=challenge]`)),
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=bounty]`), "500"),
			chromedp.SetValue(chromedp.CSS(`#demand-form input[name=challenge_deadline]`), "2099-06-30"))
		b.shot("demand-form")
		b.do("publish", chromedp.Click(chromedp.CSS(`#demand-form button[type=submit]`)))
		b.waitFor("listed", `document.querySelectorAll('#demand-table tbody tr').length === 1`)
		var page struct {
			Total int
			Items []struct {
				ID, Title, Region, Status, Enterprise string
				AcceptModes                           []string `json:"accept_modes"`
				MinTRL                                int      `json:"min_trl"`
				Budget                                struct{ Max float64 }
				Challenge                             struct {
					Bounty   float64
					Deadline string
				}
			}
		}
		srv.do("GET", "/v1/demands", nil, ent).decode(t, &page)
		if page.Total != 1 {
			t.Fatalf("the enterprise has %d demands, want the one published", page.Total)
		}
		d := page.Items[0]
		if d.Region != "320500" || d.Enterprise != "浏览器测试企业" || d.MinTRL != 5 || d.Budget.Max != 300 ||
			fmt.Sprint(d.AcceptModes) != "[license]" || d.Challenge.Bounty != 500 || d.Challenge.Deadline != "2099-06-30" {
			t.Errorf("published demand = %+v", d)
		}
		if text := eval[string](b, `document.querySelector('#demand-table tbody tr').textContent`); !strings.Contains(text, "榜额 500 万元") || !strings.Contains(text, "截止 2099-06-30") {
			t.Errorf("the row reads %q, want the bounty and the deadline", text)
		}
		row := `#demand-table tr[data-id="` + d.ID + `"]`
		b.do("edit", chromedp.Click(chromedp.CSS(row+` button.edit`)))
		b.waitFor("form again", `document.querySelector('#demand-form input[name=title]')`)
		b.do("retitle", chromedp.SetValue(chromedp.CSS(`#demand-form input[name=title]`), "储能电池热失控早期预警（修订）"),
			chromedp.Click(chromedp.CSS(`#demand-form button[type=submit]`)))
		b.waitFor("retitled", `document.querySelector('`+row+`').textContent.includes('（修订）')`)
		b.do("close", chromedp.Click(chromedp.CSS(row+` button.toggle`)))
		b.waitFor("closed", `document.querySelector('`+row+`[data-status=closed]')`)
		srv.do("GET", "/v1/demands", nil, ent).decode(t, &page)
		if page.Items[0].Status != "closed" || page.Items[0].Title != "储能电池热失控早期预警（修订）" || page.Items[0].Challenge.Bounty != 500 {
			t.Errorf("after edit and close: %+v", page.Items[0])
		}
		b.shot("demands")
	})

	t.Run("phone width", func(t *testing.T) {
		b.t = t
		b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		b.open("#/match/dem-002")
		b.waitFor("matches", `document.querySelectorAll('.match-list .match').length > 0`)
		if w := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 1 {
			t.Errorf("the page is %d px wider than a phone screen", w)
		}
		b.shot("phone-match")
		if eval[bool](b, `getComputedStyle(document.querySelector('#nav')).display !== 'none'`) {
			t.Error("the menu is open before the toggle is pressed")
		}
		b.do("open the menu", chromedp.Click(chromedp.ID("menu-toggle")))
		b.waitFor("menu open", `getComputedStyle(document.querySelector('#nav')).display !== 'none'`)
		b.shot("phone-menu")
		b.do("desktop viewport", chromedp.EmulateViewport(1280, 800))
	})

	b.t = t
	for _, e := range b.pageErrors() {
		t.Errorf("console error in the page: %s", e)
	}
}

// workbench puts a demand's matches on an agent's list and changes one's status in the page.
func workbench(t *testing.T, srv *server, b *browser) {
	agent := map[string]any{"id": "agt-console", "name": "控制台测试经纪人", "regions": []string{}, "fields": []string{}, "capacity": 1000}
	if r := srv.do("POST", "/v1/agents", agent, adminKey); r.Status >= 300 {
		t.Fatalf("create agent: %d %s", r.Status, r.Body)
	}
	// Re-putting a demand re-matches it, which assigns its list to the only agent.
	var d map[string]any
	srv.do("GET", "/v1/demands/dem-001", nil, adminKey).decode(t, &d)
	if r := srv.do("PUT", "/v1/demands/dem-001", d, adminKey); r.Status >= 300 {
		t.Fatalf("re-put demand: %d %s", r.Status, r.Body)
	}
	eventually(t, "match list entries", func() bool {
		return strings.Contains(string(srv.do("GET", "/v1/agents/agt-console/matches?status=new", nil, adminKey).Body), `"status":"new"`)
	})
	b.open("#/agents/agt-console?status=new")
	b.waitFor("entries", `document.querySelector('#agent-matches .entry[data-status=new]')`)
	id := eval[string](b, `document.querySelector('#agent-matches .entry[data-status=new]').dataset.id`)
	b.waitFor("both sides named", `document.querySelector('#agent-matches .entry[data-status=new] .party[data-side=supply]')`)
	if text := eval[string](b, `document.querySelector('#agent-matches .entry[data-status=new] .party[data-side=demand]').textContent`); !strings.Contains(text, "需求方：") || strings.Contains(text, "—") && !strings.Contains(text, "联系人") {
		t.Errorf("the card's demand side reads %q, want the enterprise and its contact", text)
	}
	b.shot("workbench")
	card := `#agent-matches .entry[data-id="` + id + `"]`
	b.do("mark contacted",
		chromedp.SetValue(chromedp.CSS(card+` select[name=status]`), "contacted"),
		chromedp.SetValue(chromedp.CSS(card+` input[name=note]`), "已电话联系"),
		chromedp.Click(chromedp.CSS(card+` button[type=submit]`)))
	b.waitFor("status changed", `document.querySelector('`+card+`').dataset.status === 'contacted'`)
	if body := string(srv.do("GET", "/v1/agents/agt-console/matches?status=contacted", nil, adminKey).Body); !strings.Contains(body, id) {
		t.Errorf("the API does not list %s as contacted: %s", id, body)
	}
}

// challenges shows a challenge's bounty and deadline where a demand appears, takes it up from
// a supply record's reverse matches, reads the takeup on the demand's page, shows a demand
// past its deadline as 已截止, and redelivers, as staff, the webhook that failed.
func challenges(t *testing.T, srv *server, b *browser) {
	hook := &hookSink{failing: true}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	for _, w := range []struct {
		path string
		body any
	}{
		{"/v1/agents", map[string]any{"id": "agt-hook", "name": "回调测试经纪人", "capacity": 0, "webhook_url": hs.URL + "/hook"}},
		{"/v1/achievements", map[string]any{"id": "ach-takeup", "title": "钠离子电池层状氧化物正极材料", "summary": "钠离子电池层状氧化物正极材料及其制备工艺",
			"keywords": []string{"钠离子电池", "正极材料"}, "region": "320100", "trl": 6}},
		{"/v1/demands", map[string]any{"id": "dem-challenge", "title": "钠离子电池正极材料揭榜攻关", "description": "征集钠离子电池层状氧化物正极材料技术",
			"keywords": []string{"钠离子电池", "正极材料"}, "region": "320100", "enterprise": "揭榜测试企业",
			"challenge": map[string]any{"bounty": 500, "deadline": "2099-12-31"}}},
	} {
		if r := srv.do("POST", w.path, w.body, adminKey); r.Status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", w.path, r.Status, r.Body)
		}
	}
	lapsed, _ := json.Marshal(map[string]any{"id": "dem-lapsed", "title": "钠离子电池负极材料揭榜", "region": "320100",
		"challenge": map[string]any{"bounty": 300, "deadline": "2000-01-01"}})
	if r := srv.do("POST", "/v1/demands/import", string(lapsed)+"\n", adminKey); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"accepted":1`) {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	eventually(t, "reverse match", func() bool {
		return strings.Contains(string(srv.do("GET", "/v1/achievements/ach-takeup/demands?limit=10", nil, adminKey).Body), "dem-challenge")
	})

	b.open("#/record/achievements/ach-takeup")
	b.do("find demands", chromedp.Click(chromedp.ID("find-demands")))
	item := `li.reverse-match[data-id="dem-challenge"]`
	b.waitFor("the challenge in the reverse list", `document.querySelector('`+item+` .challenge-line')`)
	if text := eval[string](b, `document.querySelector('`+item+` .challenge-line').textContent`); !strings.Contains(text, "榜额 500 万元") || !strings.Contains(text, "截止 2099-12-31") {
		t.Errorf("the reverse match reads %q, want its bounty and deadline", text)
	}
	b.do("揭榜 (two clicks: the note, then confirm)", chromedp.Click(chromedp.CSS(item+` button.takeup`)),
		chromedp.SetValue(chromedp.CSS(item+` input[name=note]`), "可提供中试样品"), chromedp.Click(chromedp.CSS(item+` button.takeup`)))
	b.waitFor("taken", `document.querySelector('.badge.taken[data-demand="dem-challenge"]')`)
	b.shot("takeup")
	var l struct {
		Items []struct {
			SupplyID string `json:"supply_id"`
			Note, By string
		}
	}
	srv.do("GET", "/v1/demands/dem-challenge/takeups", nil, adminKey).decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].SupplyID != "ach-takeup" || l.Items[0].Note != "可提供中试样品" || l.Items[0].By != "admin" {
		t.Errorf("takeups after the click: %+v", l.Items)
	}

	b.open("#/record/demands/dem-challenge")
	b.waitFor("takeup record", `document.querySelector('#takeup-list .takeup[data-supply="achievements/ach-takeup"]')`)
	if text := eval[string](b, `document.querySelector('.record .challenge-line').textContent`); !strings.Contains(text, "榜额 500 万元") || !strings.Contains(text, "截止 2099-12-31") || strings.Contains(text, "已截止") {
		t.Errorf("the demand's page reads %q", text)
	}
	if text := eval[string](b, `document.querySelector('#takeups').textContent`); !strings.Contains(text, "揭榜记录（1）") || !strings.Contains(text, "可提供中试样品") {
		t.Errorf("the takeups card reads %q", text)
	}
	b.shot("takeups")
	b.open("#/match/dem-challenge")
	b.waitFor("match list head", `document.querySelector('.match-list[data-source="dem-challenge"] .head .challenge-line')`)

	b.open("#/record/demands/dem-lapsed")
	b.waitFor("lapsed", `document.querySelector('.record .challenge-line .badge.lapsed') && document.querySelector('#takeups #takeup-list')`)
	type view struct{ Line, Fields, Takeups string }
	v := eval[view](b, `({Line: document.querySelector('.record .challenge-line').textContent, Fields: document.querySelector('.record .fields').textContent,
		Takeups: document.querySelector('#takeups').textContent + (document.querySelector('#takeup-form') ? 'FORM' : '')})`)
	if !strings.Contains(v.Line, "已截止") || !strings.Contains(v.Line, "截止 2000-01-01") || !strings.Contains(v.Fields, "已截止") ||
		!strings.Contains(v.Takeups, "已截止，不能再揭榜") || strings.Contains(v.Takeups, "FORM") {
		t.Errorf("the lapsed demand's page: %+v", v)
	}

	// The takeup's challenge.taken went to agt-hook (it covers everything, and no agent holds
	// the list) and failed: the receiver was down, and one attempt is all there is.
	var failed struct {
		Items []struct {
			ID    int64
			Event string
		}
	}
	eventually(t, "failed delivery", func() bool {
		srv.do("GET", "/v1/webhooks/deliveries?status=failed&agent_id=agt-hook", nil, adminKey).decode(t, &failed)
		return len(failed.Items) == 1 && failed.Items[0].Event == "challenge.taken"
	})
	hook.mu.Lock()
	hook.failing = false
	hook.mu.Unlock()
	b.open("#/agents")
	row := fmt.Sprintf(`#failed-deliveries tr[data-id="%d"]`, failed.Items[0].ID)
	b.waitFor("failed delivery listed", `document.querySelector('`+row+` button.redeliver')`)
	if text := eval[string](b, `document.querySelector('`+row+`').textContent`); !strings.Contains(text, "有人揭榜") || !strings.Contains(text, "agt-hook") {
		t.Errorf("the failed delivery reads %q", text)
	}
	b.shot("failed-deliveries")
	b.do("重新投递", chromedp.Click(chromedp.CSS(row+` button.redeliver`)))
	b.waitFor("no longer failed", `document.querySelector('#failed-deliveries h2') && !document.querySelector('`+row+`')`)
	eventually(t, "redelivered", func() bool { return len(hook.of("/hook", "challenge.taken")) == 2 })
	hook.of("/hook", "challenge.taken")[1].verified(t)
}
