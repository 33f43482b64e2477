// An agent's day in a real browser, in English, Portuguese and Japanese: sign in, see the views
// with their counts, open a view and a ticket (public reply and internal note told apart), sign
// out. Screenshots of each page in each language go to $SCREENSHOTS.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.NODE_PATH + "/playwright-core");
const { BASE, EMAIL, PASSWORD, TOKEN, SCREENSHOTS } = process.env;

async function api(method, path, body) {
  const r = await fetch(BASE + path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: "Basic " + Buffer.from(`${EMAIL}/token:${TOKEN}`).toString("base64") },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(r.ok, `${method} ${path}: ${r.status}`);
  return r.json();
}

const openQueue = (await api("POST", "/api/v2/views", { view: { title: "Open queue", all: [{ field: "status", operator: "less_than", value: "solved" }] } })).view;
// Each language works its own ticket through its own queue, so each does the whole day.
async function dayOf(lang) {
  const tag = "day_" + lang.locale.replace("-", "_").toLowerCase();
  const view = (await api("POST", "/api/v2/views", { view: { title: `Open queue ${lang.locale}`, all: [{ field: "status", operator: "less_than", value: "solved" }, { field: "current_tags", operator: "includes", value: tag }] } })).view;
  const ticket = (await api("POST", "/api/v2/tickets", { ticket: { subject: `A ${lang.word} não imprime`, tags: [tag], comment: { body: "Olá, **preciso de ajuda**" }, requester: { name: "João Silva", email: "joao@example.com" } } })).ticket;
  await api("PUT", `/api/v2/tickets/${ticket.id}`, { ticket: { comment: { body: "Internal: check the driver", public: false } } });
  return { view, ticket, tag };
}
const triage = (await api("POST", "/api/v2/macros", { macro: { title: "Triage: hardware", actions: [{ field: "priority", value: "high" }, { field: "current_tags", value: "hardware" }] } })).macro;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const languages = [
  { locale: "en-US", word: "printer", views: "Views", count: "1 ticket", note: "Internal note", signIn: "Sign in", preview: "Preview", apply: "Apply this macro", assign: "Assign to me", submitOpen: "Submit as Open", submitPending: "Submit as Pending" },
  { locale: "pt-BR", word: "impressora", views: "Visualizações", count: "1 ticket", note: "Nota interna", signIn: "Entrar", preview: "Pré-visualizar", apply: "Aplicar esta macro", assign: "Atribuir a mim", submitOpen: "Enviar como Aberto", submitPending: "Enviar como Pendente" },
  { locale: "ja", word: "purinta", views: "ビュー", count: "1 件のチケット", note: "社内メモ", signIn: "サインイン", preview: "プレビュー", apply: "このマクロを適用", assign: "自分に割り当てる", submitOpen: "オープンとして送信", submitPending: "保留中として送信" },
];
let failed = 0;
for (const lang of languages) {
  const { view, ticket, tag } = await dayOf(lang);
  const context = await browser.newContext({ locale: lang.locale, extraHTTPHeaders: { "Accept-Language": lang.locale } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  try {
    await page.goto(BASE + "/agent");
    assert.equal(new URL(page.url()).pathname, "/login");
    await page.screenshot({ path: `${SCREENSHOTS}/login-${lang.locale}.png`, fullPage: true });
    await page.locator("#email").fill(EMAIL);
    await page.locator("#password").fill(PASSWORD);
    await page.locator('form[action="/login"]').getByRole("button", { name: lang.signIn, exact: true }).click();
    // The workspace opens on the first view (the default queues come first); then this test's.
    await page.waitForURL("**/agent/views/*");
    await page.goto(`${BASE}/agent/views/${view.id}`);
    assert.equal(await page.locator(".sidebar h2").textContent(), lang.views);
    assert.match(await page.locator("h1 small").textContent(), new RegExp(lang.count));
    await page.screenshot({ path: `${SCREENSHOTS}/view-${lang.locale}.png`, fullPage: true });
    await page.getByRole("link", { name: ticket.subject }).click();
    await page.waitForURL(`**/agent/tickets/${ticket.id}`);
    assert.equal(await page.locator(".comment.internal").count(), 1);
    assert.equal(await page.locator(".comment.public").count(), 1);
    assert.match(await page.locator(".comment.internal .badge").textContent(), new RegExp(lang.note));
    assert.equal(await page.locator(".comment.public strong").last().textContent(), "preciso de ajuda");
    await page.screenshot({ path: `${SCREENSHOTS}/ticket-${lang.locale}.png`, fullPage: true });
    // The same ticket and its queue on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SCREENSHOTS}/ticket-${lang.locale}-phone.png`, fullPage: true });
    await page.goto(`${BASE}/agent/views/${view.id}`);
    await page.screenshot({ path: `${SCREENSHOTS}/view-${lang.locale}-phone.png`, fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "nothing wider than the phone");
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${BASE}/agent/tickets/${ticket.id}`);
    {
      // Preview a macro, apply it; then take the ticket, leave an internal note and submit as
      // pending — and the API shows exactly those changes.
      await page.locator("#macro").selectOption(String(triage.id));
      await page.locator(".macro-picker").getByRole("button", { name: lang.preview, exact: true }).click();
      await page.waitForURL(`**/agent/tickets/${ticket.id}?macro=${triage.id}`);
      assert.match(await page.locator(".macro-preview h2").textContent(), /Triage: hardware/);
      assert.equal((await api("GET", `/api/v2/tickets/${ticket.id}`)).ticket.priority, null, "a preview changes nothing");
      await page.screenshot({ path: `${SCREENSHOTS}/macro-preview-${lang.locale}.png`, fullPage: true });
      await page.getByRole("button", { name: lang.apply }).click();
      await page.waitForURL(`**/agent/tickets/${ticket.id}?saved=1`);
      // A public reply first (its Markdown previewed before it is sent), then the note.
      await page.locator("#body").fill("Olá João, **reinstale** o driver, por favor.");
      await page.locator("#preview-button").click();
      await page.locator("#markdown-preview strong").waitFor();
      assert.equal(await page.locator("#markdown-preview strong").textContent(), "reinstale");
      await page.getByRole("button", { name: lang.submitOpen }).click();
      await page.waitForURL(`**/agent/tickets/${ticket.id}?saved=1`);
      assert.equal(await page.locator(".comment.public").count(), 2);
      await page.locator("input[name=public][value=false]").check();
      await page.locator("#body").fill("**Driver** reinstalled; waiting for the customer.");
      await page.locator("#composer").getByText(lang.assign).click();
      assert.ok(await page.locator("input[name=assign_to_me]").isChecked());
      await page.getByRole("button", { name: lang.submitPending }).click();
      await page.waitForURL(`**/agent/tickets/${ticket.id}?saved=1`);
      assert.equal(await page.locator(".comment.internal").count(), 2);
      const now = (await api("GET", `/api/v2/tickets/${ticket.id}`)).ticket;
      assert.equal(now.status, "pending");
      assert.equal(now.priority, "high");
      assert.deepEqual(now.tags, [tag, "hardware"].sort(), "the macro added its tag");
      assert.ok(now.assignee_id, "assigned to the agent");
      const comments = (await api("GET", `/api/v2/tickets/${ticket.id}/comments`)).comments;
      const last = comments[comments.length - 1];
      assert.equal(last.public, false);
      assert.equal(last.plain_body, "Driver reinstalled; waiting for the customer.");
      await page.screenshot({ path: `${SCREENSHOTS}/ticket-submitted-${lang.locale}.png`, fullPage: true });
    }
    // The other main pages, for the screenshots (and a check that each renders).
    await page.goto(BASE + "/agent/search?q=" + encodeURIComponent(`status<solved ${lang.word}`));
    assert.equal(await page.locator("table.tickets tbody tr").count(), 1);
    await page.screenshot({ path: `${SCREENSHOTS}/search-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + "/agent/search?q=" + encodeURIComponent("created>"));
    assert.equal(await page.locator("#search-error mark").count(), 1);
    // That page answers 422 on purpose; the browser logs it as a failed load.
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes("status of 422")));
    await page.screenshot({ path: `${SCREENSHOTS}/search-error-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + "/agent/tickets/new");
    await page.screenshot({ path: `${SCREENSHOTS}/new-ticket-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + `/agent/tickets/${ticket.id}/history`);
    await page.screenshot({ path: `${SCREENSHOTS}/history-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + `/agent/users/${ticket.requester_id}`);
    await page.screenshot({ path: `${SCREENSHOTS}/user-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + "/admin/triggers/new");
    await page.screenshot({ path: `${SCREENSHOTS}/admin-trigger-${lang.locale}.png`, fullPage: true });
    await page.goto(BASE + "/admin/users");
    await page.screenshot({ path: `${SCREENSHOTS}/admin-users-${lang.locale}.png`, fullPage: true });
    assert.deepEqual(errors, [], "no console errors (a CSP violation would show here)");
    console.log(`PASS  ${lang.locale}: sign in, view, ticket, macro preview and apply, reply, note, take, submit as pending, search, new ticket, history, admin`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${lang.locale}: ${e.stack || e}`);
  }
  await context.close();
}
// A proactive campaign in each language: find customers, select every match, compose,
// preview (the exact tag, real samples), send, follow the progress to the confirmation.
const campaignPeople = { "en-US": "Renata", "pt-BR": "Paula", ja: "Yuki" };
for (const [locale, first] of Object.entries(campaignPeople)) {
  for (let i = 0; i < 3; i++) {
    await api("POST", "/api/v2/users", { user: { name: `${first} Cliente${i}`, email: `${first.toLowerCase()}${i}@example.com`, role: "end-user" } });
  }
}
for (const [locale, first] of Object.entries(campaignPeople)) {
  const context = await browser.newContext({ locale, extraHTTPHeaders: { "Accept-Language": locale } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  try {
    await page.goto(BASE + "/login");
    await page.locator("#email").fill(EMAIL);
    await page.locator("#password").fill(PASSWORD);
    await page.locator('form[action="/login"] button[type=submit]').click();
    await page.waitForURL("**/agent/views/*");
    await page.goto(BASE + "/agent/campaigns/new");
    await page.locator("#find-q").fill(first);
    await page.locator(".finder button[type=submit]").click();
    await page.waitForURL("**/agent/campaigns/new?*");
    assert.equal(await page.locator("table.tickets tbody tr").count(), 3);
    await page.screenshot({ path: `${SCREENSHOTS}/campaign-find-${locale}.png`, fullPage: true });
    await page.locator("input[name=all_matching]").check();
    await page.locator("#c-name").fill(`Renewals ${locale}`);
    await page.locator("#c-subject").fill("Olá {{user.first_name}}");
    await page.locator("#body").fill("Sua **renovação** está chegando.");
    await page.locator("#campaign > .card button[type=submit]").click();
    await page.waitForURL("**/agent/campaigns/preview");
    const tag = `campaign_renewals_${locale.toLowerCase().replace("-", "_")}`;
    assert.equal(await page.locator("code.tag").textContent(), tag);
    assert.equal(await page.locator("#will-create").textContent(), "3");
    assert.equal(await page.locator(".sample").count(), 3);
    assert.match(await page.locator(".sample h3").first().textContent(), new RegExp(`Olá ${first}`));
    await page.screenshot({ path: `${SCREENSHOTS}/campaign-preview-${locale}.png`, fullPage: true });
    await page.locator(".campaign-preview button[type=submit]").click();
    await page.waitForURL(/\/agent\/campaigns\/\d+$/);
    await page.locator("#created-count", { hasText: "3" }).waitFor({ timeout: 20000 });
    await page.screenshot({ path: `${SCREENSHOTS}/campaign-sent-${locale}.png`, fullPage: true });
    const found = await api("GET", `/api/v2/search.json?query=tags:${tag}`);
    assert.equal(found.results.length, 3, "one ticket per customer");
    assert.ok(found.results.every((t) => t.via.channel === "campaign"));
    assert.deepEqual(errors, [], "no console errors");
    console.log(`PASS  campaign ${locale}: find, compose, preview, send`);
  } catch (e) {
    failed++;
    console.log(`FAIL  campaign ${locale}: ${e.stack || e}`);
  }
  await context.close();
}
// Two agents on one ticket: each sees the other, typing shows, the list and counts follow a
// change without a reload, and a submit against a ticket that changed meanwhile is refused.
try {
  await api("POST", "/api/v2/users", { user: { name: "Bruno Agente", email: "bruno@example.com", role: "agent", password: "second agent pw" } });
  const shared = (await api("POST", "/api/v2/tickets", { ticket: { subject: "Two agents, one ticket", comment: { body: "Who takes it?" } } })).ticket;
  const signIn = async (email, password, locale) => {
    const context = await browser.newContext({ locale, extraHTTPHeaders: { "Accept-Language": locale } });
    const page = await context.newPage();
    await page.goto(BASE + "/login");
    await page.locator("#email").fill(email);
    await page.locator("#password").fill(password);
    await page.locator('form[action="/login"] button[type=submit]').click();
    await page.waitForURL("**/agent/views/*");
    await page.goto(`${BASE}/agent/views/${openQueue.id}`);
    return { context, page };
  };
  const ana = await signIn(EMAIL, PASSWORD, "en-US");
  const bruno = await signIn("bruno@example.com", "second agent pw", "pt-BR");
  // Live: Ana's open view counts a new ticket without a reload.
  const before = Number(await ana.page.locator(`[data-view-count="${openQueue.id}"]`).textContent());
  await api("POST", "/api/v2/tickets", { ticket: { subject: "Arrived while watching", comment: { body: "x" } } });
  await ana.page.waitForFunction(
    ([id, n]) => Number(document.querySelector(`[data-view-count="${id}"]`).textContent) === n,
    [openQueue.id, before + 1],
    { timeout: 15000 },
  );
  await ana.page.getByRole("link", { name: "Arrived while watching" }).waitFor({ timeout: 15000 });
  await ana.page.goto(BASE + `/agent/tickets/${shared.id}`);
  await bruno.page.goto(BASE + `/agent/tickets/${shared.id}`);
  await ana.page.locator("#presence", { hasText: "Bruno Agente is viewing this ticket" }).waitFor({ timeout: 15000 });
  await bruno.page.locator("#presence", { hasText: "Ana Agent está vendo este ticket" }).waitFor({ timeout: 15000 });
  await bruno.page.locator("#body").type("Estou respondendo");
  await ana.page.locator("#presence", { hasText: "Bruno Agente is typing…" }).waitFor({ timeout: 15000 });
  await ana.page.screenshot({ path: `${SCREENSHOTS}/presence-en-US.png`, fullPage: true });
  // Bruno submits first; Ana is told the ticket changed, and her stale submit is refused.
  await bruno.page.locator("button[name=status][value=pending]").click();
  await bruno.page.waitForURL(`**/agent/tickets/${shared.id}?saved=1`);
  await ana.page.locator("#changed").waitFor({ state: "visible", timeout: 15000 });
  await ana.page.locator("#body").fill("Ana's late answer");
  await ana.page.locator("button[name=status][value=solved]").click();
  await ana.page.locator(".error", { hasText: "Someone changed this ticket" }).waitFor();
  assert.equal(await ana.page.locator("#body").inputValue(), "Ana's late answer", "her text is kept");
  assert.equal(await ana.page.getByText("Estou respondendo").count(), 1, "the new state is shown");
  await ana.page.screenshot({ path: `${SCREENSHOTS}/stale-submit-en-US.png`, fullPage: true });
  const now = (await api("GET", `/api/v2/tickets/${shared.id}`)).ticket;
  assert.equal(now.status, "pending", "Bruno's update stands");
  // Keyboard: `?` shows the shortcuts.
  await ana.page.locator("h1").click();
  await ana.page.keyboard.press("?");
  await ana.page.locator("#shortcuts").waitFor({ state: "visible" });
  // j and k move through a list, x selects the row, / goes to the search box.
  await ana.page.goto(`${BASE}/agent/views/${openQueue.id}`);
  await ana.page.locator("h1").click();
  for (const key of ["j", "j", "j", "k"]) await ana.page.keyboard.press(key);
  const rows = ana.page.locator(".list tbody tr");
  assert.ok((await rows.count()) >= 3, "a list to move through");
  assert.equal(await rows.nth(1).getAttribute("class"), "cursor", "j, j, j, k: the second row");
  assert.equal(await ana.page.evaluate(() => document.activeElement.closest("tr") === document.querySelectorAll(".list tbody tr")[1]), true);
  await ana.page.keyboard.press("x");
  assert.ok(await rows.nth(1).locator('input[name="ids"]').isChecked(), "x selects the row");
  assert.ok(!(await rows.nth(0).locator('input[name="ids"]').isChecked()));
  await ana.page.keyboard.press("/");
  assert.equal(await ana.page.evaluate(() => document.activeElement.id), "q");
  // On a ticket: r goes to the reply, a takes the ticket, Ctrl+Enter submits.
  await ana.page.goto(`${BASE}/agent/tickets/${shared.id}`);
  // Her refused reply was kept in the browser, and is back in the composer.
  assert.equal(await ana.page.locator("#body").inputValue(), "Ana's late answer", "the draft survives");
  await ana.page.locator("#body").fill("");
  await ana.page.locator("h1").click();
  await ana.page.keyboard.press("a");
  assert.ok(await ana.page.locator('input[name="assign_to_me"]').isChecked(), "a: assign to me");
  await ana.page.keyboard.press("r");
  assert.equal(await ana.page.evaluate(() => document.activeElement.id), "body");
  await ana.page.keyboard.type("Taken with the keyboard.");
  await ana.page.keyboard.press("Control+Enter");
  await ana.page.waitForURL(`**/agent/tickets/${shared.id}?saved=1`);
  const taken = (await api("GET", `/api/v2/tickets/${shared.id}`)).ticket;
  assert.equal(taken.assignee_id, (await api("GET", "/api/v2/users/me")).user.id, "assigned by the keyboard");
  const said = (await api("GET", `/api/v2/tickets/${shared.id}/comments`)).comments;
  assert.equal(said[said.length - 1].plain_body, "Taken with the keyboard.");
  console.log("PASS  live: presence, typing, live counts, stale submit refused, keyboard shortcuts");
  await ana.context.close();
  await bruno.context.close();
} catch (e) {
  failed++;
  console.log(`FAIL  live: ${e.stack || e}`);
}
// Deleting a group that a trigger names: the list that comes back names the trigger, linked, in
// the reader's language (a desktop and a phone screenshot).
try {
  const group = (await api("POST", "/api/v2/groups", { group: { name: "Nível 2" } })).group;
  const rule = (await api("POST", "/api/v2/triggers", { trigger: { title: "Encaminhar VIPs ao nível 2", all: [{ field: "current_tags", operator: "includes", value: "vip" }], actions: [{ field: "group_id", value: String(group.id) }] } })).trigger;
  const context = await browser.newContext({ locale: "pt-BR", extraHTTPHeaders: { "Accept-Language": "pt-BR" } });
  const page = await context.newPage();
  await page.goto(BASE + "/login");
  await page.locator("#email").fill(EMAIL);
  await page.locator("#password").fill(PASSWORD);
  await page.locator('form[action="/login"]').getByRole("button", { name: "Entrar", exact: true }).click();
  await page.waitForURL("**/agent/**");
  await page.goto(`${BASE}/admin/groups/${group.id}`);
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Excluir" }).click();
  await page.waitForURL("**/admin/groups/" + group.id + "/delete");
  const named = page.locator(".flash.warning a");
  assert.equal(await named.count(), 1);
  assert.equal(await named.textContent(), rule.title);
  assert.equal(await named.getAttribute("href"), `/admin/triggers/${rule.id}`);
  await page.screenshot({ path: `${SCREENSHOTS}/admin-group-deleted-pt-BR.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SCREENSHOTS}/admin-group-deleted-pt-BR-phone.png`, fullPage: true });
  await named.click();
  await page.waitForURL(`**/admin/triggers/${rule.id}`);
  console.log("PASS  admin pt-BR: deleting a group names the trigger it leaves pointing at nothing");
  await context.close();
} catch (e) {
  failed++;
  console.log(`FAIL  admin pt-BR: ${e.stack || e}`);
}
// A customer submits the web form and sees their own request, without the internal note, in
// each language.
const portalPeople = [
  { locale: "en-US", name: "Claire Customer", email: "claire@example.com", signIn: "Sign in", submit: "Submit request", subject: "Invoice missing" },
  { locale: "pt-BR", name: "Carla Cliente", email: "carla@example.com", signIn: "Entrar", submit: "Enviar solicitação", subject: "Boleto não chegou" },
  { locale: "ja", name: "佐藤 花子", email: "hanako@example.jp", signIn: "サインイン", submit: "リクエストを送信", subject: "請求書が届きません" },
];
for (const c of portalPeople) {
  try {
    await api("POST", "/api/v2/users", { user: { name: c.name, email: c.email, role: "end-user", password: "customer password" } });
    const context = await browser.newContext({ locale: c.locale, extraHTTPHeaders: { "Accept-Language": c.locale } });
    const page = await context.newPage();
    await page.goto(BASE + "/login");
    await page.locator("#email").fill(c.email);
    await page.locator("#password").fill("customer password");
    await page.locator('form[action="/login"]').getByRole("button", { name: c.signIn, exact: true }).click();
    await page.waitForURL("**/portal");
    assert.equal(await page.locator("table").count(), 0, "another customer's requests are not listed");
    await page.screenshot({ path: `${SCREENSHOTS}/portal-${c.locale}.png`, fullPage: true });
    await page.locator("#subject").fill(c.subject);
    await page.locator("#description").fill(`${c.subject}: ${c.name}`);
    await page.getByRole("button", { name: c.submit }).click();
    await page.waitForURL("**/portal/requests/*");
    const id = Number(page.url().split("/").pop());
    await api("PUT", `/api/v2/tickets/${id}`, { ticket: { comment: { body: "Internal: VIP customer", public: false } } });
    await api("PUT", `/api/v2/tickets/${id}`, { ticket: { comment: { body: "Public answer for " + c.locale } } });
    await page.reload();
    assert.equal(await page.locator(".comment").count(), 2, "her request and the public reply");
    assert.equal(await page.getByText("Internal: VIP customer").count(), 0, "no internal note");
    assert.equal(await page.getByText("Public answer for " + c.locale).count(), 1, "the public reply");
    await page.screenshot({ path: `${SCREENSHOTS}/portal-request-${c.locale}.png`, fullPage: true });
    const mine = (await api("GET", `/api/v2/tickets/${id}`)).ticket;
    assert.equal(mine.via.channel, "web");
    assert.equal(mine.subject, c.subject);
    console.log(`PASS  portal ${c.locale}: a customer's request, public replies only`);
    await context.close();
  } catch (e) {
    failed++;
    console.log(`FAIL  portal ${c.locale}: ${e.stack || e}`);
  }
}
await browser.close();
console.log(`browser: ${languages.length * 2 + 2 + portalPeople.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
