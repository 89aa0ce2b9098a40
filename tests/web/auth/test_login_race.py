"""The login brake holds when wrong passwords arrive all at once at a served app.

The brake allows 5 failures per username and 20 per client address. It used to read the
count, test the password, then add to the count: 60 simultaneous wrong passwords for one
user had 12-14 passwords tested. Each attempt is now counted, and committed, before its
password is tested. An attempt whose password was tested answers 200 ("wrong username or
password"); one refused by the brake answers 429 without testing it, so the number of
200s is the number of passwords tested.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from tests.support.races import ON_POSTGRES
from tests.support.served import serve
from workflow.accounts.login_brake import ADDRESS_LIMIT, USER_LIMIT

ATTEMPTS = 60
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Browser:
    """One client with its own cookie and CSRF token, as a browser that opened /login."""

    def __init__(self, port: int) -> None:
        self.port = port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("GET", "/login")
            response = conn.getresponse()
            page = response.read().decode()
            cookie = SimpleCookie(response.getheader("Set-Cookie", ""))
        finally:
            conn.close()
        match = TOKEN.search(page)
        assert match, "the login page carries a CSRF token"
        self.token = match.group(1)
        self.cookie = "; ".join(f"{k}={v.value}" for k, v in cookie.items())

    def sign_in(self, username: str, password: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("POST", "/login", urlencode({
                "username": username, "password": password, "csrf_token": self.token}),
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


def at_once(port: int, attempts: list[tuple[str, str]]) -> Counter[int]:
    browsers = [Browser(port) for _ in attempts]
    barrier = threading.Barrier(len(attempts))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def run(browser: Browser, username: str, password: str) -> None:
        barrier.wait()
        status = browser.sign_in(username, password)
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=run, args=(b, *a), daemon=True)
               for b, a in zip(browsers, attempts, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(statuses.values()) == len(attempts), statuses
    return statuses


def served(world: Any) -> Any:
    return serve(world.db.url, world)


@ON_POSTGRES
def test_sixty_wrong_passwords_at_once_for_one_user_test_at_most_five(world):
    server, port = served(world)
    try:
        statuses = at_once(port, [("unit1", f"doan-sai-{i}") for i in range(ATTEMPTS)])
        right_password_now = Browser(port).sign_in("unit1", "tdkt-demo")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == {200: USER_LIMIT, 429: ATTEMPTS - USER_LIMIT}, statuses
    assert right_password_now == 429   # the name stays locked


@ON_POSTGRES
def test_sixty_wrong_passwords_at_once_from_one_address_test_at_most_twenty(world):
    server, port = served(world)
    try:
        statuses = at_once(port, [(f"ten-doan-{i}", "doan-sai") for i in range(ATTEMPTS)])
        someone_else = Browser(port).sign_in("unit2", "tdkt-demo")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == {200: ADDRESS_LIMIT, 429: ATTEMPTS - ADDRESS_LIMIT}, statuses
    assert someone_else == 429          # the address stays locked, for every name


@ON_POSTGRES
def test_colleagues_signing_in_at_once_from_one_office_address_all_get_in(world):
    # Ten clerks behind one office address sign in at the same moment: each attempt
    # takes a turn of the address's allowance, and each success gives it back.
    server, port = served(world)
    try:
        names = ["unit1", "unit2", "reviewer", "reviewer2", "boardhead", "secretary",
                 "member1", "member2", "member3", "admin"]
        statuses = at_once(port, [(n, "tdkt-demo") for n in names])
        later = at_once(port, [(f"ten-doan-{i}", "doan-sai") for i in range(ADDRESS_LIMIT)])
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert statuses == {302: len(names)}, statuses
    assert later == {200: ADDRESS_LIMIT}, later   # the successes used none of it
