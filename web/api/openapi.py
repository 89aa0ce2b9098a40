"""The OpenAPI 3.1 document, built from the routes themselves.

Each API view is registered with `route(...)`, which adds the Flask URL rule and records
the operation (summary, parameters, body and response models, error statuses) beside it,
so the document cannot drift from the code. Component schemas are generated from the
pydantic models in `web.api.schemas`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from flask import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from web.api import schemas
from workflow import machine
from workflow.ids import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    where: str = "query"
    required: bool = False

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "in": self.where, "required": self.required,
                "description": self.description, "schema": self.schema}


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    body_any_of: dict[str, type[BaseModel]] | None = None
    multipart: dict[str, Any] | None = None
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""


OPERATIONS: list[Operation] = []


def route(bp: Blueprint, rule: str, method: str, *, summary: str, tag: str,
          response: type[BaseModel] | None, **kw: Any) -> Callable[[F], F]:
    """Register `view` for METHOD rule on the blueprint and describe it in the document."""

    def decorate(view: F) -> F:
        OPERATIONS.append(Operation(rule, method, view.__name__, summary, tag, response, **kw))
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return decorate


def openapi_path(rule: str) -> str:
    """`/proposals/<id:pid>` → `/proposals/{pid}`."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


_ERRORS = {400: ("BadRequest", "Bad input (`invalid_input`, `csrf`, …); `errors` lists each "
                 "field"),
           401: ("Unauthorized", "No valid session or token (`unauthorized`, `invalid_token`, "
                 "`token_expired`)"),
           403: ("Forbidden", "Not allowed for your role or unit (`permission_denied`), or a "
                 "write with a read-only token (`insufficient_scope`)"),
           404: ("NotFound", "No such proposal or decision, or not one you may see "
                 "(`not_found`)"),
           409: ("Conflict", "The proposal changed meanwhile (`conflict`: stale "
                 "expected_version) or the action does not apply in its state "
                 "(`invalid_transition`)"),
           413: ("TooLarge", "The upload exceeds the size limit (`too_large`)"),
           422: ("RuleViolation", "The campaign's rules refuse it (`rule_violation`); "
                 "`findings` lists every blocking finding"),
           503: ("ServiceUnavailable", "The database was out of reach "
                 "(`database_unavailable`); `outcome` says what became of a write: "
                 "`not_applied`, `applied` (only the reply failed) or `unknown`. Retry after "
                 "`Retry-After` seconds: a create with the same Idempotency-Key, anything "
                 "else after reading the proposal again")}


@cache
def document(cookie_name: str = "session") -> dict[str, Any]:
    components, names = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, names)
    return {
        "openapi": "3.1.0",
        "info": {"title": "tdkt API", "version": "1.0.0", "description": _DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {name: {"description": text, "content": _json("ErrorOut", names)}
                          for name, text in _ERRORS.values()},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A personal API token (`tdkt_…`) created at "
                                              "/account/tokens: it expires (90 days by "
                                              "default, 365 at most) and either only "
                                              "reads or reads and acts. No CSRF token "
                                              "needed."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": cookie_name,
                               "description": "The web UI's session. Writes must carry the "
                                              "X-CSRFToken header (see GET /me)."},
            },
        },
    }


def _schemas() -> tuple[dict[str, Any], dict[str, str]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for op in OPERATIONS:
        if op.response is not None:
            models.append((op.response, "serialization"))
        models += [(m, "validation") for m in ([op.body] if op.body else [])
                   + list((op.body_any_of or {}).values())]
    models.append((schemas.ErrorOut, "serialization"))
    unique = list(dict.fromkeys(models))
    keys, top = models_json_schema(unique, ref_template=REF)
    names = {model.__name__: value["$ref"].rsplit("/", 1)[1]
             for (model, _mode), value in keys.items()}
    return top.get("$defs", {}), names


def _json(model: str, names: dict[str, str]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=names[model])}}}


def _operation(op: Operation, names: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary,
                            "tags": [op.tag], "parameters": _parameters(op)}
    if op.description:
        spec["description"] = op.description
    if op.public:
        spec["security"] = []
    body = _request_body(op, names)
    if body:
        spec["requestBody"] = body
    ok: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
    if op.response is not None:
        ok["content"] = _json(op.response.__name__, names)
    elif op.public:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    spec["responses"] = {str(op.status): ok}
    statuses = set(op.errors) | (set() if op.public else {401, 503})
    for status in sorted(statuses):
        spec["responses"][str(status)] = {
            "$ref": f"#/components/responses/{_ERRORS[status][0]}"}
    return spec


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = []
    for converter, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", op.rule):
        schema: dict[str, Any] = ({"type": "integer", "minimum": 1, "maximum": MAX_ID}
                                  if converter == "id" else {"type": "string"})
        if name == "trigger":
            schema["enum"] = [t.name for t in machine.TRIGGERS]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    params += [p.spec() for p in op.params]
    if op.method in UNSAFE and not op.public:
        params.append(Param("X-CSRFToken", "Required with cookie (session) auth; not with a "
                            "bearer token", where="header").spec())
    return params


def _request_body(op: Operation, names: dict[str, str]) -> dict[str, Any] | None:
    if op.body is not None:
        return {"required": True, "content": _json(op.body.__name__, names)}
    if op.body_any_of:
        refs = {k: {"$ref": REF.format(model=names[m.__name__])}
                for k, m in op.body_any_of.items()}
        return {"required": True, "description": "The body depends on the trigger: see "
                "`x-trigger-bodies`.", "x-trigger-bodies": refs,
                "content": {"application/json": {"schema": {"anyOf": list(refs.values())}}}}
    if op.multipart:
        return {"required": True, "content": {"multipart/form-data": {"schema": op.multipart}}}
    return None


_DESCRIPTION = """\
The tdkt JSON API: the same actions as the web UI, with the same permissions.

**Auth.** Either `Authorization: Bearer <token>` with a personal token created at
`/account/tokens`, or the web UI's session cookie; with the cookie, every POST, PUT,
PATCH and DELETE must also carry `X-CSRFToken` (GET /me returns it). A token expires
(90 days by default, 1 to 365 as chosen when it is made; then 401 `token_expired`) and
has a scope: a read-only token may only GET (any write is 403 `insufficient_scope`), a
read-and-act token may do everything its owner may.

**Errors** are JSON: `{"error": {"code": "...", "message": "...", ...}}` with a stable
`code`: 400 `invalid_input`/`csrf`/`bad_request`, 401 `unauthorized`/`invalid_token`/
`token_expired`, 403 `permission_denied`/`insufficient_scope`, 404 `not_found`,
409 `conflict`/`invalid_transition`, 413 `too_large`, 422 `rule_violation` (with
`findings`), 500 `internal_error`, 503 `database_unavailable` (with `Retry-After`). A 500
or 503 carries `outcome`:
`not_applied` (nothing was written), `applied` (the write committed; only the reply
failed) or `unknown` (the connection was lost during the commit).

**No answer, or an `unknown` one.** Send the same request again. A create
(POST /proposals) with the same `Idempotency-Key` and body returns the draft the first
request made, with `Idempotent-Replayed: true`, or creates it now if the first did not
commit: either way exactly one draft. Any other write carries `expected_version`: read
the proposal again (GET /proposals/{pid}); if its `version` moved on and its events show
your action, it was applied, and resending it is refused with 409, never applied twice.

**Concurrency.** Every write to an existing proposal requires `expected_version` (the
`version` you last read; for DELETE a query parameter). A stale version is refused with
409 and nothing is written, so a retried request never applies twice. Every write
returns the proposal as it now is, with its new `version`.

Dates are ISO-8601 (`YYYY-MM-DD`); times are ISO-8601 in UTC. Audit events also carry
`occurred_at_local` as dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh.
"""
