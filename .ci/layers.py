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
    "frontdesk-app": {"frontdesk-domain", "frontdesk-store", "frontdesk-mail"},
    "frontdesk-edge": {"frontdesk-app"},
    # The API and the pages never depend on each other. Both still read through `store`
    # directly (issue 16 moves their reads into use cases, then takes `store` off these two lines).
    "frontdesk-api": {"frontdesk-domain", "frontdesk-app", "frontdesk-edge", "frontdesk-store"},
    "frontdesk-web": {"frontdesk-domain", "frontdesk-app", "frontdesk-edge", "frontdesk-store"},
    "frontdesk-server": {
        "frontdesk-domain",
        "frontdesk-store",
        "frontdesk-mail",
        "frontdesk-app",
        "frontdesk-api",
        "frontdesk-web",
    },
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
import pathlib
import re

# The use cases are a crate (`frontdesk-app`) that depends on no HTTP: the compiler keeps it
# from reaching the API, the pages or the binary's parts.
app_toml = (pathlib.Path(__file__).resolve().parent.parent / "crates/app/Cargo.toml").read_text()
for web in ("axum", "tower", "reqwest", "lettre"):
    if re.search(rf"^{web}\b", app_toml, re.M):
        problems.append(f"frontdesk-app depends on {web}: the use cases know no HTTP and send nothing")

root = pathlib.Path(__file__).resolve().parent.parent
# Only the use cases open write transactions: in the API, the pages and the binary, nothing
# begins one, nor calls the helpers that do (`app::in_tx`, `in_db`, `savepoint`).
opens = re.compile(r"\.begin\(\)|\bin_tx\(|\bin_db\(|\bsavepoint\(")
for crate in ("edge", "api", "web", "server"):
    for f in sorted((root / "crates" / crate / "src").rglob("*.rs")):
        for n, text in enumerate(f.read_text().splitlines(), 1):
            if opens.search(text) and not text.lstrip().startswith("//"):
                problems.append(f"{f.relative_to(root)}:{n}: a write transaction outside the use cases: {text.strip()}")

for line in problems:
    print(f"layering: {line}", file=sys.stderr)
if problems:
    sys.exit(1)
print(
    f"layering: {len(meta['packages'])} crates, every dependency follows the layer table; the use cases know"
    " no HTTP; no write transaction is opened outside them"
)
