"""The extension's HTTP endpoints, under ``{base_url}agol/``.

Thin on purpose: the checks live in :mod:`.config`, the pending flows in :mod:`.flows`, the
HTML in :mod:`.pages`, the OAuth in :mod:`agol_jupyter.oauth`. Every endpoint needs a signed-in
Jupyter user; every POST needs Jupyter's XSRF token, so that another site cannot start a flow.
JSON endpoints are in :mod:`.api`, the popup's pages in :mod:`.popup`.
"""

from __future__ import annotations

from jupyter_server.utils import url_path_join
from tornado import web

from .api import FlowsHandler, LogoutHandler, StatusHandler
from .base import CONTEXT_KEY, ServerContext
from .popup import CallbackHandler, LoginPageHandler, StartHandler

__all__ = ["CONTEXT_KEY", "ServerContext", "handlers"]


def handlers(base_url: str) -> list[tuple[str, type[web.RequestHandler]]]:
    """The URL rules, under ``{base_url}agol/``."""

    def at(path: str) -> str:
        return url_path_join(base_url, "agol", path)

    return [
        (at("api/flows"), FlowsHandler),
        (at("api/status"), StatusHandler),
        (at("api/logout"), LogoutHandler),
        (at("login"), LoginPageHandler),
        (at("start"), StartHandler),
        (at("callback"), CallbackHandler),
    ]
