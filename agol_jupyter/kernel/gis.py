"""The GIS factory: the one place in agol-jupyter that imports ``arcgis``.

:func:`build_gis` returns an ``arcgis.gis.GIS`` whose requests carry the access token of a saved
session, fresh from :class:`~agol_jupyter.refresh.StoredTokenSource`: refreshed ahead of expiry
through the credential store, and refreshed once more (then the request sent again) when the
portal or a federated server answers 498 (invalid token) or 499 (token required) all the same.
It never hands back a GIS that quietly fell back to anonymous access, and errors that mean "sign
in again" or "the portal is unreachable" come out as this package's exceptions, with the next
step in words.

What it relies on in ``arcgis`` (2.4.4, checked by ``tests/gis``):

- ``GIS(url, session=EsriSession(...))`` uses that session as it is: no auth probe, auth "CUSTOM".
- ``Connection.token`` and ``Connection._create_token`` (which gives federated servers their
  token) return ``session.auth.token`` when the auth is an ``EsriOAuth2Auth``.
- ``EsriOAuth2Auth.__call__`` puts the token in ``X-Esri-Authorization`` of every request, to
  any host; its response hook ``handle_40x`` answers any HTTP 4xx or "invalid token" by
  re-sending *without* the token and never sending one to that server again, the portal
  included: the silent fall-back to anonymous this module replaces.
- ``EsriSession`` drops per-request ``verify=`` and trusts the system store, certifi and its
  ``ca_bundles``; ``Connection.get``/``post``... re-raise every exception as a plain ``Exception``,
  so the GIS's connection is given a subclass that lets this package's exceptions through.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import json
import ssl
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

import requests

from .. import errors
from ..refresh import StoredTokenSource, sign_in_again_remedy

if TYPE_CHECKING:
    from arcgis.gis import GIS

INSTALL_REMEDY = (
    'Install it with  pip install "agol-jupyter[arcgis]"  (or  pip install arcgis)  in the '
    "environment this kernel runs in, then restart the kernel."
)
TOKEN_HEADER = "X-Esri-Authorization"  # noqa: S105 (a header name)
# ArcGIS's codes for a rejected token and a missing one; usually sent with HTTP 200.
REJECTION_CODES = (498, 499)
# Error answers are small; a larger body is data, not worth reading twice to look for one.
_MAX_INSPECTED_BYTES = 1 << 20
_INSPECTED_TYPES = ("json", "text", "javascript")
# Connection methods that wrap every exception in a plain Exception.
_CONNECTION_METHODS = (
    "get",
    "post",
    "post_multipart",
    "put",
    "put_raw",
    "delete",
    "streaming_method",
)


def build_gis(
    tokens: StoredTokenSource,
    *,
    ca_bundle: str | None = None,
    expected_username: str | None = None,
) -> GIS:
    """A signed-in ``arcgis.gis.GIS`` for the saved session behind ``tokens``.

    ``ca_bundle`` is a PEM file of extra certificate authorities to trust (an Enterprise portal
    with internal PKI); the system's trust store is always used. ``expected_username``, when
    given, must be the user the portal says is signed in.

    Raises :class:`errors.ArcGISNotInstalled`, :class:`errors.NotSignedIn` (no saved session,
    or signed in as someone else), :class:`errors.SessionExpired` (the session cannot be
    renewed, or the portal does not accept it), :class:`errors.PortalUnreachable`, or
    :class:`errors.PortalResponseError` for any other failure of the portal.
    """
    gis_module, auth_module = _import_arcgis()
    # Fail here, with our own words, before arcgis gets a chance to swallow the error.
    tokens.token()

    session = auth_module.EsriSession(ca_bundles=[ca_bundle] if ca_bundle else None)
    auth = _token_auth_class()(tokens, session)
    session.auth = auth
    portal = tokens.client.portal.root
    try:
        gis = gis_module.GIS(portal, session=session)
    except Exception as exc:
        ours = _ours(exc) or auth.last_error
        if ours is not None:
            raise ours from None  # arcgis's wrapping of it says nothing more
        raise _construction_error(exc, auth, portal, ca_bundle) from exc
    try:
        _use_typed_errors(gis._con)
        me = gis.users.me
        if me is None:
            raise _anonymous_error(auth, tokens)
        if expected_username and me.username.casefold() != expected_username.casefold():
            raise errors.NotSignedIn(
                f"The saved session for {portal} belongs to {me.username}, "
                f"not {expected_username}.",
                f"Sign in as {expected_username}: {sign_in_again_remedy(portal)}",
            )
    finally:
        # The recorded error's traceback holds frames; do not keep it alive with the GIS.
        auth.last_error = None
    return gis


def _import_arcgis() -> tuple[Any, Any]:
    try:
        import arcgis.auth as auth_module
        import arcgis.gis as gis_module
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0] == "arcgis"
        if missing:
            raise errors.ArcGISNotInstalled(
                "The arcgis package (ArcGIS API for Python) is not installed.", INSTALL_REMEDY
            ) from exc
        raise errors.ArcGISNotInstalled(
            f"The arcgis package is installed but cannot be imported ({exc}).",
            'Reinstall it with  pip install --force-reinstall "agol-jupyter[arcgis]"  in the '
            "environment this kernel runs in, then restart the kernel.",
        ) from exc
    return gis_module, auth_module


@functools.cache
def _token_auth_class() -> type:
    """``StoredTokenAuth``, built on first use because its base class lives in ``arcgis``."""
    from arcgis.auth import EsriOAuth2Auth

    class StoredTokenAuth(EsriOAuth2Auth):
        """An ``EsriOAuth2Auth`` whose token comes from the credential store.

        It holds no token itself: every request asks the token source, which refreshes ahead
        of expiry. A request whose token is rejected (ArcGIS code 498/499) is sent once more
        with a token refreshed after the rejection. Requests to the portal are never re-sent
        without a token; another server that still rejects a fresh token (one that is not
        federated with the portal) is, as arcgis does, asked without one from then on.
        """

        def __init__(self, tokens: StoredTokenSource, session: Any) -> None:
            client = tokens.client
            super().__init__(
                base_url=client.portal.rest, client_id=client.client_id, session=session
            )
            self.tokens = tokens
            portal = urlsplit(client.portal.root)
            self._portal_origin = (portal.scheme, portal.netloc.lower())
            self._portal_path = portal.path.rstrip("/")
            # The last of our errors raised inside arcgis, which may swallow it.
            self.last_error: errors.AgolJupyterError | None = None
            # Set when the portal rejected a token even after a refresh (for build_gis).
            self.rejected_after_refresh = False
            # Digests of fresh tokens a server rejected anyway: no refresh for those again,
            # so a server that never takes our token does not cost a refresh per request.
            self._hopeless: set[str] = set()
            # Roots (scheme://host/first-segment) of other servers that refuse our tokens.
            self._tokenless_roots: set[str] = set()

        def __repr__(self) -> str:
            return f"<StoredTokenAuth {self.tokens.client.portal.root}>"

        __str__ = __repr__

        @property
        def token(self) -> str:
            """The current access token (refreshed first when it is about to expire)."""
            return self._current_token()

        def _oauth_token(self) -> str:
            # The base class's own flows (OOB copy-paste sign-in, prompts) must never run.
            return self._current_token()

        def _current_token(self) -> str:
            try:
                return self.tokens.token()
            except errors.AgolJupyterError as exc:
                self.last_error = exc
                raise

        def is_portal(self, url: str) -> bool:
            """Whether ``url`` is on the portal itself (same origin, under its root)."""
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc.lower()) != self._portal_origin:
                return False
            path = parts.path
            return path == self._portal_path or path.startswith(self._portal_path + "/")

        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            url = request.url or ""
            # Tokens travel over TLS only, and not to servers that refused them.
            if urlsplit(url).scheme != "https" or server_root(url) in self._tokenless_roots:
                request.headers.pop(TOKEN_HEADER, None)
                return request
            token = self._current_token()
            request.headers[TOKEN_HEADER] = f"Bearer {token}"
            hook = functools.partial(
                self._after_response, sent=token, body_position=_body_position(request.body)
            )
            request.register_hook("response", hook)
            return request

        def handle_40x(self, response: requests.Response, **kwargs: Any) -> requests.Response:
            # Never registered by our __call__; kept harmless should arcgis call it.
            return response

        def _after_response(
            self,
            response: requests.Response,
            *,
            sent: str,
            body_position: int | None,
            **send_kwargs: Any,
        ) -> requests.Response:
            request = response.request
            if not is_token_rejection(response) or not _replayable(request, body_position):
                return response
            url = request.url or ""
            if _digest(sent) not in self._hopeless:
                try:
                    fresh = self.tokens.refresh_after_rejection(sent)
                except errors.AgolJupyterError as exc:
                    self.last_error = exc
                    raise
                response = _send_again(response, body_position, send_kwargs, sent, fresh)
                if not is_token_rejection(response):
                    return response
                self._hopeless.add(_digest(fresh))
                sent = fresh
            if self.is_portal(url):
                # Handing arcgis this answer would end in its own "Invalid token" traceback.
                self.rejected_after_refresh = True
                self.last_error = _rejected_error(self.tokens, response)
                raise self.last_error
            self._tokenless_roots.add(server_root(url))
            return _send_again(response, body_position, send_kwargs, sent, None)

    return StoredTokenAuth


def is_token_rejection(response: requests.Response) -> bool:
    """Whether ``response`` is ArcGIS refusing the token (code 498 or 499).

    ArcGIS usually says so with HTTP 200 and ``{"error": {"code": 498, ...}}``, so the body of
    a small JSON or text answer is read (and kept: later reads are served from memory).
    """
    if response.status_code in REJECTION_CODES:
        return True
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type and not any(kind in content_type for kind in _INSPECTED_TYPES):
        return False
    length = response.headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > _MAX_INSPECTED_BYTES):
        return False
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return False
    try:
        return int(error.get("code") or 0) in REJECTION_CODES
    except (TypeError, ValueError):
        return False


def _body_position(body: Any) -> int | None:
    tell = getattr(body, "tell", None)
    if tell is None:
        return None
    try:
        return int(tell())
    except (OSError, ValueError):
        return None


def _replayable(request: requests.PreparedRequest, body_position: int | None) -> bool:
    body = request.body
    # A one-shot stream (a generator) cannot be sent twice.
    return body is None or isinstance(body, (str, bytes)) or body_position is not None


def _send_again(
    response: requests.Response,
    body_position: int | None,
    send_kwargs: dict[str, Any],
    old: str,
    new: str | None,
) -> requests.Response:
    """Send ``response``'s request again with token ``new`` (None: without a token).

    The same request object is sent, so that redirects ``Session.send`` follows from the new
    answer carry the same token.
    """
    request = response.request
    if body_position is not None:
        try:
            request.body.seek(body_position)  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            return response
    if new is None:
        request.headers.pop(TOKEN_HEADER, None)
    else:
        request.headers[TOKEN_HEADER] = f"Bearer {new}"
        _swap_token(request, old, new)
    _ = response.content  # read it all so the connection can go back to the pool
    response.close()
    again: requests.Response = response.connection.send(request, **send_kwargs)
    again.history = [*response.history, response]
    again.request = request
    return again


def server_root(url: str) -> str:
    """``scheme://host[:port]/first-segment``: how arcgis tells servers apart."""
    parts = urlsplit(url)
    first = parts.path.lstrip("/").split("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc.lower()}/{first}"


def _swap_token(request: requests.PreparedRequest, old: str, new: str) -> None:
    """Replace a rejected token that a call site also put in the query or the form."""
    if not old:
        return
    forms = [
        (old, new),
        (quote(old, safe=""), quote(new, safe="")),
        (quote_plus(old), quote_plus(new)),
    ]
    if request.url and any(o in request.url for o, _ in forms):
        for o, n in forms:
            request.url = request.url.replace(o, n)
    body = request.body
    if isinstance(body, str):
        for o, n in forms:
            body = body.replace(o, n)
    elif isinstance(body, bytes):
        for o, n in forms:
            body = body.replace(o.encode(), n.encode())
    else:
        return
    if body != request.body:
        request.body = body
        request.prepare_content_length(body)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _error_chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _ours(exc: BaseException) -> errors.AgolJupyterError | None:
    return next((e for e in _error_chain(exc) if isinstance(e, errors.AgolJupyterError)), None)


def _use_typed_errors(connection: Any) -> None:
    """Let this package's exceptions out of ``connection`` as they are.

    arcgis's ``Connection`` turns every exception raised while sending into a plain
    ``Exception("A general error occurred: ...")``; a caller could then not tell "signed out"
    from any other failure. The connection becomes an instance of a subclass whose request
    methods re-raise the original error when it is one of ours, and change nothing else.
    """
    base = type(connection)
    if base not in _TYPED_ERRORS_CLASSES.values():
        if base not in _TYPED_ERRORS_CLASSES:
            _TYPED_ERRORS_CLASSES[base] = _typed_errors_class(base)
        connection.__class__ = _TYPED_ERRORS_CLASSES[base]


_TYPED_ERRORS_CLASSES: dict[type, type] = {}


def _typed_errors_class(base: type) -> type:
    def unwrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                ours = _ours(exc)
                if ours is None or ours is exc:
                    raise
                raise ours from None

        return call

    methods = {
        name: unwrap(getattr(base, name)) for name in _CONNECTION_METHODS if hasattr(base, name)
    }
    return type(f"AgolJupyter{base.__name__}", (base,), methods)


def _construction_error(
    exc: Exception, auth: Any, portal: str, ca_bundle: str | None
) -> errors.AgolJupyterError:
    """Our exception for a failure of arcgis inside ``GIS(...)``."""
    chain = list(_error_chain(exc))
    if any(_is_tls_failure(e) for e in chain):
        remedy = (
            f"Check that {ca_bundle} holds the certificate authority of the portal's certificate."
            if ca_bundle
            else "If your portal uses certificates from your organization's own certificate "
            "authority, point agol-jupyter at that CA bundle (the ca_bundle setting or the "
            "AGOL_CA_BUNDLE environment variable)."
        )
        return errors.PortalUnreachable(
            f"Could not make a trusted HTTPS connection to {portal}.", remedy
        )
    if any(isinstance(e, (requests.ConnectionError, requests.Timeout)) for e in chain):
        return errors.PortalUnreachable(
            f"Could not reach the portal at {portal}.",
            "Check the portal URL and this machine's network connection (VPN, proxy), "
            "then try again.",
        )
    if auth.rejected_after_refresh:
        return _rejected_error(auth.tokens)
    detail = " ".join(str(exc).split())[:300]
    return errors.PortalResponseError(
        f"arcgis could not open the portal at {portal}: {detail}",
        "Check the portal URL (for ArcGIS Enterprise it usually ends in /portal) and that the "
        "portal is up; if it persists, ask your ArcGIS administrator.",
    )


def _is_tls_failure(exc: BaseException) -> bool:
    if isinstance(exc, (requests.exceptions.SSLError, ssl.SSLError)):
        return True
    # GIS.__init__ turns an ssl.SSLError carried in args into a RuntimeError.
    return isinstance(exc, RuntimeError) and "untrusted SSL error" in str(exc)


def _anonymous_error(auth: Any, tokens: StoredTokenSource) -> errors.AgolJupyterError:
    """Why the portal answered as if nobody were signed in."""
    if auth.last_error is not None:
        error: errors.AgolJupyterError = auth.last_error
        return error
    return _rejected_error(tokens)


def _rejected_error(
    tokens: StoredTokenSource, response: requests.Response | None = None
) -> errors.SessionExpired:
    portal = tokens.client.portal.root
    profile = tokens.key.split("|", 1)[0]
    skew = clock_skew(response, tokens.clock()) if response is not None else None
    if skew is not None and abs(skew) > SKEW_TOLERANCE:
        ahead = "ahead of" if skew > 0 else "behind"
        return errors.SessionExpired(
            f"The portal at {portal} does not accept the saved session, even after renewing it: "
            f"its clock is {_duration(abs(skew))} {ahead} this computer's, so it may take "
            "tokens for expired the moment they are issued.",
            "Set this computer's clock right (turn on automatic time / NTP) or ask the portal's "
            f"administrator to check the portal's; then {sign_in_again_remedy(portal, profile)}",
        )
    return errors.SessionExpired(
        f"The portal at {portal} does not accept the saved session, even after renewing it.",
        sign_in_again_remedy(portal, profile),
    )


# Clocks this far apart are worth telling about (arcgis-rest-js and we renew 5 minutes early).
SKEW_TOLERANCE = 5 * 60


def clock_skew(response: requests.Response, now: float) -> float | None:
    """How far the server's clock (its ``Date`` header) is ahead of ``now``, in seconds."""
    stamp = response.headers.get("Date")
    if not stamp:
        return None
    try:
        when = email.utils.parsedate_to_datetime(stamp)
    except (TypeError, ValueError):
        return None
    # The header has whole seconds and left the server a moment ago.
    return when.timestamp() - now


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    return f"{hours} hours" if hours < 48 else f"{round(seconds / 86400)} days"
