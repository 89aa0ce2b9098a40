"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when
TDKT_TEST_DATABASE_URL names one), the demo world, and a proposal factory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from models import Base, Proposal, User
from models.db import Database
from models.migrate import upgrade
from tests.support.smtp import SmtpServer
from workflow.audit.chain import use_key as use_audit_key
from workflow.campaigns.rulesets import load_ruleset_file, shipped_ruleset_files
from workflow.filing.dossier import add_document, add_nominee, create_proposal
from workflow.operations.demo_seed import seed_units, seed_users, walk_to

pytest_plugins = ["tests.support.one_door"]

PG_URL = os.environ.get("TDKT_TEST_DATABASE_URL")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Inside the CDS-2022 submission window (01/11/2022 – 15/12/2022).
CDS_NOW = datetime(2022, 11, 15, 9, 0, tzinfo=VN)
# The suite's clock: every test process starts at this moment and time runs on from it,
# so what a page counts from "today" is the same on any day the suite runs. Set
# TDKT_TEST_NOW (ISO 8601, e.g. 2027-02-05T16:30+07:00) to run the suite on another day.
PINNED_NOW = datetime(2026, 12, 7, 10, 0, tzinfo=VN)
# A cheap hash: the tests exercise permissions, not password hashing cost.
FAST_HASH = generate_password_hash("tdkt-demo", method="pbkdf2:sha256:1000")



def pinned_now() -> datetime:
    text_value = os.environ.get("TDKT_TEST_NOW")
    return datetime.fromisoformat(text_value) if text_value else PINNED_NOW


@pytest.fixture(scope="session", autouse=True)
def pinned_clock() -> Iterator[datetime]:
    """Travel to the suite's moment for the whole session; the clock ticks on from it."""
    moment = pinned_now()
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture(autouse=True)
def no_audit_key() -> Iterator[None]:
    """No test leaves the process sealing audit events with a key it set (the key is
    process-wide: `tdkt` commands run in-process set it from their environment)."""
    yield
    use_audit_key(None)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI must set TDKT_TEST_DATABASE_URL: PostgreSQL tests may "
                                "not be skipped there")


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set"),
    ]),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tdkt.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()
    return path


def _drop_schema(schema: str) -> None:
    assert PG_URL
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _fresh_schema(schema: str) -> str:
    """Create `schema` (dropping a leftover of that name) at the latest migration; its URL."""
    assert PG_URL
    _drop_schema(schema)
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    return url


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A schema of its own for this test run, so runs sharing the server don't collide."""
    schema = f"tdkt_test_{os.getpid()}"
    yield _fresh_schema(schema)
    _drop_schema(schema)


@pytest.fixture(scope="session")
def sqlite_world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory,
                 ) -> tuple[Path, dict[str, int]]:
    """The demo world seeded once per run; each test that asks for it gets a copy."""
    path = tmp_path_factory.mktemp("world") / "tdkt.sqlite"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    user_ids = seed_world(database)
    database.dispose()
    return path, user_ids


@dataclass(frozen=True)
class PgWorld:
    """A schema holding the seeded demo world, and the script that resets a test schema."""

    user_ids: dict[str, int]
    empty_script: str
    world_script: str


@pytest.fixture(scope="session")
def pg_world(pg_schema: str) -> Iterator[PgWorld]:
    """Seed the demo world once into a schema of its own; a test gets it by copying rows,
    which costs a few milliseconds where re-seeding cost about half a second."""
    template = f"{pg_schema.rsplit('%3D', 1)[1]}_world"
    database = Database(_fresh_schema(template))
    user_ids = seed_world(database)
    with database.engine.connect() as conn:
        filled = [t.name for t in Base.metadata.sorted_tables
                  if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t.name})")).scalar()]
        sequences = conn.execute(text(
            "SELECT s.relname, t.relname, a.attname FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "JOIN pg_namespace n ON n.oid = s.relnamespace "
            "WHERE s.relkind = 'S' AND n.nspname = :schema"), {"schema": template}).all()
    database.dispose()
    # Replica mode skips the foreign-key triggers, so the tables can be emptied and refilled
    # in any order (campaigns and rule-set versions point at each other).
    wipe = ["SET LOCAL session_replication_role = replica"]
    wipe += [f"DELETE FROM {t.name}" for t in reversed(Base.metadata.sorted_tables)]
    fill = [f"INSERT INTO {name} SELECT * FROM {template}.{name}" for name in filled]
    reset = [f"SELECT setval('{seq}', COALESCE((SELECT max({col}) FROM {table}), 0) + 1, false)"
             for seq, table, col in sequences]
    counter = ["INSERT INTO data_version (id, n) VALUES (1, 0)"]  # as migration 0008 leaves it
    yield PgWorld(user_ids, ";\n".join(wipe + counter + reset),
                  ";\n".join(wipe + fill + reset))
    _drop_schema(template)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database for this test alone: empty, or holding the demo world when the test
    (or a fixture it uses) asks for `world`."""
    wants_world = "world" in request.fixturenames
    if backend == "sqlite":
        if wants_world:
            template = request.getfixturevalue("sqlite_world")[0]
        else:
            template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tdkt.sqlite"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_schema")
    reset: PgWorld = request.getfixturevalue("pg_world")
    database = Database(url)
    with database.engine.begin() as conn:
        conn.exec_driver_sql(reset.world_script if wants_world else reset.empty_script)
    database.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def seed_world(database: Database) -> dict[str, int]:
    with database.unit_of_work() as session:
        units = seed_units(session)
        users = seed_users(session, units, password_hash=FAST_HASH)
        for path in [*shipped_ruleset_files(), TEST_CAMPAIGN]:
            load_ruleset_file(session, path)
        return {name: u.id for name, u in users.items()}


@dataclass
class World:
    """The demo units, users and the five campaigns, in a fresh database."""

    db: Database
    storage: Path
    user_ids: dict[str, int]

    def user(self, session: Any, name: str) -> User:
        user = session.get(User, self.user_ids[name])
        assert user is not None
        return user

    def proposal(self, session: Any, proposal_id: int) -> Proposal:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None
        return proposal


@pytest.fixture
def world(db: Database, backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> World:
    """The seeded demo world: `db_url` already copied it in from the run's template."""
    template = "sqlite_world" if backend == "sqlite" else "pg_world"
    seeded = request.getfixturevalue(template)
    user_ids = seeded[1] if backend == "sqlite" else seeded.user_ids
    return World(db, tmp_path / "documents", dict(user_ids))


TEST_CAMPAIGN = Path(__file__).parent / "data" / "test-open.yaml"
COMPLETE = {
    "nominees": [{"kind": "individual", "full_name": "Nguyễn Văn A", "award_form": "BK_CT_UBND",
                  "years_in_service": 5}],
    "documents": ["to_trinh"],
}


@pytest.fixture
def make_proposal(world: World) -> Callable[..., int]:
    """Create a proposal (TEST-OPEN by default) through the service, drive it to `state`."""

    def make(state: str = "draft", clerk: str = "unit1", campaign: str = "TEST-OPEN",
             nominees: list[dict[str, Any]] | None = None,
             documents: list[str] | None = None, now: datetime = CDS_NOW) -> int:
        nominees = COMPLETE["nominees"] if nominees is None else nominees
        documents = COMPLETE["documents"] if documents is None else documents
        with world.db.unit_of_work() as session:
            users = {n: world.user(session, n) for n in world.user_ids}
            proposal = create_proposal(session, users[clerk], campaign, "Hồ sơ thử", now=now)
            for data in nominees:
                add_nominee(session, proposal.id, users[clerk], data, now=now)
            for doc in documents:
                add_document(session, proposal.id, users[clerk], doc, f"{doc}.pdf",
                             f"%PDF {doc}".encode(), world.storage, now=now)
            walk_to(session, proposal, users, clerk, state, now)
            return proposal.id

    return make


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback for this test (tests/support/smtp.py)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
