#!/usr/bin/env python3
"""The crate graph is the architecture (ARCHITECTURE.md): each workspace crate may depend only
on the crates of ours listed for it here. An upward or sideways dependency — or a new crate not
placed in this table — fails CI. Reads `cargo metadata`; dev-dependencies (tests) are free."""
import json
import subprocess
import sys

ALLOWED = {
    "frontdesk-domain": set(),
    "frontdesk-store": {"frontdesk-domain"},
    "frontdesk-mail": set(),
    "frontdesk-server": {"frontdesk-domain", "frontdesk-store", "frontdesk-mail"},
    "frontdesk-bench": set(),
}

meta = json.loads(subprocess.check_output(["cargo", "metadata", "--format-version", "1", "--no-deps"]))
ours = {p["name"] for p in meta["packages"]}
problems = []
for p in meta["packages"]:
    name = p["name"]
    if name not in ALLOWED:
        problems.append(f"{name}: a crate with no place in the layer table (.ci/layers.py, ARCHITECTURE.md)")
        continue
    for d in p["dependencies"]:
        if d["name"] in ours and d.get("kind") != "dev" and d["name"] not in ALLOWED[name]:
            allowed = ", ".join(sorted(ALLOWED[name])) or "none of ours"
            problems.append(f"{name} depends on {d['name']}; it may depend on {allowed}")
# Until the use cases are a crate of their own, the same rule inside the server: `app/` (the use
# cases) imports neither the API (`http`) nor the pages (`ui`), nor the HTTP framework.
import pathlib
import re

src = pathlib.Path(__file__).resolve().parent.parent / "crates/server/src"
app_dir = src / "app"
# Nor the binary's parts: mail and webhook delivery, the job runner's senders, SMTP/IMAP intake.
upward = re.compile(
    r"\bcrate::(ui|http|failure|mail_out|webhooks|jobs|smtp|imap)\b|\bsuper::super::(ui|http)\b|\baxum\b"
)
for f in sorted(app_dir.rglob("*.rs")):
    for n, text in enumerate(f.read_text().splitlines(), 1):
        if upward.search(text) and not text.lstrip().startswith("//"):
            problems.append(f"{f.relative_to(app_dir.parent.parent.parent.parent)}:{n}: the use cases reach up: {text.strip()}")

# Only the use cases open write transactions: outside `app/`, nothing begins one, nor calls the
# helpers that do (`app::in_tx`, `app::in_db`, `app::savepoint`).
opens = re.compile(r"\.begin\(\)|\bin_tx\(|\bin_db\(|\bsavepoint\(")
for f in sorted(src.rglob("*.rs")):
    if app_dir in f.parents:
        continue
    for n, text in enumerate(f.read_text().splitlines(), 1):
        if opens.search(text) and not text.lstrip().startswith("//"):
            problems.append(f"{f.relative_to(src.parent.parent.parent)}:{n}: a write transaction outside the use cases: {text.strip()}")

for line in problems:
    print(f"layering: {line}", file=sys.stderr)
if problems:
    sys.exit(1)
print(
    f"layering: {len(meta['packages'])} crates, every dependency follows the layer table; app/ reaches neither"
    " http, ui nor the binary's parts; no write transaction is opened outside app/"
)
