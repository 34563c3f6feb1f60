"""HTTP to an ArcGIS portal, and ArcGIS's error envelope turned into exceptions.

ArcGIS usually reports errors with HTTP 200 and a body like
``{"error": {"code": 400, "error": "invalid_client_id", "error_description": ...}}``,
so every answer's body is read, whatever its status. Pure: no Jupyter, no arcgis.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from . import errors

USER_AGENT = "agol-jupyter"


def verify_setting(ca_bundle: str | None) -> str | bool:
    """What to pass as ``verify=`` on every request.

    Passed per request on purpose: a ``REQUESTS_CA_BUNDLE`` in the environment silently
    overrides a session-level ``verify``, so a configured CA bundle would not be the one used.
    """
    return ca_bundle if ca_bundle else True


_local = threading.local()


def _pooled_session() -> requests.Session:
    """One ``requests.Session`` per thread: keep-alive saves a TLS handshake per request."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def request(
    method: str,
    url: str,
    *,
    ca_bundle: str | None = None,
    timeout: float = 15,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request; network failures become :class:`errors.PortalUnreachable`."""
    http = session or _pooled_session()
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    try:
        return http.request(
            method,
            url,
            verify=verify_setting(ca_bundle),
            timeout=timeout,
            headers=headers,
            **kwargs,
        )
    except requests.exceptions.SSLError as exc:
        raise errors.PortalUnreachable(
            f"Could not make a trusted HTTPS connection to {_origin(url)}.",
            "If your portal uses certificates from your organization's own certificate "
            "authority, point agol-jupyter at that CA bundle (the ca_bundle setting or the "
            "AGOL_CA_BUNDLE environment variable).",
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise errors.PortalUnreachable(
            f"The portal at {_origin(url)} did not answer within {timeout:g} seconds.",
            "Check that the portal is up and reachable from this machine (VPN, proxy), "
            "then try again.",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise errors.PortalUnreachable(
            f"Could not reach the portal at {_origin(url)}.",
            "Check the portal URL and this machine's network connection (VPN, proxy), "
            "then try again.",
        ) from exc


def get_json(url: str, *, params: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """GET ``url?f=json`` and return the body, raising on ArcGIS's error envelope."""
    response = request("GET", url, params={**(params or {}), "f": "json"}, **kwargs)
    return parse_json_body(response)


def post_json(url: str, data: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    """POST a form with ``f=json`` and return the body, raising on the error envelope."""
    response = request("POST", url, data={**data, "f": "json"}, **kwargs)
    return parse_json_body(response)


def parse_json_body(response: requests.Response) -> dict[str, Any]:
    """The JSON body of an ArcGIS answer, or the exception its error envelope stands for."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        raise errors.PortalResponseError(
            f"The portal at {_origin(response.url)} answered HTTP {response.status_code} "
            "with something that is not ArcGIS JSON.",
            "Check that the URL is the portal's URL (for ArcGIS Enterprise it usually ends "
            "in /portal), and that no proxy or sign-on page sits in front of it.",
            code=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise errors.PortalResponseError(
            f"The portal at {_origin(response.url)} sent an unexpected answer.",
            "Check the portal URL.",
            code=response.status_code,
        )
    if "error" in body:
        raise error_from_envelope(body["error"])
    return body


def error_from_envelope(error: Any) -> errors.PortalResponseError:
    """Map ArcGIS's ``{"error": {...}}`` to the most specific exception."""
    if not isinstance(error, dict):
        error = {"message": str(error)}
    code = _int_or_none(error.get("code"))
    name = str(error.get("error") or "")
    description = str(error.get("error_description") or error.get("message") or "")
    details = " ".join(str(d) for d in error.get("details") or [])
    text = f"{name} {description} {details}".lower()
    kw: dict[str, Any] = {"code": code, "error": name, "description": description}

    if "client_id" in text:
        return errors.InvalidClientId(
            "The portal does not know this app's client id.",
            "Check the client id: it is on the app item's Settings page (Registered Info) "
            "in your portal.",
            **kw,
        )
    if "redirect_uri" in text:
        return errors.InvalidRedirectUri(
            "The portal refused the redirect URI.",
            "Add the redirect URI to the app item's Settings > Registered Info in your portal.",
            **kw,
        )
    if "refresh_token" in text:
        return errors.RefreshTokenExpired(
            "The saved ArcGIS session has expired or was revoked.",
            "Sign in again (agol_jupyter.login() or %agol_login).",
            **kw,
        )
    if name == "invalid_grant" or "authorization code" in text or "code_verifier" in text:
        return errors.InvalidGrant(
            f"The portal did not accept the sign-in code ({description or name}).",
            "Start the sign-in again; codes can be used once and only for a few minutes.",
            **kw,
        )
    if code in (498, 499):
        return errors.InvalidToken(
            "The portal rejected the access token." if code == 498 else "The portal wants a token.",
            "Sign in again (agol_jupyter.login() or %agol_login).",
            **kw,
        )
    return errors.PortalResponseError(
        f"The portal answered with an error: {description or name or 'unknown error'}"
        + (f" (code {code})." if code else "."),
        "Check the portal URL and client id; if it persists, ask your ArcGIS administrator.",
        **kw,
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url
