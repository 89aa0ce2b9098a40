"""The blueprint every page of the signed-in user's own account is registered on."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")
