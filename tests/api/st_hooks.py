"""Schemathesis hooks for tests/api/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A generated call may name any record, including the caller's own account and API token: one
`DELETE /api/v2/api_tokens/1` and every later call answers 401, which tests nothing. Calls that
name the caller's account or token are pointed at a record that does not exist instead; every
other record stays fair game. Inbound mail bodies (message/rfc822) are sent as the bytes drawn.
"""

import os

import schemathesis

PROTECTED = {
    "/api/v2/users/": set(filter(None, os.environ.get("ST_PROTECT_USERS", "").split(","))),
    "/api/v2/api_tokens/": set(filter(None, os.environ.get("ST_PROTECT_TOKENS", "").split(","))),
}
NOWHERE = 2_000_000_000


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    params = case.path_parameters
    if not params or "id" not in params:
        return
    path = case.operation.path
    for prefix, ids in PROTECTED.items():
        if path.startswith(prefix + "{id}") and str(params["id"]) in ids:
            params["id"] = NOWHERE


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")
