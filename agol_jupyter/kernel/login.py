"""``agol_jupyter.login()``: a signed-in ``GIS`` in one click.

The kernel shows the sign-in widget and then waits by polling the file that the server
extension writes when the sign-in ends (``FlowResults``). Widget messages from the browser are
queued while a cell runs, so waiting on them would hang; a file works on every ipykernel and
under "Run All". Kernel-to-browser widget updates do flow during the wait.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import TYPE_CHECKING, Any

from .. import errors, rest
from ..oauth import OAuthClient
from ..portal import PortalInfo, fetch_portal_info
from ..refresh import StoredTokenSource, sign_in_again_remedy
from ..store import Credentials, CredentialStore, FlowResults, credential_key
from .connect import build
from .settings import SignInTarget, resolve_target

if TYPE_CHECKING:
    from arcgis.gis import GIS

    from ..widget import SignInWidget

POLL_SECONDS = 0.2
LOGO_MAX_BYTES = 256 * 1024


def login(
    portal: str | None = None,
    client_id: str | None = None,
    *,
    timeout: float = 300,
    profile: str | None = None,
    ca_bundle: str | None = None,
    force: bool = False,
) -> GIS:
    """Sign in to an ArcGIS portal with your organization's login and return a ``GIS``.

    With no arguments it uses the portal and client id the Jupyter server is configured with
    (``c.AgolJupyter.portal_url`` / ``client_id``, or ``AGOL_PORTAL_URL`` / ``AGOL_CLIENT_ID``).
    A saved session that is still good is used at once, with no click; otherwise (or with
    ``force=True``) a sign-in button appears, the sign-in happens in a popup, and this call
    returns when it is done. ``profile`` keeps several sessions apart (several orgs or users).

    Raises :class:`~agol_jupyter.errors.SignInCancelled`, ``SignInTimeout`` (after
    ``timeout`` seconds), ``ConfigurationError`` and the portal errors, each with its remedy.
    """
    target = resolve_target(portal, client_id, ca_bundle=ca_bundle, profile=profile)
    store = target.store
    key = credential_key(target.portal.root, target.client_id, target.profile)
    if not force:
        saved = _saved_session(store, key, target)
        if saved is not None:
            return saved
    if not target.in_jupyter_server:
        return _sign_in_without_server(target, store, timeout)
    client = OAuthClient(target.portal, target.client_id, ca_bundle=target.ca_bundle)
    info = fetch_portal_info(target.portal, ca_bundle=target.ca_bundle)
    widget = _make_widget(target, info)
    _display(widget)
    try:
        result = _wait_for_result(FlowResults(target.store_dir), widget.request_id, timeout)
    except errors.AgolJupyterError as exc:
        widget.show_error(str(exc))
        raise
    return _finish(result, store, client, target, widget)


def _saved_session(store: CredentialStore, key: str, target: SignInTarget) -> GIS | None:
    """The GIS of the saved session, or None when a sign-in is needed (none, ran out, revoked).
    Other failures (portal unreachable...) are raised: a new sign-in would not help."""
    creds = store.get(key)
    if creds is None or creds.session_expires_at() <= time.time():
        return None
    target = target.with_saved_ca(creds)
    client = OAuthClient(target.portal, target.client_id, ca_bundle=target.ca_bundle)
    try:
        gis = build(StoredTokenSource(store, key, client), target, creds.username)
    except (errors.SessionExpired, errors.NotSignedIn, errors.InvalidToken):
        return None
    if target.in_jupyter_server:
        widget = _make_widget(target, None, creds=store.get(key) or creds, saved=True)
        _display(widget)
    return gis


def _sign_in_without_server(target: SignInTarget, store: CredentialStore, timeout: float) -> GIS:
    """VS Code's local kernels, the IPython terminal, a script: no server extension to return
    to, so the sign-in goes through a loopback redirect on 127.0.0.1 (RFC 8252)."""
    from ..loopback import display_sign_in_link, sign_in_with_loopback

    creds = sign_in_with_loopback(
        target.portal,
        target.client_id,
        store=store,
        profile=target.profile,
        ca_bundle=target.ca_bundle,
        open_browser=True,
        on_url=lambda url: display_sign_in_link(url, target.portal.root),
        timeout=timeout,
    )
    client = OAuthClient(target.portal, target.client_id, ca_bundle=target.ca_bundle)
    return build(StoredTokenSource(store, creds.key, client), target, creds.username)


def _make_widget(
    target: SignInTarget,
    info: PortalInfo | None,
    creds: Credentials | None = None,
    *,
    saved: bool = False,
) -> SignInWidget:
    from ..widget import SignInWidget

    widget = SignInWidget(
        portal_url=target.portal.root,
        client_id=target.client_id,
        profile=target.profile,
        request_id=secrets.token_urlsafe(24),
        portal_name=info.name if info else (creds.org_name if creds else target.portal.host),
        logo_data_url=_logo_data_url(info, target.ca_bundle) if info else "",
    )
    if creds is not None:
        widget.show_signed_in(
            creds.username,
            creds.full_name,
            creds.org_name,
            creds.session_expires_at(),
            saved_session=saved,
        )
    return widget


def _logo_data_url(info: PortalInfo, ca_bundle: str | None) -> str:
    """The org logo inlined, so the page need not reach (or trust) the portal itself."""
    if not info.thumbnail_url:
        return ""
    try:
        response = rest.request("GET", info.thumbnail_url, ca_bundle=ca_bundle, timeout=5)
    except errors.PortalUnreachable:
        return ""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if response.status_code != 200 or not kind.startswith("image/"):
        return ""
    if len(response.content) > LOGO_MAX_BYTES:
        return ""
    return f"data:{kind};base64,{base64.b64encode(response.content).decode('ascii')}"


def _display(widget: Any) -> None:
    from IPython.display import display

    display(widget)


def _wait_for_result(flows: FlowResults, request_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            result = flows.read(request_id)
            if result is not None:
                flows.discard(request_id)
                return result
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        raise errors.SignInInterrupted(
            "Stopped waiting for the sign-in (the kernel was interrupted).",
            "Run the cell again to sign in.",
        ) from None
    raise errors.SignInTimeout(
        f"Nobody finished signing in within {timeout:g} seconds.",
        "Run the cell again and click the sign-in button; if the popup did not open, use the "
        "link the widget shows. A longer wait: login(timeout=600).",
    )


def _finish(
    result: dict[str, Any],
    store: CredentialStore,
    client: OAuthClient,
    target: SignInTarget,
    widget: SignInWidget,
) -> GIS:
    status = result.get("status")
    message = str(result.get("message") or "")
    remedy = str(result.get("remedy") or "")
    if status == "cancelled":
        widget.show_cancelled(f"{message} {remedy}".strip())
        raise errors.SignInCancelled(message or "Sign-in cancelled.", remedy)
    if status != "ok":
        kind = errors.error_class(str(result.get("error") or ""))
        widget.show_error(f"{message} {remedy}".strip())
        raise kind(message or "The sign-in failed.", remedy)
    key = str(result.get("key") or "")
    creds = store.get(key)
    if creds is None:
        exc = errors.NotSignedIn(
            f"The sign-in finished but its session is not in the credential store ({store.path}).",
            "Check that the Jupyter server and this kernel run as the same user; "
            + sign_in_again_remedy(target.portal.root, target.profile),
        )
        widget.show_error(str(exc))
        raise exc
    try:
        gis = build(StoredTokenSource(store, key, client), target, creds.username)
    except errors.AgolJupyterError as exc:
        widget.show_error(str(exc))
        raise
    widget.show_signed_in(
        creds.username, creds.full_name, creds.org_name, creds.session_expires_at()
    )
    return gis
