"""Links between the pages of a long list, keeping the list's filters."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for


def page_url(number: int) -> str:
    """This list's address at page `number`, with the same filters. The filters go into the
    query string as they are: never as url_for's own options (`?_external=1`,
    `?_method=PUT`) or as the path's arguments (`?pid=` on a page under /proposals/<pid>)."""
    args = request.args.to_dict()
    args["page"] = str(number)
    path = url_for(request.endpoint or "", **(request.view_args or {}))
    return f"{path}?{urlencode(args, safe=QUERY_SAFE)}"


QUERY_SAFE = "!$'()*,/:;?@"  # left as they are, as url_for leaves them
