"""The API blueprint and what its views share: authentication, the signed-in actor, the JSON
body parsed strictly, the JSON reply, and one unit of work per write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web import db
from web.api import auth
from web.extensions import csrf
from workflow.actors import Actor
from workflow.errors import InvalidInput
from workflow.ids import as_id

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # session writes are checked in auth.guard(); token requests need no CSRF

M = TypeVar("M", bound=BaseModel)


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint == "api.openapi_document":
        return None
    return auth.guard()


# --- helpers ----------------------------------------------------------------------------


def signed_in_actor() -> Actor:
    return current_user.actor


def reply(model: BaseModel, status: int = 200, **headers: str) -> tuple[Response, int]:
    response = jsonify(model.model_dump(mode="json", by_alias=True))
    response.headers.update(headers)
    return response, status


def json_body(model: type[M]) -> M:
    if request.mimetype != "application/json":
        raise InvalidInput(_("Nội dung yêu cầu phải là JSON (Content-Type: application/json)"))
    try:
        return model.model_validate_json(request.get_data(), strict=True)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                    for e in exc.errors()]
        raise InvalidInput(_("Dữ liệu không hợp lệ — ") + "; ".join(problems),
                           errors=problems) from None



def parse_version(raw: str | None) -> int:
    version = as_id(raw)  # a version is, like an id, a positive `integer`
    if version is None:
        raise InvalidInput(_("expected_version: bắt buộc, là số nguyên dương (phiên bản hồ sơ "
                             "lần đọc gần nhất)"), errors=["expected_version: required"])
    return version


@contextmanager
def writing() -> Iterator[Session]:
    """One unit of work; then the read session's transaction ends (`db.unit_of_work`), so
    the reply (read in the same request) sees the write even on SQLite, whose snapshot
    lasts a transaction."""
    with db.unit_of_work() as writer:
        yield writer

def id_for_code(name: str, code: str | None, rows: list[Any]) -> int | None:
    if not code:
        return None
    found = next((row.id for row in rows if row.code == code), None)
    if found is None:
        raise InvalidInput(_("%(name)s: không có mã “%(code)s”", name=name, code=code[:40]),
                           errors=[f"{name}: unknown code"])
    return found
