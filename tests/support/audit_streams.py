"""Helpers for tests of the audit streams: the ids of a stream's events by sequence number,
and a `user:` stream made by the admin."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from models import Unit
from models.db import Database
from workflow.accounts import administration
from workflow.actors import Actor


def seq_ids(conn: Connection, stream: str) -> dict[int, int]:
    rows = conn.execute(text("SELECT seq, id FROM audit_events WHERE stream = :s"),
                        {"s": stream})
    return {seq: event_id for seq, event_id in rows}


ADMIN = Actor(None, "Quản trị hệ thống", frozenset({"admin"}))
USER_STREAM = "user:kiemtoan"


def add_user_stream(database: Database) -> None:
    """A user made and edited by the admin: a `user:` stream of two events."""
    with database.unit_of_work() as session:
        unit_id = session.scalar(select(Unit.id).order_by(Unit.id))
        user = administration.create_user(session, ADMIN, username="kiemtoan",
                                 full_name="Cán bộ kiểm toán", email=None, unit_id=unit_id,
                                 roles=["board_reviewer"], password="Mật-khẩu-dài-2026!")
        administration.update_profile(session, ADMIN, user.id, "Cán bộ kiểm toán (đã sửa)", None,
                             unit_id)
