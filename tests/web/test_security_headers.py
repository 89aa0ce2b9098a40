"""Every page of the app, for every role, is sent with the browser protections: a
Content-Security-Policy that allows no inline script, no MIME sniffing, no framing, a
restrained Referer — and no page relies on inline script the policy would block.

The routes are read from the app's url_map (through the route matrix's table), so a page
added later is checked too."""

from __future__ import annotations

import re
from typing import Any

from tests.support.routes import ANON, CALLS, ROLES, access_for

GETS = [c for c in CALLS if c.method == "GET"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def csp(response: Any) -> dict[str, set[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (d.split() for d in policy.split(";") if d.strip())
    return {d[0].lower(): set(d[1:]) for d in directives}


def header_problems(response: Any) -> list[str]:
    """What a browser would not be told, for any response (pages, files, errors, JSON)."""
    problems = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    policy = csp(response)
    framed = response.headers.get("X-Frame-Options") == "DENY" or \
        policy.get("frame-ancestors") == {"'none'"}
    if not framed:
        problems.append("may be framed")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if response.mimetype == "text/html":
        problems += page_problems(response, policy)
    return problems


def page_problems(response: Any, policy: dict[str, set[str]]) -> list[str]:
    scripts = policy.get("script-src", policy.get("default-src"))
    if scripts is None:
        return ["no Content-Security-Policy restricting scripts"]
    problems = [f"script-src allows {v}" for v in ("'unsafe-inline'", "'unsafe-eval'", "*",
                                                    "data:", "http:", "https:") if v in scripts]
    if policy.get("object-src", policy.get("default-src")) not in ({"'none'"}, {"'self'"}):
        problems.append("object-src is not restricted")
    if policy.get("frame-ancestors") != {"'none'"}:
        problems.append("CSP has no frame-ancestors 'none'")
    body = response.get_data(as_text=True)
    for name, pattern in (("inline <script>", INLINE_SCRIPT), ("on…= handler", EVENT_HANDLER),
                          ("javascript: URL", JS_URL)):
        if found := pattern.search(body):
            problems.append(f"page uses {name}, which the policy blocks: {found.group(0)[:80]}")
    return problems


def test_every_get_route_for_every_role_sends_the_protections(world, make_target,
                                                              callers):
    doors = callers()
    targets: dict[str, Any] = {}
    checked, problems = 0, []
    for call in GETS:
        access = access_for(call.endpoint, call.trigger)
        state = access.state if access else "at_council"
        target = targets.get(state) or targets.setdefault(state, make_target(state))
        for role in ROLES:
            response = doors[role].call("GET", target.url(call), {})
            checked += 1
            problems += [f"{call.id} as {role} ({response.status_code}): {p}"
                         for p in header_problems(response)]
    assert checked == len(GETS) * len(ROLES) and len(GETS) > 20
    assert not problems, "\n".join(problems)


def test_error_pages_static_files_and_redirects_are_protected_too(world, callers):
    doors = callers(("admin", ANON))
    responses = [doors[ANON].client.get("/no-such-page"),            # 404
                 doors[ANON].client.get("/unit/"),                   # redirect to /login
                 doors["admin"].client.get("/no-such-page"),
                 doors["admin"].client.post("/login"),               # 302 while signed in
                 doors[ANON].client.post("/logout"),                 # CSRF refusal
                 doors["admin"].client.get("/static/tdkt.css"),
                 doors["admin"].client.get("/api/v1/no-such-thing")]
    assert {r.status_code for r in responses} >= {404, 302, 200}
    problems = [f"{r.request.path} ({r.status_code}): {p}"
                for r in responses for p in header_problems(r)]
    assert not problems, "\n".join(problems)
