"""Who may do what, for every route of the app.

The routes come from app.url_map, so a route added later is exercised too — and
test_every_route_is_classified fails until the table (ACCESS, in tests/support/routes.py)
says who may use it.

Every route is called by each demo role and by an anonymous visitor, on a proposal of
unit1 in the state its row names. A GET is answered for the roles in `see` and refused
(403/404) for everyone else. A POST may change the database only for the roles in
`change`; for everyone else every row of the tables in tests/support/snapshots.py is the same
afterwards. Posts carry a valid CSRF token, so a refusal is about permission, never about
CSRF; a second test posts without the token and expects 400 and no change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.routes import (
    ANON,
    CALLS,
    NOMINEE,
    ROLES,
    TITLE,
    TRIGGER_ACCESS,
    Access,
    Call,
    Caller,
    Target,
    access_for,
)
from tests.support.snapshots import changed, snapshot
from workflow import machine

CSRF_REFUSED = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ"


# -- the routes (read from a real app's url_map in tests/support/routes.py)

HTML_WRITES = [c for c in CALLS if c.method in ("POST", "PUT", "PATCH", "DELETE")
               and not c.is_api]


def test_every_route_is_classified():
    """A new route fails here until ACCESS (or TRIGGER_ACCESS) says who may use it."""
    missing = [c.id for c in CALLS if access_for(c.endpoint, c.trigger) is None]
    assert not missing, f"say who may use these routes in ACCESS (tests.support.routes): {missing}"
    unknown = sorted(set(machine.SPECS) - set(TRIGGER_ACCESS))
    assert not unknown, f"add these triggers to TRIGGER_ACCESS: {unknown}"


# -- what each answer must look like

def goes_to_login(response: Any) -> bool:
    return response.status_code in (301, 302, 303) and \
        urlsplit(response.headers.get("Location", "")).path == "/login"


def door_problems(call: Call, access: Access, role: str, response: Any) -> list[str]:
    """What is wrong with this answer, whatever the method."""
    body = response.get_data()
    problems = []
    if response.status_code >= 500:
        problems.append(f"answered {response.status_code}")
    if role == ANON and not access.public:
        ok = response.status_code == 401 if call.is_api else goes_to_login(response)
        if not ok:
            problems.append(f"anonymous got {response.status_code}, not "
                            f"{'401' if call.is_api else 'a redirect to /login'}")
    if role == "unit2":
        # A public page may name a nominee on notice (that is what publishing means), never
        # show the dossier itself.
        named = NOMINEE.encode() in body and not access.public
        if TITLE.encode() in body or named:
            problems.append("unit2 was shown unit1's proposal")
        if call.about_the_proposal and response.status_code not in (401, 403, 404):
            problems.append(f"unit2 got {response.status_code} for unit1's proposal")
    if CSRF_REFUSED.encode() in body and call.method != "GET":
        problems.append("refused for CSRF although the token was sent")
    return problems


def read_problems(call: Call, access: Access, role: str, response: Any) -> list[str]:
    status, body = response.status_code, response.get_data()
    if role == ANON and not access.public:
        return []
    if role in access.see:
        if status >= 400 or goes_to_login(response):
            return [f"may see it but got {status}"]
        html = response.mimetype == "text/html"
        if call.about_the_proposal and status == 200 and html and TITLE.encode() not in body:
            return ["may see it, but the page does not show the proposal"]
        return []
    if status not in (401, 403, 404):
        return [f"may not see it but got {status}"]
    return ["the refusal shows the proposal"] if TITLE.encode() in body else []


# -- the matrix

@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.id)
def test_route_permissions(call: Call, world, make_target, callers):
    access = access_for(call.endpoint, call.trigger)
    if access is None:
        pytest.skip("not in the table: test_every_route_is_classified fails for it")
    target = make_target(access.state)
    doors = callers()
    problems = (_reads(call, access, target, doors, world) if call.method == "GET"
                else _writes(call, access, target, doors, world, make_target))
    assert not problems, f"{call.id} on a {access.state} proposal:\n" + "\n".join(problems)


def _reads(call: Call, access: Access, target: Target, doors: dict[str, Caller],
           world: Any) -> list[str]:
    before = snapshot(world)
    problems = []
    for role, door in doors.items():
        response = door.call("GET", target.url(call), {})
        problems += [f"{role}: {p}" for p in door_problems(call, access, role, response)
                     + read_problems(call, access, role, response)]
    if moved := changed(before, snapshot(world)):
        problems.append(f"GETs changed {moved}")
    return problems


def _writes(call: Call, access: Access, target: Target, doors: dict[str, Caller],
            world: Any, make_target: Callable[[str], Target]) -> list[str]:
    problems = []
    # Everyone who may not: nothing changes. They go first, on the same proposal.
    before = snapshot(world)
    for role in [r for r in ROLES if r not in access.change]:
        response = doors[role].call(call.method, target.url(call), target.form(access))
        problems += [f"{role}: {p}" for p in door_problems(call, access, role, response)]
        after = snapshot(world)
        if moved := changed(before, after):
            problems.append(f"{role} may not, yet changed {moved} ({response.status_code})")
        before = after
    # Everyone who may: each on a fresh proposal in the same state, and it takes effect.
    for role in [r for r in ROLES if r in access.change]:
        fresh = make_target(access.state)
        before = snapshot(world)
        response = doors[role].call(call.method, fresh.url(call), fresh.form(access))
        problems += [f"{role}: {p}" for p in door_problems(call, access, role, response)]
        if access.effect and not changed(before, snapshot(world)):
            problems.append(f"{role} may, but nothing changed ({response.status_code}: "
                            f"{_flash(response)})")
    return problems


def _flash(response: Any) -> str:
    follow = response.headers.get("Location", "")
    return follow or response.get_data(as_text=True)[:200]


@pytest.mark.parametrize("call", HTML_WRITES, ids=lambda c: c.id)
def test_a_post_without_csrf_token_is_refused(call: Call, world, make_target, callers):
    access = access_for(call.endpoint, call.trigger)
    if access is None:
        pytest.skip("not in the table: test_every_route_is_classified fails for it")
    target = make_target(access.state)
    allowed = sorted(access.change - {ANON})
    role = allowed[0] if allowed else (ANON if access.public else "unit1")
    door = callers((role,))[role]
    before = snapshot(world)
    response = door.call(call.method, target.url(call), target.form(access), with_token=False)
    assert response.status_code == 400, f"{role}: {response.status_code}"
    assert CSRF_REFUSED in response.get_data(as_text=True)
    assert not changed(before, snapshot(world))
