"""Links between the pages of a long list, keeping the list's filters."""

from __future__ import annotations

from flask import request, url_for


def page_url(number: int) -> str:
    """This list's address at page `number`, with the same filters."""
    args = request.args.to_dict()
    args["page"] = str(number)
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)
