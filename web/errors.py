"""Error pages in Vietnamese (JSON under /api): no stack trace ever reaches a user, and no
error reaches the WSGI server's own bare 500.

A failure after a write says what became of it (`web.db.outcome`): nothing was recorded,
it was recorded and only the reply failed, or its COMMIT was cut off and nobody knows — then
an API client learns the truth by sending the same request again with the same
Idempotency-Key (or by reading the proposal, whose version tells). A database that went
away (a dropped connection, a server restarting, a locked or read-only SQLite file) is a
503 `database_unavailable`, worth retrying; anything else unexpected is a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from html import escape
from http import HTTPStatus
from typing import Any

from flask import Flask, g, jsonify, make_response, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web import db
from web.extensions import login_manager
from web.i18n import error_text, finding_dict, text_of
from workflow.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    WorkflowError,
)
from workflow.labels import text

log = logging.getLogger(__name__)

STATUS: dict[type[WorkflowError], int] = {
    InvalidInput: 400, PermissionDenied: 403, NotFound: 404, ConflictError: 409,
    InvalidTransition: 409, RuleViolation: 422,
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER = "5"   # seconds: a restarted server or a released SQLite lock is back by then
# SQLAlchemy's code for "Can't reconnect until invalid transaction is rolled back": a
# session used again after its connection was lost mid-transaction.
LOST_IN_TRANSACTION = "8s2b"


def status_of(exc: WorkflowError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def wants_json(path: str | None = None) -> bool:
    return (request.path if path is None else path).startswith("/api/")


def lost_database(exc: BaseException) -> bool:
    """Whether `exc` says the database is out of reach or refused to work, rather than a
    bug: a connection cut or refused, a server shutting down, a statement cancelled, a
    SQLite file locked or read-only."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    if isinstance(exc, PendingRollbackError):
        return exc.code == LOST_IN_TRANSACTION
    return isinstance(exc, DisconnectionError)


def error_response(status: int, code: str, message: str, **details: object
                   ) -> tuple[Response, int]:
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, **details}}), status
    return make_response(_page(status, message)), status


def _page(status: int, message: str) -> str:
    """The error page; a bare one if even that fails (the page's frame reads the user)."""
    try:
        return render_template("error.html", status=status, message=message)
    except Exception:
        log.exception("the error page could not be rendered; a plain one is sent")
        return PLAIN_PAGE.format(status=status, message=escape(message))


PLAIN_PAGE = ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{status}'
              '</title></head><body><h1>{status}</h1><p>{message}</p><p><a href="/">tdkt</a>'
              '</p></body></html>')


def refuse_nul_characters() -> tuple[Response | str, int] | None:
    """A NUL character is in no real text, and PostgreSQL cannot store one (it fails the
    whole request with a 500): refuse any form field, query value, file name or JSON text
    that carries one, before a view sees it."""
    texts = [*request.args.values(), *request.form.values(),
             *(f.filename or "" for f in request.files.values())]
    if any("\x00" in t for t in texts) or (
            request.is_json and b"\\u0000" in request.get_data()):
        return error_response(400, "invalid_input", refusal("nul"))
    return None


def register(app: Flask) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(exc: WorkflowError) -> tuple[Response | str, int]:
        details = dict(exc.details)
        if isinstance(exc, RuleViolation):
            details["findings"] = [finding_dict(f) for f in exc.findings]
        return error_response(status_of(exc), exc.code, error_text(exc), **details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(400, "csrf", refusal("csrf"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        # Flask's 500 for an exception no handler took (one raised by an after-request
        # hook or by an error handler): said as that exception deserves.
        original = getattr(exc, "original_exception", None)
        if status == 500 and original is not None:
            return failed(original)
        if status == 500:
            return _failure(500, "internal_error")
        return error_response(status, _HTTP_CODES.get(status, "http_error"), _message(status))

    @app.errorhandler(Exception)
    def failed(exc: BaseException) -> tuple[Response | str, int]:
        if lost_database(exc):
            log.error("the database failed on %s %s: %s", request.method, request.path, exc,
                      exc_info=exc)
            _without_database()
            response, status = _failure(503, "database_unavailable")
            response.headers["Retry-After"] = RETRY_AFTER
            return response, status
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return _failure(500, "internal_error")


def _without_database() -> None:
    """Let the error page render with no database: the broken read session is dropped,
    the top bar skips its count (web.inbox.views.unread_badge), and a user not yet loaded
    is taken as anonymous rather than looked up."""
    db.discard_session()
    g.database_unavailable = True
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()


def _failure(status: int, code: str) -> tuple[Response, int]:
    result = db.outcome()
    return error_response(status, code, failure_message(status, result, request.method,
                                                        wants_json()), outcome=result)


def failure_message(status: int, result: db.Outcome, method: str, api: bool) -> str:
    """What a failed request tells its user: what went wrong, what became of the write,
    and how to find out when nobody knows."""
    if status == 500 and result == "not_applied":
        return _message(500)
    first = (_("Mất kết nối tới cơ sở dữ liệu.") if status == 503
             else _("Đã xảy ra lỗi hệ thống."))
    if method in SAFE_METHODS:
        later = _("Vui lòng thử lại sau ít phút.")
        return f"{first} {later}"
    if result == "not_applied":
        later = _("Thao tác chưa được ghi nhận; vui lòng thử lại sau ít phút.")
        return f"{first} {later}"
    said = (_("Thao tác đã được ghi nhận, nhưng kết quả chưa trả về được.")
            if result == "applied" else _("Chưa rõ thao tác đã được ghi nhận hay chưa."))
    how = (_("Gửi lại đúng yêu cầu này với cùng khoá Idempotency-Key để biết kết quả; với "
             "yêu cầu mang expected_version, đọc lại hồ sơ: phiên bản của hồ sơ cho biết thao "
             "tác đã được ghi nhận hay chưa.") if api
           else _("Hãy mở lại trang hồ sơ để kiểm tra trước khi làm lại."))
    return f"{first} {said} {how}"


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 500: "internal_error"}


def _message(status: int) -> str:
    """The refusal of an HTTP status, by the code it is sent with (workflow.labels)."""
    return refusal(_HTTP_CODES.get(status, "http_error"))


def refusal(code: str, /, **params: Any) -> str:
    """A refusal of the label table (kind "refusal") in the reader's language."""
    return str(text_of(text("refusal", code, **params)))


StartResponse = Callable[..., Any]


class LastResort:
    """WSGI middleware around the Flask app: the answer when an exception escapes Flask
    itself — an error handler that failed, a teardown that raised after the response was
    made — which the WSGI server (gunicorn, waitress) would otherwise answer with a bare
    text/html 500 of its own. It sends JSON under /api/ and a plain page elsewhere, saying
    what became of the request's write. The headers the app starts are held until it
    returns, so that they can still be replaced."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 app: Flask) -> None:
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        held: list[tuple[Any, ...]] = []
        writers: list[Callable[[bytes], Any]] = []
        returned = False

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if returned:  # an app that starts its response while it is iterated
                return start_response(status, headers, exc_info)
            held[:] = [(status, headers, exc_info)]
            return write

        def write(data: bytes) -> None:  # WSGI's legacy write(): the headers go first
            if held:
                writers.append(start_response(*held.pop()))
            writers[-1](data)

        try:
            body = self.wsgi_app(environ, hold)
        except Exception as exc:
            log.error("an error escaped the application on %s %s",
                      environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), exc_info=exc)
            if writers:   # a body was written already: too late for another answer
                raise
            return self._answer(environ, start_response, exc)
        returned = True
        if held:
            start_response(*held.pop())
        return body

    def _answer(self, environ: dict[str, Any], start_response: StartResponse,
                exc: Exception) -> list[bytes]:
        status = 503 if lost_database(exc) else 500
        code = "database_unavailable" if status == 503 else "internal_error"
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        result = db.outcome(environ)
        try:   # the request's own context is gone; a fresh one, for the reader's language
            with self.app.request_context(environ), force_locale(_language()):
                message = failure_message(status, result, method, wants_json(path))
        except Exception:
            log.exception("the last-resort message could not be translated")
            message = "Đã xảy ra lỗi hệ thống."
        if wants_json(path):
            body = json.dumps({"error": {"code": code, "message": message,
                                         "outcome": result}}, ensure_ascii=False).encode()
            kind = "application/json"
        else:
            body = PLAIN_PAGE.format(status=status, message=escape(message)).encode()
            kind = "text/html; charset=utf-8"
        headers = [("Content-Type", kind), ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store")]
        if status == 503:
            headers.append(("Retry-After", RETRY_AFTER))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


def _language() -> str:
    """The language of the session cookie (no user lookup: the database may be gone)."""
    chosen = session.get("lang")
    return chosen if chosen in ("vi", "en") else "vi"

