"""The notebook sign-in widget: one org-branded button that opens the sign-in popup.

The front end (``static/widget.js``) does the clicking and talks to the server extension; this side
only mirrors what the kernel knows. No trait ever holds a token or an authorization code: the
widget state is saved into notebook files and can be read by any code in the page.
"""

from __future__ import annotations

import pathlib

import anywidget
import traitlets

_STATIC = pathlib.Path(__file__).parent / "static"

STATUSES = ("ready", "waiting", "finishing", "signed_in", "error", "cancelled", "signed_out")


class SignInWidget(anywidget.AnyWidget):
    """Sign-in button and status line for one sign-in attempt.

    Traits (all synced to the browser, none secret):

    - ``portal_url`` (str): canonical portal root, e.g. ``"https://gis.example.com/portal"``.
    - ``client_id`` (str): the OAuth app's client id.
    - ``request_id`` (str): random id the kernel made for this attempt; the callback page
      echoes it so the widget knows the "done" message is its own.
    - ``profile`` (str, ``"default"``): credential-store profile name.
    - ``portal_name`` (str, ``"ArcGIS"``): shown on the button ("Sign in to <portal_name>").
    - ``logo_data_url`` (str): ``data:`` URL of the org logo, or ``""``.
    - ``status`` (str, ``"ready"``): one of ``STATUSES``.
    - ``message`` (str): human text for ``error``/``cancelled``, including the remedy.
    - ``username``, ``full_name``, ``org_name`` (str): who is signed in.
    - ``expires_at`` (float, ``0``): epoch seconds when the session ends, 0 when unknown.
    - ``saved_session`` (bool, ``False``): the sign-in came from the saved session, no click;
      the widget then says until when its refresh token is valid.
    - ``link_url`` (str): fallback sign-in link; empty lets the browser build it.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    portal_url = traitlets.Unicode("").tag(sync=True)
    client_id = traitlets.Unicode("").tag(sync=True)
    request_id = traitlets.Unicode("").tag(sync=True)
    profile = traitlets.Unicode("default").tag(sync=True)
    portal_name = traitlets.Unicode("ArcGIS").tag(sync=True)
    logo_data_url = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Enum(STATUSES, default_value="ready").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    username = traitlets.Unicode("").tag(sync=True)
    full_name = traitlets.Unicode("").tag(sync=True)
    org_name = traitlets.Unicode("").tag(sync=True)
    expires_at = traitlets.Float(0.0).tag(sync=True)
    saved_session = traitlets.Bool(False).tag(sync=True)
    link_url = traitlets.Unicode("").tag(sync=True)

    def show_waiting(self) -> None:
        """Show that the popup is open and the kernel is waiting for the sign-in."""
        self._show(message="", status="waiting")

    def show_signed_in(
        self,
        username: str,
        full_name: str,
        org_name: str,
        expires_at: float,
        *,
        saved_session: bool = False,
    ) -> None:
        """Show who is signed in and count down to ``expires_at`` (epoch seconds, 0 = unknown);
        ``saved_session``: say that the saved session was used and until when it lasts."""
        self._show(
            username=username,
            full_name=full_name,
            org_name=org_name,
            expires_at=float(expires_at),
            saved_session=saved_session,
            message="",
            status="signed_in",
        )

    def show_error(self, message: str) -> None:
        """Show a failure; ``message`` should say what to do about it."""
        self._show(message=message, status="error")

    def show_cancelled(self, message: str) -> None:
        """Show that the person closed or cancelled the sign-in."""
        self._show(message=message, status="cancelled")

    def show_signed_out(self) -> None:
        """Show that the session ended; the button signs in again."""
        self._show(
            username="",
            full_name="",
            org_name="",
            expires_at=0.0,
            saved_session=False,
            message="",
            status="signed_out",
        )

    def _show(self, **values: object) -> None:
        with self.hold_sync():
            for name, value in values.items():
                setattr(self, name, value)
        # The browser may be showing a state of its own (waiting, finishing) that it never sends
        # back; pushing every value, changed here or not, makes the kernel's word final.
        self.send_state(list(values))
