"""The blueprint of the Council's pages: the list, the sittings and the notices."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("council", __name__)
