#!/usr/bin/env python3
"""Write docs/endpoints.md from csrc/lib/endpoints.def.

`tools/gen-endpoints-doc.py --check` fails when the committed page differs
from what the table says (run in CI), so the docs cannot drift.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEF = os.path.join(ROOT, "csrc", "lib", "endpoints.def")
DOC = os.path.join(ROOT, "docs", "endpoints.md")

LINE = re.compile(
    r'SC_ENDPOINT\(\s*(\w+),\s*"(\w+)",\s*"(\w*)",\s*(\w+),\s*"([^"]*)",\s*'
    r'(\w+),\s*"([^"]*)",\s*"([^"]*)",\s*([\w\s|]+?),\s*"([^"]*)",\s*"([^"]*)"\s*\)',
    re.S)

HOSTS = {"API": ("API", "/v{version}"), "AUTH": ("auth", ""),
         "MANAGEMENT": ("management", "/v2.0"), "V3": ("vehicle API", "/v3"),
         "IAM": ("IAM", ""), "V3M": ("management v3", "/v3")}
AUTH = {"BEARER": "Bearer access_token", "BASIC_CLIENT": "Basic client id:secret",
        "BASIC_AMT": "Basic default:management_token",
        "BEARER_AMT": "Bearer management_token",
        "BEARER_OR_APP": "Bearer access_token or the application token",
        "NONE": "client id/secret in the form"}


def body_params(body):
    if body.startswith("json:"):
        return [w.rstrip("#") for w in body[5:].split() if "=" not in w]
    return {"form:code": ["code", "redirect_uri?"],
            "form:refresh": ["refresh_token"], "batch": ["paths"],
            "raw": ["method", "path", "body?", "header:<Name>?"],
            "form:client_credentials": []}.get(body, [])


def render(rows):
    out = ["# Endpoints", "",
           "Generated from `csrc/lib/endpoints.def` by "
           "`tools/gen-endpoints-doc.py`; do not edit by hand.", "",
           "Every call is made by name: `sc_call(&res, client, \"odometer\", "
           "params)` in C, `client:call(\"odometer\", params)` in Lua, "
           "`Client.call(\"odometer\", params)` in Python, and through the "
           "SDK-shaped methods (`Vehicle.odometer()`...). Common parameters: "
           "`version`, `unit_system`, `flags`, `timeout_ms`, "
           "`connect_timeout_ms`, `max_attempts`, `retry_deadline_ms`, "
           "`rate_policy`, `user_agent_suffix`.", "",
           "Kinds: **read** calls are sent again on 429, on 5xx answers whose "
           "resolution is RETRY_LATER and on transport errors; **command** "
           "calls are never sent again once they may have reached the server.",
           "",
           "| name | method | origin | path | auth | parameters | kind | permission | batch path |",
           "|---|---|---|---|---|---|---|---|---|"]
    for (sym, name, method, host, path, auth, body, query, flags, perm,
         batch) in rows:
        params = []
        if "{vehicle_id}" in path or name == "request":
            params.append("vehicle_id" + ("?" if name == "request" else ""))
        if "{webhook_id}" in path:
            params.append("webhook_id")
        if "{signal_code}" in path:
            params.append("signal_code")
        if auth == "BEARER":
            params.append("access_token")
        if auth == "BEARER_OR_APP":
            params += ["access_token?", "user_id?"]
        if auth.endswith("AMT"):
            params.append("management_token")
        params += body_params(body)
        params += [q.split(">")[0].replace("!1", "") + "?"
                   for q in query.split() if q != "flags"]
        kind = ("command" if "SC_EP_COMMAND" in flags else
                "read" if "SC_EP_READ" in flags else "by method")
        origin, prefix = HOSTS[host]
        shown = prefix + (path if path else "/{path}")
        out.append("| `%s` | %s | %s | `%s` | %s | %s | %s | %s | %s |" % (
            name, method or "any", origin, shown, AUTH[auth],
            ", ".join("`%s`" % p for p in params) or "-", kind,
            "`%s`" % perm if perm else "-",
            "`%s`" % batch if batch else "-"))
    out.append("")
    return "\n".join(out)


def main():
    text = open(DEF).read()
    body = "\n".join(l for l in text.splitlines()
                     if not l.lstrip().startswith(("/*", "*")))
    rows = LINE.findall(body)
    declared = len(re.findall(r"^SC_ENDPOINT\(", body, re.M))
    if len(rows) != declared:
        sys.exit("gen-endpoints-doc: parsed %d of %d lines" % (len(rows), declared))
    page = render(rows)
    if "--check" in sys.argv:
        old = open(DOC).read() if os.path.exists(DOC) else ""
        if old != page:
            sys.exit("docs/endpoints.md is out of date: run "
                     "tools/gen-endpoints-doc.py")
        print("docs/endpoints.md matches endpoints.def (%d calls)" % len(rows))
        return
    with open(DOC, "w") as f:
        f.write(page)


if __name__ == "__main__":
    main()
