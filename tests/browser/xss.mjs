// The XSS corpus (SECURITY.md): hundreds of script-injection payloads put through the text
// inputs the API and the pages take (ticket subjects, Markdown and HTML comments, names, notes,
// titles, custom field values, page forms), then every page that shows them is loaded in
// headless Chromium with a hook on dialogs and on the console. Each payload calls alert() with
// its own number, so an execution names the payload and the page. The run fails unless the hook
// sees nothing, and it first proves the hook works on a page without our protections.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.NODE_PATH + "/playwright-core");
const { BASE, EMAIL, PASSWORD, TOKEN } = process.env;

async function api(method, path, body) {
  const r = await fetch(BASE + path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: "Basic " + Buffer.from(`${EMAIL}/token:${TOKEN}`).toString("base64") },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// Vectors: each `ID` becomes the payload's number. HTML, SVG and MathML tricks, URL schemes,
// entity and case games, attribute and element break-outs, Markdown links and images, template
// syntax (minijinja's and others'), and parser-confusion (mXSS) shapes.
const vectors = [
  "<script>alert(ID)</script>",
  "<ScRiPt>alert(ID)</sCrIpT>",
  "<script src=\"data:text/javascript,alert(ID)\"></script>",
  "<scr<script>ipt>alert(ID)</script>",
  "<img src=x onerror=alert(ID)>",
  "<img/src/onerror=alert(ID)>",
  "<img src=\"x\" onerror=\"&#97;lert(ID)\">",
  "<img src=x onerror=alert&#40;ID&#41;>",
  "<img src=x:alert(ID) onerror=eval(src)>",
  "<svg onload=alert(ID)>",
  "<svg/onload=alert(ID)>",
  "<svg><script>alert(ID)</script></svg>",
  "<svg><animate onbegin=alert(ID) attributeName=x dur=1s>",
  "<svg><a xlink:href=\"javascript:alert(ID)\"><text x=\"20\" y=\"20\">x</text></a></svg>",
  "<svg><foreignObject><iframe srcdoc=\"<script>parent.alert(ID)</script>\"></iframe></foreignObject></svg>",
  "<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror=alert(ID)></style></mtext></svg></mglyph></math>",
  "<math><a xlink:href=\"javascript:alert(ID)\">x</a></math>",
  "<iframe src=\"javascript:alert(ID)\"></iframe>",
  "<iframe srcdoc=\"<script>parent.alert(ID)</script>\"></iframe>",
  "<object data=\"javascript:alert(ID)\"></object>",
  "<embed src=\"javascript:alert(ID)\">",
  "<a href=\"javascript:alert(ID)\">link</a>",
  "<a href=\"jav&#x09;ascript:alert(ID)\">link</a>",
  "<a href=\"&#106;avascript:alert(ID)\">link</a>",
  "<a href=\"data:text/html,<script>alert(ID)</script>\">link</a>",
  "<body onload=alert(ID)>",
  "<details open ontoggle=alert(ID)>",
  "<input autofocus onfocus=alert(ID)>",
  "<select autofocus onfocus=alert(ID)></select>",
  "<textarea autofocus onfocus=alert(ID)></textarea>",
  "<video><source onerror=alert(ID)></video>",
  "<audio src=x onerror=alert(ID)>",
  "<marquee onstart=alert(ID)>x</marquee>",
  "<form><button formaction=javascript:alert(ID)>x</button></form>",
  "<div style=\"background:url(javascript:alert(ID))\">x</div>",
  "<style>@import 'javascript:alert(ID)';</style>",
  "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(ID)\">",
  "<base href=\"javascript:alert(ID)//\">",
  "<link rel=stylesheet href=\"javascript:alert(ID)\">",
  "<noscript><p title=\"</noscript><img src=x onerror=alert(ID)>\"></noscript>",
  "<template><script>alert(ID)</script></template>",
  "<table background=\"javascript:alert(ID)\"></table>",
  "<isindex type=image src=1 onerror=alert(ID)>",
  "\"><script>alert(ID)</script>",
  "'><img src=x onerror=alert(ID)>",
  "</textarea><script>alert(ID)</script>",
  "</title><script>alert(ID)</script>",
  "</script><script>alert(ID)</script>",
  "--><script>alert(ID)</script>",
  "\" onmouseover=\"alert(ID)\" x=\"",
  "' autofocus onfocus='alert(ID)' x='",
  "[link](javascript:alert(ID))",
  "[link](JaVaScRiPt:alert(ID))",
  "[link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![img](x\" onerror=\"alert(ID))",
  "<https://x.test/\"><script>alert(ID)</script>>",
  "{{ \"<script>alert(ID)</script>\" | safe }}",
  "{% raw %}<script>alert(ID)</script>{% endraw %}",
  "${alert(ID)}",
  "\\u003cscript\\u003ealert(ID)\\u003c/script\\u003e",
];
// Where a vector sits in the text: alone, after words, in quotes, after closing tags, in
// Markdown emphasis, a quote or a list, on its own line.
const wrappers = [
  (p) => p,
  (p) => `Olá ${p} obrigado`,
  (p) => `"${p}"`,
  (p) => `'${p}'`,
  (p) => `</p>${p}`,
  (p) => `**${p}**`,
  (p) => `> ${p}`,
  (p) => `- ${p}`,
  (p) => `\n\n${p}\n\n`,
  (p) => `${p}<!--`,
];
const payloads = [];
for (const w of wrappers) for (const v of vectors) payloads.push(w(v).replaceAll("ID", String(payloads.length + 1)));
assert.ok(payloads.length >= 500, `${payloads.length} payloads`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const executions = [];
let loads = 0;
function hook(page) {
  page.on("dialog", async (d) => {
    executions.push(`${page.url()}: ${d.type()} ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  page.on("console", (m) => {
    if (/^xss:/.test(m.text())) executions.push(`${page.url()}: console ${m.text()}`);
  });
}

// The hook works: the same payloads on a page without escaping, sanitising or CSP execute.
{
  const page = await browser.newPage();
  hook(page);
  await page.setContent(`<div>${payloads[4]}</div><div>${payloads[9]}</div>`);
  await page.waitForTimeout(200);
  assert.ok(executions.length >= 1, "the dialog hook sees an execution on an unprotected page");
  executions.length = 0;
  await page.close();
}

// Through the API: each payload as a ticket's subject and Markdown comment; every fifth also as
// an HTML comment, a requester's name and notes, an organization, a custom field's value; and
// the titles of views, macros, triggers and groups.
const field = (await api("POST", "/api/v2/ticket_fields", { ticket_field: { type: "textarea", title: "Order note" } })).body.ticket_field;
const tickets = [], users = [], orgs = [];
let accepted = 0, refused = 0;
const refusals = new Map();
const count = (r) => {
  if (r.status < 300) accepted++;
  else {
    refused++;
    const why = `${r.status} ${JSON.stringify(r.body).slice(0, 160)}`;
    refusals.set(why, (refusals.get(why) || 0) + 1);
  }
  return r;
};
for (let i = 0; i < payloads.length; i++) {
  const p = payloads[i];
  // A body that sanitises to nothing is refused as blank: each one says which case it is.
  const ticket = { subject: p.trim().slice(0, 250) || "x", comment: { body: `${p}\n\ncase ${i + 1}` }, custom_fields: [{ id: field.id, value: p.slice(0, 250) }] };
  if (i % 5 === 0) {
    ticket.requester = { name: p.trim().slice(0, 200) || "x", email: `xss${i}@example.com` };
  }
  const r = count(await api("POST", "/api/v2/tickets", { ticket }));
  if (r.status >= 300) continue;
  const t = r.body.ticket;
  tickets.push(t.id);
  if (i % 5 === 0) {
    count(await api("PUT", `/api/v2/tickets/${t.id}`, { ticket: { comment: { html_body: p, public: i % 2 === 0 } } }));
    const u = count(await api("PUT", `/api/v2/users/${t.requester_id}`, { user: { notes: p, details: p } }));
    if (u.status < 300) users.push(t.requester_id);
    const o = count(await api("POST", "/api/v2/organizations", { organization: { name: `${p.trim().slice(0, 200)} ${i}`, notes: p } }));
    if (o.status < 300) {
      orgs.push(o.body.organization.id);
      await api("PUT", `/api/v2/users/${t.requester_id}`, { user: { organization_id: o.body.organization.id } });
    }
  }
  if (i % 25 === 0) {
    count(await api("POST", "/api/v2/views", { view: { title: p.trim().slice(0, 200) || "x", all: [{ field: "status", operator: "less_than", value: "solved" }] } }));
    count(await api("POST", "/api/v2/macros", { macro: { title: p.trim().slice(0, 200) || "x", actions: [{ field: "comment_value", value: p }] } }));
    count(await api("POST", "/api/v2/groups", { group: { name: `${p.trim().slice(0, 200)} ${i}` } }));
    count(await api("POST", "/api/v2/triggers", { trigger: { title: p.trim().slice(0, 200) || "x", active: false, all: [{ field: "update_type", operator: "is", value: "Create" }], actions: [{ field: "comment_value", value: p }] } }));
  }
}
for (const [why, n] of refusals) console.log(`refused ${n}x: ${why}`);
assert.ok(tickets.length >= 500, `${tickets.length} tickets made`);

const context = await browser.newContext({ locale: "en-US" });
const page = await context.newPage();
hook(page);
async function visit(path) {
  loads++;
  await page.goto(BASE + path, { waitUntil: "load" });
}
await visit("/login");
await page.locator("#email").fill(EMAIL);
await page.locator("#password").fill(PASSWORD);
await page.locator('form[action="/login"]').getByRole("button", { name: "Sign in", exact: true }).click();
await page.waitForURL("**/agent/**");

// Through the pages: a reply, an internal note and a new ticket typed into the forms.
const formPayloads = payloads.filter((_, i) => i % 20 === 3);
for (const p of formPayloads) {
  const id = tickets[Math.floor(Math.random() * tickets.length)];
  await visit(`/agent/tickets/${id}`);
  await page.locator("#body").fill(p);
  await page.locator("#composer button[type=submit][name=status]").first().click();
  await page.waitForLoadState("load");
  loads++;
}
for (const p of formPayloads.slice(0, 10)) {
  await visit("/agent/tickets/new");
  await page.locator("#requester_email").fill(`form${loads}@example.com`);
  await page.locator("#requester_name").fill(p.trim().slice(0, 200) || "x");
  await page.locator("#subject").fill(p.trim().slice(0, 200) || "x");
  await page.locator("#body").fill(p);
  await page.locator("#tags").fill(p.slice(0, 100));
  await page.locator("#new-ticket button[type=submit]").last().click();
  await page.waitForLoadState("load");
  loads++;
}

// Every page that shows them.
for (const id of tickets) {
  await visit(`/agent/tickets/${id}`);
}
for (const id of tickets.filter((_, i) => i % 10 === 0)) await visit(`/agent/tickets/${id}/history`);
for (const id of users) await visit(`/agent/users/${id}`);
for (const id of orgs) await visit(`/agent/organizations/${id}`);
const views = (await api("GET", "/api/v2/views?per_page=100")).body.views;
for (const v of views) await visit(`/agent/views/${v.id}`);
for (const q of ["alert", "script", "onerror", "javascript"]) await visit(`/agent/search?q=${encodeURIComponent(q)}`);
for (const slug of ["users", "organizations", "groups", "views", "macros", "triggers"]) {
  for (let p = 1; p <= 3; p++) await visit(`/admin/${slug}?page=${p}`);
}
const macros = (await api("GET", "/api/v2/macros?per_page=100")).body.macros;
for (const m of macros.slice(0, 10)) {
  await visit(`/agent/tickets/${tickets[0]}?macro=${m.id}`);
  await visit(`/admin/macros/${m.id}`);
}
// Give timers, focus and animations their moment on the last page, then count.
await page.waitForTimeout(300);
await browser.close();

const figure = `xss corpus: ${payloads.length} payloads (${accepted} writes accepted, ${refused} refused), ${formPayloads.length + 10} typed into page forms, ${loads} page loads, ${executions.length} executions`;
console.log(figure);
if (executions.length) {
  for (const e of executions.slice(0, 20)) console.log("EXECUTED  " + e);
  process.exit(1);
}
