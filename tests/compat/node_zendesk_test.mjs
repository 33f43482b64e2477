// Client-compatibility test: drive a running Frontdesk server with the
// unmodified node-zendesk 6.0.1 package.
//
// Environment (set by tests/compat/run.sh):
//   FRONTDESK_URL     e.g. http://127.0.0.1:8080 (scheme + host:port, no path)
//   FRONTDESK_EMAIL   the admin's email
//   FRONTDESK_TOKEN   an API token for that admin
//   NODE_ZENDESK_DIR  the npm project dir that holds node_modules/node-zendesk
//
// Prints one PASS/FAIL line per step; exits 1 if any step failed.

import { createRequire } from "node:module";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

// node-zendesk is installed outside the repo tree (target/compat-cache), so
// resolve it from there rather than from this file's location.
const nodeDir = path.resolve(process.env.NODE_ZENDESK_DIR);
const require = createRequire(path.join(nodeDir, "package.json"));
const zendesk = require("node-zendesk");
// package.json is not in the package's "exports", so read it by path.
const version = require(path.join(nodeDir, "node_modules/node-zendesk/package.json")).version;
if (version !== "6.0.1") throw new Error(`expected node-zendesk 6.0.1, got ${version}`);

const RUN = randomBytes(4).toString("hex"); // unique per run (shared DBs)
const MISSING_ID = "9223372036854775807"; // i64::MAX; as a string, since JS numbers can't hold it
const BULK_TOTAL = 150; // tickets created through createMany (100 + 50)
const JOB_POLL_MS = 250;
const JOB_MAX_POLLS = 240; // ~60 s

const client = zendesk.createClient({
  username: process.env.FRONTDESK_EMAIL,
  token: process.env.FRONTDESK_TOKEN,
  endpointUri: `${process.env.FRONTDESK_URL}/api/v2`,
  throwOriginalException: true, // errors keep statusCode and the parsed body
  timeout: 30000,
});

const state = {}; // values produced by one step and needed by later ones
const results = []; // [step name, passed]

class Skip extends Error {}

function need(key) {
  if (!(key in state)) throw new Skip(`needs '${key}' from an earlier step that failed`);
  return state[key];
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const show = (v) => JSON.stringify(v);

// Run one named, independently reported step.
async function step(name, fn) {
  try {
    const detail = await fn();
    console.log(`PASS  ${name}${detail ? `: ${detail}` : ""}`);
    results.push([name, true]);
  } catch (e) {
    if (e instanceof Skip) {
      console.log(`FAIL  ${name}: skipped, ${e.message}`);
    } else {
      const extra = e.statusCode ? ` (HTTP ${e.statusCode}, body ${show(e.result)})` : "";
      console.log(`FAIL  ${name}: ${e.message}${extra}`);
      console.log(e.stack);
    }
    results.push([name, false]);
  }
}

// getAll-style calls return one element per page; for sub-resources not named
// in the client's jsonAPINames an element is the whole page body.
function flattenKey(pages, key) {
  return pages.flatMap((p) => (p && Array.isArray(p[key]) ? p[key] : [p]));
}

await step("create end-user", async () => {
  const email = `enduser-${RUN}@example.com`;
  const { result: user } = await client.users.create({
    user: { name: `End User ${RUN}`, email, role: "end-user" },
  });
  check(Number.isInteger(user.id) && user.id > 0, `bad user id ${show(user.id)}`);
  check(user.email === email, `email ${show(user.email)} != ${show(email)}`);
  check(user.role === "end-user", `role ${show(user.role)} != "end-user"`);
  state.userId = user.id;
  return `id=${user.id}`;
});

await step("create ticket with comment", async () => {
  const requester = need("userId");
  const { result: ticket } = await client.tickets.create({
    ticket: {
      subject: `Printer on fire ${RUN}`,
      requester_id: requester,
      comment: { body: `It is really on fire ${RUN}` },
    },
  });
  check(Number.isInteger(ticket.id) && ticket.id > 0, `bad ticket id ${show(ticket.id)}`);
  state.ticketId = ticket.id;
  return `id=${ticket.id}`;
});

await step("read ticket back", async () => {
  const id = need("ticketId");
  const { result: t } = await client.tickets.show(id);
  check(t.id === id, `id ${t.id} != ${id}`);
  check(t.subject === `Printer on fire ${RUN}`, `subject ${show(t.subject)}`);
  check(t.requester_id === state.userId, `requester_id ${t.requester_id} != ${state.userId}`);
  check(t.description === `It is really on fire ${RUN}`, `description ${show(t.description)}`);
  return `subject=${show(t.subject)}`;
});

await step("update ticket with a private comment, list comments", async () => {
  const id = need("ticketId");
  const { result: t } = await client.tickets.update(id, {
    ticket: { comment: { body: `Internal note ${RUN}`, public: false } },
  });
  check(t.id === id, `update returned ticket ${show(t.id)}`);
  const pages = await client.tickets.getComments(id); // GET /tickets/{id}/comments, follows links.next
  const comments = flattenKey(pages, "comments");
  const got = comments.map((c) => [c.body, c.public]);
  const want = [
    [`It is really on fire ${RUN}`, true],
    [`Internal note ${RUN}`, false],
  ];
  check(show(got) === show(want), `comments [body, public] = ${show(got)}, want ${show(want)}`);
  return `${comments.length} comments, public flags ${show(comments.map((c) => c.public))}`;
});

await step("add tags and read them back", async () => {
  const id = need("ticketId");
  // node-zendesk only sends a body that is a plain object, so pass {tags: [...]}.
  await client.tickets.addTags(id, { tags: ["compat", `run_${RUN}`] }); // PUT adds
  await client.tickets.addTags(id, { tags: ["second_batch"] }); // must not replace
  const want = ["compat", `run_${RUN}`, "second_batch"];
  // GET /tickets/{id}/tags through the client's generic getter (no named method for it).
  const { result: body } = await client.tickets.get(["tickets", id, "tags"]);
  check(Array.isArray(body.tags) && want.every((x) => body.tags.includes(x)), `GET tags answered ${show(body)}, want all of ${show(want)}`);
  const { result: t } = await client.tickets.show(id);
  check(want.every((x) => t.tags.includes(x)), `ticket.tags ${show(t.tags)} lack some of ${show(want)}`);
  return `tags=${show([...body.tags].sort())}`;
});

await step(`bulk-create ${BULK_TOTAL} tickets via 2 createMany calls + job polling`, async () => {
  const requester = need("userId");
  const subjects = Array.from({ length: BULK_TOTAL }, (_, i) => `Bulk ${RUN} #${i}`);
  const batches = [subjects.slice(0, 100), subjects.slice(100)];
  const idsBySubject = new Map();
  for (const batch of batches) {
    const { result } = await client.tickets.createMany({
      tickets: batch.map((s) => ({ subject: s, requester_id: requester, comment: { body: `body of ${s}` } })),
    });
    const job = result.job_status;
    check(job && typeof job.id === "string" && job.id, `createMany answered ${show(result)}`);
    // The library's own job monitor: polls GET /job_statuses/{id} until completed|failed|killed.
    const done = await client.jobstatuses.watch(job.id, JOB_POLL_MS, JOB_MAX_POLLS);
    check(done.status === "completed", `job ${job.id} ended as ${show(done.status)}: ${show(done.message)}`);
    check(done.results?.length === batch.length, `job ${job.id}: ${done.results?.length} results for ${batch.length} tickets`);
    for (const r of done.results) {
      check(Number.isInteger(r.id) && r.id > 0, `job result without a ticket id: ${show(r)}`);
      check(Number.isInteger(r.index) && r.index >= 0 && r.index < batch.length, `job result with bad index: ${show(r)}`);
      idsBySubject.set(batch[r.index], r.id);
    }
  }
  check(idsBySubject.size === BULK_TOTAL, `${idsBySubject.size} distinct subjects mapped, want ${BULK_TOTAL}`);
  const ids = [...idsBySubject.values()];
  check(new Set(ids).size === BULK_TOTAL, "job results repeat ticket ids");
  // Every reported id must exist, with the subject sent at that result's index.
  const found = new Map();
  for (const chunk of [ids.slice(0, 100), ids.slice(100)]) {
    const { result: tickets } = await client.tickets.showMany(chunk); // GET /tickets/show_many?ids=...
    for (const t of tickets) found.set(t.id, t.subject);
  }
  for (const [subject, id] of idsBySubject) {
    check(found.get(id) === subject, `ticket ${id}: subject ${show(found.get(id))}, want ${show(subject)}`);
  }
  state.bulkIds = new Set(ids);
  return `${BULK_TOTAL} tickets, ids ${Math.min(...ids)}..${Math.max(...ids)}`;
});

await step("list all tickets across pages (getAll follows links.next)", async () => {
  const mine = new Set([...need("bulkIds"), need("ticketId")]);
  const tickets = await client.tickets.list(); // GET /tickets.json?page[size]=100, then links.next
  const seen = tickets.map((t) => t.id);
  check(seen.every(Number.isInteger), `non-ticket items in the listing: ${show(tickets.find((t) => !Number.isInteger(t.id)))}`);
  check(new Set(seen).size === seen.length, `${seen.length - new Set(seen).size} duplicate ids in the listing`);
  check(seen.length > 100, `only ${seen.length} tickets listed; the listing must span more than one page`);
  const missing = [...mine].filter((id) => !seen.includes(id));
  check(missing.length === 0, `${missing.length} created tickets missing from the listing, e.g. ${show(missing.slice(0, 5))}`);
  check(seen.every((id, i) => i === 0 || seen[i - 1] < id), "tickets are not in ascending id order");
  return `${seen.length} tickets listed, all ${mine.size} of ours present`;
});

await step("404 for a missing ticket gives err.statusCode === 404", async () => {
  let ticket;
  try {
    ({ result: ticket } = await client.tickets.show(MISSING_ID));
  } catch (e) {
    check(e.statusCode === 404, `statusCode ${show(e.statusCode)}, want 404 (${e.message})`);
    check(e.result?.error === "RecordNotFound", `error body ${show(e.result)}, want error "RecordNotFound"`);
    return `HTTP 404 ${show(e.result)}`;
  }
  throw new Error(`no error; got ${show(ticket)}`);
});

const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`node-zendesk: ${passed} steps passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
