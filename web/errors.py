"""Error pages in Vietnamese (JSON under /api): no stack trace ever reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.i18n import error_text, finding_dict
from workflow.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    WorkflowError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[WorkflowError], int] = {
    InvalidInput: 400, PermissionDenied: 403, NotFound: 404, ConflictError: 409,
    InvalidTransition: 409, RuleViolation: 422,
}


def status_of(exc: WorkflowError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, **details: object
                   ) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": {"code": code, "message": message, **details}}), status
    return render_template("error.html", status=status, message=message), status


def refuse_nul_characters() -> tuple[Response | str, int] | None:
    """A NUL character is in no real text, and PostgreSQL cannot store one (it fails the
    whole request with a 500): refuse any form field, query value, file name or JSON text
    that carries one, before a view sees it."""
    texts = [*request.args.values(), *request.form.values(),
             *(f.filename or "" for f in request.files.values())]
    if any("\x00" in t for t in texts) or (
            request.is_json and b"\\u0000" in request.get_data()):
        return error_response(400, "invalid_input", _("Dữ liệu gửi lên chứa ký tự NUL không "
                                                      "hợp lệ."))
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
        return error_response(400, "csrf", _("Phiên làm việc đã hết hạn hoặc biểu mẫu không "
                                              "hợp lệ. Vui lòng tải lại trang và thử lại."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        return error_response(status, _HTTP_CODES.get(status, "http_error"), _message(status))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _message(500))


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 500: "internal_error"}


def _message(status: int) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        401: _("Bạn cần đăng nhập."),
        403: _("Bạn không có quyền thực hiện thao tác này."),
        404: _("Không tìm thấy trang hoặc hồ sơ yêu cầu."),
        405: _("Thao tác không được hỗ trợ."),
        413: _("Tệp tải lên quá lớn."),
        500: _("Đã xảy ra lỗi hệ thống. Thao tác chưa được ghi nhận; vui lòng thử lại sau."),
    }
    return messages.get(status, _("Yêu cầu không thực hiện được."))
