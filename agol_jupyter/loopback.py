"""Sign in without a Jupyter server: a loopback redirect listener (RFC 8252 section 7.3).

For the command line (``agol-jupyter login``) and for Python outside Jupyter (VS Code's
notebooks on a local kernel, the IPython terminal, scripts). A one-shot HTTP server on
``127.0.0.1`` receives the portal's redirect at ``http://127.0.0.1:<port>/agol/callback``;
the state and the PKCE verifier never leave this process. The browser that signs in is the
system browser (RFC 8252 section 8.12: no embedded user agent), opened for the person or, with
no browser on the machine, reached through a forwarded port over SSH.

Pure Python: no Jupyter, no arcgis (IPython only when :func:`display_sign_in_link` finds it).
"""

from __future__ import annotations

import errno
import hmac
import os
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import errors, oauth
from .portal import PortalURL
from .signin import complete_sign_in, save_session
from .store import DEFAULT_PROFILE, Credentials, CredentialStore

LOOPBACK_HOST = "127.0.0.1"
PORT_ENV = "AGOL_LOOPBACK_PORT"
CALLBACK_PATH = "/agol/callback"
DEFAULT_TIMEOUT = 300.0
EXAMPLE_PORT = 8765
AGAIN = "Run the sign-in again: agol-jupyter login, or agol_jupyter.login() in Python."
_POLL_SECONDS = 0.2
# A browser may open spare connections that never send a request; they must not hold a thread.
_CONNECTION_SECONDS = 10


def default_port(environ: dict[str, str] | None = None) -> int:
    """``$AGOL_LOOPBACK_PORT`` (for portals that match redirect URIs port and all), else 0:
    a free port picked by the system."""
    text = (os.environ if environ is None else environ).get(PORT_ENV, "").strip()
    if not text:
        return 0
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise errors.LoopbackPortUnavailable(
            f"{PORT_ENV}={text!r} is not a port number.",
            f"Set {PORT_ENV} to the port of the redirect URI registered on the app "
            f"(http://{LOOPBACK_HOST}:PORT{CALLBACK_PATH}), or unset it for a free port.",
        )
    return port


def redirect_uri_for(port: int) -> str:
    """The loopback redirect URI for ``port``: ``http://127.0.0.1:<port>/agol/callback``.

    RFC 8252 section 8.3: the IP literal, not ``localhost`` (which may resolve elsewhere or to
    IPv6 first); the portal sees exactly this string at authorize and at the token endpoint.
    """
    return f"http://{LOOPBACK_HOST}:{port}{CALLBACK_PATH}"


def ssh_hint(port: int) -> str:
    """How to finish the sign-in from another computer when this one has no browser."""
    return (
        f"Signing in over SSH? Forward the port from your own computer with "
        f"`ssh -L {port}:{LOOPBACK_HOST}:{port} <this host>` and open the link there. "
        f"For a port that stays the same, sign in with "
        f"`agol-jupyter login --no-browser --port {port if port else EXAMPLE_PORT}`."
    )


def no_browser_hint(port: int) -> str:
    """The last resort when no browser can be opened on this machine."""
    return (
        "No web browser could be opened on this machine: open the link above in a browser on "
        f"this machine. {ssh_hint(port)}"
    )


def open_system_browser(url: str) -> bool:
    """Open ``url`` in the system browser; False when this machine has none to open.

    On Linux without a graphical session (no ``DISPLAY``/``WAYLAND_DISPLAY``) Python's
    ``webbrowser`` would fall back to a text browser in the terminal, which cannot follow an
    enterprise sign-in and would take over the terminal: that counts as no browser, unless
    ``BROWSER`` names one explicitly.
    """
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not graphical and not os.environ.get("BROWSER"):
        return False
    try:
        return bool(webbrowser.open(url, new=2))
    except webbrowser.Error:
        return False


# ----------------------------------------------------------------------- the pages


_STYLE = (
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f4f5f7;color:#1f2328}main{max-width:34rem;margin:2.5rem auto;background:#fff;"
    "border-radius:10px;padding:1.5rem 2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "h1{font-size:1.25rem;margin:0 0 .75rem}.ok h1{color:#1a7f37}.error h1{color:#b42318}"
    ".cancelled h1{color:#7a5b00}.remedy{font-weight:600}"
)
# No script, no external resource, no framing, no referrer: the URL carries the code.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page(title: str, message: str, remedy: str = "", *, tone: str) -> str:
    """A small HTML page; every value is escaped. ``tone`` is ok, error or cancelled."""
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if remedy:
        body += f'<p class="remedy">{escape(remedy)}</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main class="{escape(tone)}">{body}</main></body></html>'
    )


@dataclass(frozen=True)
class _Answer:
    status: int
    html: str


# ----------------------------------------------------------------------- the listener


class LoopbackSignIn:
    """One sign-in through a loopback redirect: listen, send the person to the portal, wait.

    Binding happens in the constructor, so a port in use fails before anything is shown.
    Requests that do not carry this sign-in's ``state`` get an error page and the listener
    keeps waiting (a stray or forged request must not end, or finish, the real sign-in). The
    first request with the right ``state`` ends it, whatever its outcome: the state is single
    use. Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        portal: PortalURL,
        client_id: str,
        *,
        store: CredentialStore,
        profile: str = DEFAULT_PROFILE,
        ca_bundle: str | None = None,
        port: int | None = None,
        expiration_minutes: int | None = None,
        return_to: str = "where you started the sign-in",
        again: str = AGAIN,
    ) -> None:
        """``port`` None: :func:`default_port`. ``return_to`` ends the success page's "go
        back to ..."; ``again`` is the remedy that starts a new sign-in."""
        if port is None:
            port = default_port()
        self.portal = portal
        self.client_id = client_id
        self.store = store
        self.profile = profile
        self.client = oauth.OAuthClient(portal, client_id, ca_bundle=ca_bundle)
        self.return_to = return_to
        self.again = again
        self._state = oauth.make_state()
        self._verifier = oauth.make_code_verifier()
        self._expiration_minutes = expiration_minutes
        self._lock = threading.Lock()
        self._taken = False  # the right state arrived (or the wait ended): no second use
        self._done = threading.Event()
        self._outcome: Credentials | errors.AgolJupyterError | None = None
        self.stray_requests = 0
        self._requested_port = port
        self._server = _bind(port, self)
        self.port = int(self._server.server_address[1])
        self.redirect_uri = redirect_uri_for(self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"agol-jupyter loopback :{self.port}",
            daemon=True,
        )
        self._thread.start()

    def __enter__(self) -> LoopbackSignIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the state or the verifier
        return f"LoopbackSignIn(portal={self.portal.root!r}, redirect_uri={self.redirect_uri!r})"

    @property
    def authorize_url(self) -> str:
        """Where the browser goes to sign in (carries the state and the PKCE challenge)."""
        return oauth.authorize_url(
            self.portal,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            state=self._state,
            code_challenge=oauth.s256_challenge(self._verifier),
            expiration_minutes=self._expiration_minutes,
        )

    def check_registration(self) -> None:
        """Ask the portal whether it accepts this client id and loopback redirect URI.

        Whether a portal matches a loopback redirect on any port (as RFC 8252 section 7.3
        asks) is up to the portal; when it refuses, the remedy names a fixed port to register.
        """
        try:
            self.client.check_authorize(self.redirect_uri)
        except errors.InvalidRedirectUri as exc:
            port = self.port if self._fixed_port else EXAMPLE_PORT
            fixed = redirect_uri_for(port)
            raise errors.InvalidRedirectUri(
                f"The portal {self.portal.root} does not accept the redirect URI "
                f"{self.redirect_uri}.",
                f"Add {fixed} as a redirect URI on the app item (client id {self.client_id}): "
                "the item's Settings > Registered Info > Redirect URLs. Then sign in with that "
                f"port: agol-jupyter login --port {port}, or {PORT_ENV}={port} in the "
                "environment of Python.",
                redirect_uri=fixed,
                code=exc.code,
            ) from None

    @property
    def _fixed_port(self) -> bool:
        return self._requested_port != 0

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> Credentials:
        """Wait for the portal's redirect; the saved session, or the error it ended with.

        Raises :class:`errors.SignInTimeout` after ``timeout`` seconds,
        :class:`errors.SignInCancelled` when the person cancelled (or :meth:`cancel` was
        called), :class:`errors.SignInInterrupted` on Ctrl+C, and the portal's errors.
        """
        deadline = time.monotonic() + timeout
        try:
            while not self._done.wait(_POLL_SECONDS):
                if time.monotonic() >= deadline:
                    with self._lock:
                        if not self._taken:  # not while a code is being exchanged
                            self._taken = True
                            self._outcome = errors.SignInTimeout(
                                f"Nobody finished signing in within {timeout:g} seconds.",
                                f"{self.again} Finish signing in in the browser within the "
                                "time, or allow more (agol-jupyter login --timeout S; "
                                "timeout= in Python).",
                            )
                            self._done.set()
        except KeyboardInterrupt:
            interrupted = errors.SignInInterrupted(
                "Stopped waiting for the sign-in (interrupted).", self.again
            )
            self._end(interrupted)
            if not self._done.is_set():  # a code was being exchanged: its outcome is lost
                raise interrupted from None
        outcome = self._outcome
        if isinstance(outcome, Credentials):
            return outcome
        assert outcome is not None
        raise outcome

    def cancel(self) -> None:
        """End the wait with :class:`errors.SignInCancelled` (from another thread)."""
        self._end(errors.SignInCancelled("The sign-in was cancelled.", self.again))

    def _end(self, outcome: errors.AgolJupyterError) -> None:
        with self._lock:
            if not self._taken:
                self._taken = True
                self._outcome = outcome
                self._done.set()

    def close(self) -> None:
        """Stop listening (idempotent)."""
        self._end(errors.SignInCancelled("The sign-in listener was closed.", self.again))
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    # -- the redirect (runs in the server's request threads) --------------------------------

    def answer(self, host: str, path: str, query: dict[str, str]) -> _Answer:
        """The page for one request to the listener; finishes the sign-in on the right one."""
        if host != f"{LOOPBACK_HOST}:{self.port}":
            # DNS rebinding: a page on another name reaching this port. Not ours to answer.
            return self._stray(421, "This is not a sign-in answer", "Wrong host name.")
        if path != CALLBACK_PATH:
            return self._stray(404, "Nothing here", "This address only receives sign-in answers.")
        state = query.get("state", "")
        if not state or not hmac.compare_digest(state.encode(), self._state.encode()):
            return self._stray(
                400,
                "This is not the sign-in answer agol-jupyter is waiting for",
                "The answer does not belong to the sign-in in progress (it may be an old link "
                "or come from another page).",
                "Finish the sign-in from the link agol-jupyter showed; it is still waiting.",
            )
        with self._lock:
            if self._taken:
                used = self._outcome is not None and not isinstance(
                    self._outcome, errors.SignInTimeout
                )
                return _Answer(
                    409,
                    page(
                        "This sign-in answer was used already" if used else "Too late",
                        "The sign-in this page belongs to has ended."
                        if used
                        else "The wait for this sign-in ran out before the answer arrived.",
                        self.again,
                        tone="error",
                    ),
                )
            self._taken = True
        try:
            outcome: Credentials | errors.AgolJupyterError = self._finish(query)
        except errors.AgolJupyterError as exc:
            outcome = exc
        except OSError as exc:
            outcome = errors.AgolJupyterError(
                f"Signed in, but the session could not be saved in {self.store.path}: "
                f"{exc.strerror or exc}.",
                f"Check that you can write to {self.store.directory}, then sign in again.",
            )
        except Exception as exc:
            outcome = errors.AgolJupyterError(
                f"Finishing the sign-in failed unexpectedly ({type(exc).__name__}).",
                f"{self.again} If it happens again, report it with what you did.",
            )
        self._outcome = outcome
        return self._page_for(outcome)

    def finished(self) -> None:
        """Called once the answer to the right state was sent to the browser."""
        if self._outcome is not None:
            self._done.set()

    def _stray(self, status: int, title: str, message: str, remedy: str = "") -> _Answer:
        with self._lock:
            self.stray_requests += 1
        return _Answer(status, page(title, message, remedy, tone="error"))

    def _finish(self, query: dict[str, str]) -> Credentials:
        error = query.get("error", "")
        if error == "access_denied":
            raise errors.SignInCancelled(
                f"Sign-in was cancelled at {self.portal.root}.", self.again
            )
        if error:
            said = (query.get("error_description") or error)[:300]
            raise errors.PortalResponseError(
                f"The portal ended the sign-in with an error: {said}",
                f"{self.again} If it happens again, ask your ArcGIS administrator.",
                error=error[:100],
                description=said,
            )
        code = query.get("code", "")
        if not code:
            raise errors.PortalResponseError(
                "The portal's answer has no authorization code.", self.again
            )
        creds = complete_sign_in(
            self.client,
            code=code,
            redirect_uri=self.redirect_uri,
            code_verifier=self._verifier,
            profile=self.profile,
        )
        save_session(self.store, creds, self.client)
        return creds

    def _page_for(self, outcome: Credentials | errors.AgolJupyterError) -> _Answer:
        if isinstance(outcome, Credentials):
            who = outcome.username
            if outcome.full_name and outcome.full_name != outcome.username:
                who = f"{outcome.username} ({outcome.full_name})"
            where = f" to {outcome.org_name}" if outcome.org_name else ""
            return _Answer(
                200,
                page(
                    f"Signed in{where}",
                    f"Signed in as {who}. You can close this tab and go back to {self.return_to}.",
                    tone="ok",
                ),
            )
        if isinstance(outcome, errors.SignInCancelled):
            return _Answer(
                200, page("Sign-in cancelled", outcome.message, outcome.remedy, tone="cancelled")
            )
        return _Answer(
            400, page("Sign-in did not finish", outcome.message, outcome.remedy, tone="error")
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # SO_REUSEADDR on POSIX only lets a new listener past the TIME_WAIT left by the last
    # sign-in on a fixed port; a port another program listens on still fails to bind.
    allow_reuse_address = os.name == "posix"
    sign_in: LoopbackSignIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = _CONNECTION_SECONDS
    server_version = "agol-jupyter"
    sys_version = ""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        raw = parse_qs(parts.query, keep_blank_values=True, max_num_fields=50)
        query = {k: v[0] for k, v in raw.items() if v}
        sign_in = self.server.sign_in
        try:
            answer = sign_in.answer(self.headers.get("Host", ""), parts.path, query)
            self._send(answer)
        finally:
            sign_in.finished()

    def do_POST(self) -> None:
        self._send(
            _Answer(
                405, page("Not allowed", "Only the portal's redirect comes here.", tone="error")
            )
        )

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _send(self, answer: _Answer) -> None:
        body = answer.html.encode("utf-8")
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in PAGE_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the browser went away; the outcome stands

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the authorization code: never log it.
        return


def _bind(port: int, sign_in: LoopbackSignIn) -> _Server:
    if not 0 <= port <= 65535:
        raise errors.LoopbackPortUnavailable(
            f"{port} is not a TCP port.", "Pick a port from 1024 to 65535, or 0 for a free one."
        )
    try:
        server = _Server((LOOPBACK_HOST, port), _Handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise errors.LoopbackPortUnavailable(
                f"Port {port} on {LOOPBACK_HOST} is already in use, so the sign-in cannot "
                "receive the portal's answer there.",
                "Stop the program that uses it, or pick another port (--port N; --port 0 "
                "picks a free one); the app must accept that port's redirect URI, "
                f"http://{LOOPBACK_HOST}:N{CALLBACK_PATH}.",
            ) from None
        if exc.errno == errno.EACCES:
            raise errors.LoopbackPortUnavailable(
                f"Listening on port {port} needs administrator rights.",
                "Pick a port above 1023 (--port N), or 0 for a free one.",
            ) from None
        raise errors.LoopbackPortUnavailable(
            f"Cannot listen on {LOOPBACK_HOST}:{port}: {exc.strerror}.",
            "Pick another port (--port N), or 0 for a free one.",
        ) from None
    server.sign_in = sign_in
    return server


# ----------------------------------------------------------------------- one call


Notify = Callable[[str], None]


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def sign_in_with_loopback(
    portal: PortalURL,
    client_id: str,
    *,
    store: CredentialStore,
    profile: str = DEFAULT_PROFILE,
    ca_bundle: str | None = None,
    port: int | None = None,
    open_browser: bool | Callable[[str], object] = True,
    on_url: Notify | None = None,
    on_message: Notify | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    expiration_minutes: int | None = None,
    return_to: str = "where you started the sign-in",
    again: str = AGAIN,
) -> Credentials:
    """Sign in through the system browser and a loopback redirect; save and return the session.

    Checks the app registration with the portal first, then calls ``on_url`` with the sign-in
    link (default: print it to stderr) and opens it: ``open_browser=True`` uses the system
    browser, a callable is called with the URL instead, False only shows the link. When no
    browser can be opened, ``on_message`` (default: stderr) gets :func:`no_browser_hint`.
    ``port`` None means :func:`default_port` (``$AGOL_LOOPBACK_PORT`` or a free one).

    Raises :class:`errors.LoopbackPortUnavailable`, ``InvalidRedirectUri``/``InvalidClientId``,
    ``PortalUnreachable``, ``SignInCancelled`` (:class:`errors.SignInInterrupted` on Ctrl+C),
    ``SignInTimeout`` and the token endpoint's errors, each with its remedy.
    """
    show_url = on_url or (lambda url: _to_stderr(f"Open this link to sign in:\n  {url}"))
    tell = on_message or _to_stderr
    with LoopbackSignIn(
        portal,
        client_id,
        store=store,
        profile=profile,
        ca_bundle=ca_bundle,
        port=port,
        expiration_minutes=expiration_minutes,
        return_to=return_to,
        again=again,
    ) as sign_in:
        sign_in.check_registration()
        url = sign_in.authorize_url
        show_url(url)
        if callable(open_browser):
            open_browser(url)
        elif open_browser and not open_system_browser(url):
            tell(no_browser_hint(sign_in.port))
        return sign_in.wait(timeout)


# ----------------------------------------------------------------------- in a notebook


class SignInLink:
    """The sign-in link as a notebook output (HTML) or as text in a terminal."""

    def __init__(self, url: str, portal: str = "") -> None:
        self.url = url
        self.portal = portal

    def _repr_html_(self) -> str:
        where = f" to {escape(self.portal)}" if self.portal else ""
        return (
            '<div class="agol-loopback-link" style="font-family:system-ui,sans-serif">'
            f'<a href="{escape(self.url)}" target="_blank" rel="noopener noreferrer" '
            'style="display:inline-block;background:#0969da;color:#fff;padding:.4rem 1rem;'
            f'border-radius:6px;text-decoration:none">Sign in{where}</a> '
            '<span style="color:#57606a">opens your organization\'s sign-in page in the '
            "browser; this cell continues once you have signed in.</span></div>"
        )

    def __repr__(self) -> str:
        where = f" to {self.portal}" if self.portal else ""
        return f"Open this link to sign in{where}:\n  {self.url}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def display_sign_in_link(url: str, portal: str = "") -> None:
    """Show the sign-in link: a button in a notebook (VS Code, ...), text in IPython's
    terminal, a line on stderr in a plain script. For ``sign_in_with_loopback(on_url=...)``."""
    link = SignInLink(url, portal)
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        _to_stderr(repr(link))
        return
    from IPython.display import display

    display(link)
