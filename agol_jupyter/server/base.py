"""What the extension's handlers share: the server context, error names and statuses, and
the two bases (HTML pages with a strict CSP, JSON APIs with one error shape).

Nothing is logged with its query string: the callback's URL carries the authorization code,
and tornado's own log of an uncaught error prints the whole request, cookies included.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from http.client import responses
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .. import errors, oauth
from ..portal import PortalURL
from ..store import CredentialStore, FlowResults, valid_request_id
from . import pages
from .config import AgolJupyter, PortalNotAllowed, resolve_target
from .flows import FlowRegistry, PendingFlow

CONTEXT_KEY = "agol_jupyter"
MAX_ARG = 2048


class InvalidRequest(errors.AgolJupyterError):
    """A request to the extension that is missing a value or has a malformed one."""

    kind = "bad_request"


class InvalidRequestId(InvalidRequest):
    kind = "invalid_request_id"


@dataclass
class ServerContext:
    """What the handlers share, kept in the tornado settings under ``agol_jupyter``."""

    settings: AgolJupyter
    flows: FlowRegistry
    store_dir: Path

    @property
    def store(self) -> CredentialStore:
        return CredentialStore(self.store_dir)

    @property
    def results(self) -> FlowResults:
        return FlowResults(self.store_dir)

    def client(
        self, portal: str, client_id: str, ca_bundle: str | None = None
    ) -> oauth.OAuthClient:
        return oauth.OAuthClient(
            PortalURL(portal),
            client_id,
            ca_bundle=ca_bundle or self.settings.ca_bundle or None,
            timeout=self.settings.portal_timeout,
        )


def status_for(exc: BaseException) -> int:
    """The HTTP status for an error: 403 not allowed, 424 the portal failed, else 400."""
    if isinstance(exc, PortalNotAllowed):
        return 403
    if isinstance(exc, errors.InvalidGrant | errors.InvalidClientId | errors.InvalidRedirectUri):
        return 400
    if isinstance(exc, errors.PortalUnreachable | errors.PortalResponseError):
        return 424
    return 400


def error_text(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, errors.AgolJupyterError):
        return exc.message, exc.remedy
    return "Something unexpected went wrong.", "Check the Jupyter server log, then try again."


def _refusal(handler: JupyterHandler, status: int) -> tuple[str, str]:
    # Not `current_user`: before authentication ran, reading it raises.
    if status == 403 and not getattr(handler, "_jupyter_current_user", None):
        return (
            "You are not signed in to Jupyter in this browser.",
            "Open the notebook in this browser (sign in to Jupyter if asked), then click the "
            "sign-in button again.",
        )
    if status == 403:
        return (
            "Jupyter refused this request (its cross-site request check failed).",
            "Reload the notebook page, then try again.",
        )
    if status == 404:
        return "There is nothing here.", "Start the sign-in from the notebook."
    return f"Jupyter could not handle this request ({responses.get(status, 'error')}).", ""


class AgolHandler(JupyterHandler):
    """What every agol handler shares.

    Requests are logged by path only: query strings can hold codes, and tornado's own log of an
    uncaught error prints the whole request, cookies included.
    """

    def _request_summary(self) -> str:
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, web.HTTPError):
            # A log_message with arguments can quote request values; a fixed one cannot.
            detail = f": {value.log_message}" if value.log_message and not value.args else ""
            self.log.warning(
                "agol-jupyter: %s %s%s", value.status_code, self._request_summary(), detail
            )
        else:
            self.log.error(
                "agol-jupyter: unexpected error in %s",
                self._request_summary(),
                exc_info=(typ, value, tb),  # type: ignore[arg-type]
            )

    @property
    def agol(self) -> ServerContext:
        context: ServerContext = self.settings[CONTEXT_KEY]
        return context

    @property
    def username(self) -> str:
        user = self.current_user
        return str(getattr(user, "username", user) or "")

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")
        # Our pages sit at URLs that carried a code; never hand them to another site.
        self.set_header("Referrer-Policy", "same-origin")

    def redirect_uri(self) -> str:
        return self.agol.settings.redirect_uri_for(
            self.request.protocol, self.request.host, self.base_url
        )

    def create_flow(self, values: dict[str, str]) -> PendingFlow:
        """Check what a request asks for and remember a new pending flow for this user."""
        request_id = values.get("request_id", "")
        if not valid_request_id(request_id):
            raise InvalidRequestId(
                "The sign-in request id is missing or malformed.",
                "Start the sign-in from the notebook (agol_jupyter.login() or %agol_login).",
            )
        target = resolve_target(
            self.agol.settings, values.get("portal"), values.get("client_id"), values.get("profile")
        )
        flow = self.agol.flows.create(
            request_id=request_id,
            portal=target.portal.root,
            client_id=target.client_id,
            profile=target.profile,
            redirect_uri=self.redirect_uri(),
            username=self.username,
        )
        self.log.info(
            "agol-jupyter: sign-in to %s started for %s", flow.portal, self.username or "?"
        )
        return flow

    def start_url(self, flow: PendingFlow) -> str:
        return url_path_join(self.base_url, "agol/start") + "?" + urlencode({"flow": flow.flow_id})

    def record(self, request_id: str, result: dict[str, Any], *, only_if_new: bool = False) -> None:
        """Tell the waiting kernel how the sign-in ended (a file beside the store)."""
        if not valid_request_id(request_id):
            return
        try:
            if only_if_new and self.agol.results.read(request_id) is not None:
                return
            self.agol.results.write(request_id, result)
        except OSError as exc:
            self.log.warning("agol-jupyter: could not write the sign-in outcome: %s", exc)


def error_result(exc: BaseException, flow: PendingFlow | None) -> dict[str, Any]:
    message, remedy = error_text(exc)
    result: dict[str, Any] = {
        "status": "error",
        "error": errors.error_kind(exc),
        "message": message,
        "remedy": remedy,
    }
    if flow is not None:
        result.update(portal=flow.portal, client_id=flow.client_id, redirect_uri=flow.redirect_uri)
    return result


class PageHandler(AgolHandler):
    """Base of the HTML pages: strict CSP with a per-request script nonce, our error pages."""

    @property
    def nonce(self) -> str:
        if not hasattr(self, "_nonce"):
            self._nonce = secrets.token_urlsafe(16)
        return self._nonce

    @property
    def content_security_policy(self) -> str:
        return (
            "default-src 'none'; style-src 'unsafe-inline'; "
            f"script-src 'nonce-{self.nonce}'; frame-ancestors 'self'; base-uri 'none'"
        )

    def page(self, status: int, html: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(html)

    def error_page(
        self,
        status: int,
        title: str,
        message: str,
        remedy: str = "",
        *,
        details: list[tuple[str, str]] | None = None,
        request_id: str = "",
        tone: str = "error",
        close: bool = False,
    ) -> None:
        notify = None
        if request_id:
            notify = {
                "request_id": request_id,
                "status": "cancelled" if tone == "cancelled" else "error",
                "message": f"{message} {remedy}".strip(),
            }
        self.page(
            status,
            pages.outcome_page(
                title,
                message,
                remedy,
                tone=tone,
                nonce=self.nonce,
                details=details or [],
                notify=notify,
                close=close,
            ),
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message, remedy = _refusal(self, status_code)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            pages.outcome_page(
                "Sign-in could not go on", message, remedy, tone="error", nonce=self.nonce
            )
        )

    def arg(self, name: str) -> str:
        """A query or form value, cut to a sane length (hostile values only need a 4xx)."""
        return self.get_argument(name, "", strip=True)[:MAX_ARG]


class ApiHandler(AgolHandler, APIHandler):
    """Base of the JSON endpoints: errors are ``{"error", "message", "remedy"}``."""

    def fail(self, status: int, kind: str, message: str, remedy: str = "") -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": kind, "message": message, "remedy": remedy}))

    def fail_with(self, exc: BaseException) -> None:
        message, remedy = error_text(exc)
        self.fail(status_for(exc), errors.error_kind(exc), message, remedy)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message, remedy = _refusal(self, status_code)
        kind = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            status_code, "bad_request" if status_code < 500 else "server_error"
        )
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": kind, "message": message, "remedy": remedy}))

    def json_body(self) -> dict[str, str]:
        """The request's JSON object; only string (or null) values are accepted."""
        raw = self.request.body or b"{}"
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise InvalidRequest(
                "The request body must be a JSON object.", 'Send JSON such as {"request_id": ...}.'
            )
        values: dict[str, str] = {}
        for key, value in body.items():
            if value is None:
                continue
            if not isinstance(value, str) or len(value) > MAX_ARG:
                raise InvalidRequest(
                    f"The value of {str(key)[:40]!r} must be a short string.",
                    "Start the sign-in from the notebook.",
                )
            values[str(key)] = value
        return values
