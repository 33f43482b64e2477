#!/usr/bin/env python3
"""Client-compatibility test: drive a running Frontdesk server with the
unmodified zenpy 2.0.57 package.

Environment (set by tests/compat/run.sh):
  FRONTDESK_URL    e.g. http://127.0.0.1:8080 (scheme + host:port, no path)
  FRONTDESK_EMAIL  the admin's email
  FRONTDESK_TOKEN  an API token for that admin

zenpy is pointed at the server with its own ZENPY_FORCE_SCHEME /
ZENPY_FORCE_NETLOC overrides (see shared/zendesk-api.md §15); no library code
is patched. Prints one PASS/FAIL line per step; exits 1 if any step failed.
"""

import os
import sys
import time
import traceback
import uuid
from urllib.parse import urlsplit

# zenpy reads these on every request, so they must be set before the first call.
_url = urlsplit(os.environ["FRONTDESK_URL"])
os.environ["ZENPY_FORCE_SCHEME"] = _url.scheme
os.environ["ZENPY_FORCE_NETLOC"] = _url.netloc

import zenpy  # noqa: E402
from zenpy import Zenpy  # noqa: E402
from zenpy.lib.api_objects import Comment, JobStatus, Macro, Ticket, TicketField, Trigger, User, View  # noqa: E402
from zenpy.lib.exception import RecordNotFoundException  # noqa: E402

assert zenpy.__version__ == "2.0.57", f"expected zenpy 2.0.57, got {zenpy.__version__}"

# Unique suffix so the test also works against a shared (PostgreSQL) database.
RUN = uuid.uuid4().hex[:8]
MISSING_ID = 9223372036854775807  # i64::MAX, zenpy's own "surely missing" id
BULK_TOTAL = 150  # tickets created through create_many (100 + 50)
JOB_TIMEOUT_S = 60

client = Zenpy(
    subdomain="frontdesk",  # any non-empty value; the netloc override wins
    email=os.environ["FRONTDESK_EMAIL"],
    token=os.environ["FRONTDESK_TOKEN"],
    disable_cache=True,  # always read from the server, never zenpy's cache
    timeout=30,
)

state = {}  # values produced by one step and needed by later ones
results = []  # (step name, passed)


class Skip(Exception):
    """A prerequisite step failed, so this one cannot run."""


def need(key):
    if key not in state:
        raise Skip(f"needs '{key}' from an earlier step that failed")
    return state[key]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def step(name):
    """Run the decorated function now as one named, independently reported step."""

    def run(fn):
        try:
            detail = fn()
            print(f"PASS  {name}" + (f": {detail}" if detail else ""), flush=True)
            results.append((name, True))
        except Skip as e:
            print(f"FAIL  {name}: skipped, {e}", flush=True)
            results.append((name, False))
        except Exception as e:  # noqa: BLE001 - report every failure the same way
            print(f"FAIL  {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)
            results.append((name, False))
        return fn

    return run


@step("create end-user")
def _():
    email = f"enduser-{RUN}@example.com"
    user = client.users.create(User(name=f"End User {RUN}", email=email, role="end-user"))
    check(isinstance(user, User), f"users.create returned {type(user).__name__}, want User")
    check(isinstance(user.id, int) and user.id > 0, f"bad user id {user.id!r}")
    check(user.email == email, f"email {user.email!r} != {email!r}")
    check(user.role == "end-user", f"role {user.role!r} != 'end-user'")
    state["user_id"] = user.id
    return f"id={user.id}"


@step("create ticket with comment")
def _():
    requester = need("user_id")
    audit = client.tickets.create(
        Ticket(
            subject=f"Printer on fire {RUN}",
            requester_id=requester,
            comment=Comment(body=f"It is really on fire {RUN}"),
        )
    )
    # POST /tickets answers {"ticket", "audit"}; zenpy turns that into a TicketAudit.
    check(hasattr(audit, "ticket") and audit.ticket is not None,
          f"tickets.create returned {type(audit).__name__} without .ticket")
    check(audit.audit is not None, "tickets.create result has no .audit")
    state["ticket_id"] = audit.ticket.id
    return f"id={audit.ticket.id}"


@step("read ticket back")
def _():
    tid, requester = need("ticket_id"), need("user_id")
    t = client.tickets(id=tid)
    check(t.id == tid, f"id {t.id} != {tid}")
    check(t.subject == f"Printer on fire {RUN}", f"subject {t.subject!r}")
    check(t.requester_id == requester, f"requester_id {t.requester_id} != {requester}")
    check(t.description == f"It is really on fire {RUN}", f"description {t.description!r}")
    return f"subject={t.subject!r}"


@step("update ticket with a private comment, list comments")
def _():
    tid = need("ticket_id")
    t = client.tickets(id=tid)
    t.comment = Comment(body=f"Internal note {RUN}", public=False)
    client.tickets.update(t)
    comments = list(client.tickets.comments(tid))
    got = [(c.body, c.public) for c in comments]
    want = [(f"It is really on fire {RUN}", True), (f"Internal note {RUN}", False)]
    check(got == want, f"comments (body, public) = {got!r}, want {want!r}")
    return f"{len(comments)} comments, public flags {[c.public for c in comments]}"


@step("add tags and read them back")
def _():
    tid = need("ticket_id")
    client.tickets.add_tags(tid, ["compat", f"run_{RUN}"])
    client.tickets.add_tags(tid, ["second_batch"])  # PUT adds, it must not replace
    tags = list(client.tickets.tags(tid))
    want = {"compat", f"run_{RUN}", "second_batch"}
    check(want <= set(tags), f"tags {tags!r} lack some of {sorted(want)!r}")
    return f"tags={sorted(tags)}"


def wait_for_job(job):
    """Poll GET /job_statuses/{id} until the job is completed; return it."""
    check(isinstance(job, JobStatus), f"create_many returned {type(job).__name__}, want JobStatus")
    check(isinstance(job.id, str) and job.id, f"job id {job.id!r} is not a non-empty string")
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        job = client.job_status(id=job.id)
        if job.status == "completed":
            return job
        check(job.status in ("queued", "working"), f"job {job.id} ended as {job.status!r}: {job.message!r}")
        check(time.monotonic() < deadline, f"job {job.id} still {job.status!r} after {JOB_TIMEOUT_S}s")
        time.sleep(0.25)


def field(obj, name):
    """Job results may come back as dicts or zenpy objects."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


@step(f"bulk-create {BULK_TOTAL} tickets via 2 create_many calls + job polling")
def _():
    requester = need("user_id")
    subjects = [f"Bulk {RUN} #{i}" for i in range(BULK_TOTAL)]
    batches = [subjects[:100], subjects[100:]]
    ids_by_subject = {}
    for batch in batches:
        job = client.tickets.create(
            [Ticket(subject=s, requester_id=requester, comment=Comment(body=f"body of {s}")) for s in batch]
        )
        job = wait_for_job(job)
        res = list(job.results or [])
        check(len(res) == len(batch), f"job {job.id}: {len(res)} results for {len(batch)} tickets")
        for r in res:
            idx, tid = field(r, "index"), field(r, "id")
            check(isinstance(tid, int) and tid > 0, f"job result without a ticket id: {r!r}")
            check(isinstance(idx, int) and 0 <= idx < len(batch), f"job result with bad index: {r!r}")
            ids_by_subject[batch[idx]] = tid
    check(len(ids_by_subject) == BULK_TOTAL, f"{len(ids_by_subject)} distinct subjects mapped, want {BULK_TOTAL}")
    check(len(set(ids_by_subject.values())) == BULK_TOTAL, "job results repeat ticket ids")
    # Every reported id must exist, with the subject sent at that result's index.
    ids = list(ids_by_subject.values())
    found = {}
    for chunk in (ids[:100], ids[100:]):
        for t in client.tickets(ids=chunk):  # GET /tickets/show_many?ids=...
            found[t.id] = t.subject
    for subj, tid in ids_by_subject.items():
        check(found.get(tid) == subj, f"ticket {tid}: subject {found.get(tid)!r}, want {subj!r}")
    state["bulk_ids"] = set(ids)
    return f"{BULK_TOTAL} tickets, ids {min(ids)}..{max(ids)}"


@step("list all tickets across pages (cursor pagination)")
def _():
    mine = need("bulk_ids") | {need("ticket_id")}
    seen = [t.id for t in client.tickets()]  # GET /tickets?page[size]=100, follows the cursor
    check(len(seen) == len(set(seen)), f"{len(seen) - len(set(seen))} duplicate ids in the listing")
    check(len(seen) > 100, f"only {len(seen)} tickets listed; the listing must span more than one page")
    missing = mine - set(seen)
    check(not missing, f"{len(missing)} created tickets missing from the listing, e.g. {sorted(missing)[:5]}")
    check(seen == sorted(seen), "tickets are not in ascending id order")
    return f"{len(seen)} tickets listed, all {len(mine)} of ours present"


@step("ticket field (drop-down): create, set on a ticket, search by its key")
def _():
    tid = need("ticket_id")
    key, value = f"plan_{RUN}", f"ent_{RUN}"
    tf = client.ticket_fields.create(TicketField(
        type="tagger", title=f"Plan {RUN}", key=key,
        custom_field_options=[{"name": "Basic", "value": f"basic_{RUN}"}, {"name": "Enterprise plus", "value": value}],
    ))
    check(isinstance(tf, TicketField) and tf.id, f"ticket_fields.create returned {tf!r}")
    t = client.tickets(id=tid)
    t.custom_fields = [{"id": tf.id, "value": value}]
    client.tickets.update(t)
    got = [f for f in client.tickets(id=tid).custom_fields if f["id"] == tf.id]
    check(got and got[0]["value"] == value, f"custom_fields after update: {got!r}")
    found = [r.id for r in client.search(f"{key}:{value}", type="ticket")]
    check(found == [tid], f"search {key}:{value} found {found!r}, want [{tid}]")
    return f"field {tf.id}, ticket {tid} found by {key}:{value}"


@step("view: create, count_many (zenpy sends ?count_many=), tickets")
def _():
    tid = need("ticket_id")
    v = client.views.create(View(title=f"Compat {RUN}", all=[
        {"field": "status", "operator": "less_than", "value": "solved"},
        {"field": "current_tags", "operator": "includes", "value": f"run_{RUN}"},
    ]))
    check(isinstance(v, View) and v.id, f"views.create returned {v!r}")
    counts = list(client.views.count_many([v.id]))
    check(len(counts) == 1 and counts[0].value == 1 and counts[0].fresh, f"count_many gave {[c.to_dict() for c in counts]!r}")
    ids = [t.id for t in client.views.tickets(v.id)]
    check(ids == [tid], f"views.tickets gave {ids!r}, want [{tid}]")
    return f"view {v.id}: count 1, tickets {ids}"


@step("trigger tags a new ticket; macro effect previewed without changing the ticket")
def _():
    tag = f"compat_{RUN}".lower()
    trig = client.triggers.create(Trigger(
        title=f"Compat trigger {RUN}",
        conditions={"all": [{"field": "update_type", "operator": "is", "value": "Create"},
                            {"field": "subject_includes_word", "operator": "includes", "value": f"trig{RUN}"}], "any": []},
        actions=[{"field": "current_tags", "value": tag}]))
    check(isinstance(trig, Trigger) and trig.id, f"triggers.create returned {trig!r}")
    made = client.tickets.create(Ticket(subject=f"trig{RUN} fires", comment=Comment(body="b"))).ticket
    t = client.tickets(id=made.id)
    check(tag in t.tags, f"ticket tags {t.tags!r} lack {tag}")
    m = client.macros.create(Macro(title=f"Compat macro {RUN}", actions=[{"field": "status", "value": "pending"}]))
    effect = client.tickets.show_macro_effect(t, m)
    check(effect.ticket.status == "pending", f"macro preview status {effect.ticket.status!r}")
    check(client.tickets(id=made.id).status != "pending", "the preview changed the ticket")
    client.triggers.delete(trig)
    return f"trigger {trig.id} tagged ticket {made.id}; macro {m.id} previewed status pending"


@step("incremental export (cursor) has a change made a moment ago")
def _():
    tid = need("ticket_id")
    start = int(time.time()) - 60
    t = client.tickets(id=tid)
    t.subject = f"Changed just now {RUN}"
    client.tickets.update(t)
    seen = {x.id: x.subject for x in client.tickets.incremental(start_time=start)}
    check(seen.get(tid) == f"Changed just now {RUN}", f"export has {seen.get(tid)!r} for ticket {tid}")
    return f"{len(seen)} tickets exported, ticket {tid} with its new subject"


@step("404 for a missing ticket raises RecordNotFoundException")
def _():
    try:
        t = client.tickets(id=MISSING_ID)
    except RecordNotFoundException as e:
        return f"HTTP {e.response.status_code if e.response is not None else '?'}"
    raise AssertionError(f"no exception; got {t!r}")


passed = sum(1 for _, ok in results if ok)
failed = len(results) - passed
print(f"zenpy: {passed} steps passed, {failed} failed")
sys.exit(1 if failed else 0)
