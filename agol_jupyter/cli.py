"""``agol-jupyter``: sign in, see and end saved ArcGIS sessions from a shell; run the demo.

``login`` uses a loopback redirect (RFC 8252): it opens the system browser, or with
``--no-browser`` prints the link for a browser elsewhere (over SSH with a forwarded port).
Sessions land in the same credential store the notebooks use. Exit status: 0 done, 1 failed
(a message and its remedy on stderr), 2 wrong usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import errors, locations
from .store import DEFAULT_PROFILE, Credentials, CredentialStore

PROG = "agol-jupyter"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_PROFILE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_AGAIN = f"Run `{PROG} login` again."


class UsageError(errors.AgolJupyterError):
    """A value on the command line (or in the environment) that cannot work."""


# ----------------------------------------------------------------------- arguments


def _parser() -> argparse.ArgumentParser:
    env = (
        f"Defaults come from {locations.PORTAL_ENV}, {locations.CLIENT_ID_ENV} and "
        f"{locations.CA_BUNDLE_ENV}; sessions are saved in {locations.STORE_DIR_ENV} or the "
        "Jupyter data directory, where notebooks find them."
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Sign in to ArcGIS Online or ArcGIS Enterprise with your organization's "
        "login, and manage the saved sessions agol-jupyter's notebooks use.",
        epilog=env,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    login = commands.add_parser(
        "login",
        help="sign in through the browser and save the session",
        description="Sign in through your organization's login page in a browser. The portal "
        "sends the browser back to a listener on this machine "
        "(http://127.0.0.1:PORT/agol/callback), which saves the session.",
        epilog="Over SSH: run `agol-jupyter login --no-browser --port 8765` on the server, "
        "`ssh -L 8765:127.0.0.1:8765 SERVER` from your computer, and open the printed link "
        "there. " + env,
    )
    _target_options(login)
    login.add_argument("--ca-bundle", metavar="FILE", help="PEM file of your organization's CA")
    login.add_argument(
        "--no-browser",
        action="store_true",
        help="print the sign-in link instead of opening a browser (for SSH)",
    )
    login.add_argument(
        "--port",
        type=_port,
        default=None,
        metavar="N",
        help="port of the loopback listener on 127.0.0.1 (default: $AGOL_LOOPBACK_PORT, else a "
        "free one); use the one registered on the app when your portal matches redirect URIs "
        "port and all",
    )
    login.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="S",
        help="seconds to wait for the sign-in (default: 300)",
    )

    status = commands.add_parser(
        "status",
        help="list the saved sessions",
        description="List the saved sessions: who, where, profile, and until when. "
        "Never shows a token.",
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of text")

    logout = commands.add_parser(
        "logout",
        help="revoke a saved session at the portal and forget it",
        description="Revoke the saved session at the portal and delete it here. Without "
        "PORTAL, the only saved session of the profile is meant.",
    )
    _target_options(logout)
    logout.add_argument(
        "--all", action="store_true", help="sign out of every saved session, of every profile"
    )

    commands.add_parser(
        "demo",
        help="run the demo portal (arguments go to agol-jupyter-demo; see demo --help)",
        add_help=False,
    )
    return parser


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "portal",
        nargs="?",
        metavar="PORTAL",
        help=f"portal URL, e.g. https://myorg.maps.arcgis.com (default: ${locations.PORTAL_ENV})",
    )
    parser.add_argument(
        "--client-id",
        metavar="ID",
        help=f"client id of the app registered in the portal (default: ${locations.CLIENT_ID_ENV})",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help=f"name of the saved session, for several orgs or logins (default: {DEFAULT_PROFILE})",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535; 0: a free one)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 1e7:
        raise argparse.ArgumentTypeError("the timeout must be a positive number of seconds")
    return value


def _version() -> str:
    from . import __version__

    return __version__


# ----------------------------------------------------------------------- settings


def _server_settings() -> locations.ServerSettings | None:
    # In a Jupyter terminal the server's settings are inherited (AGOL_JUPYTER_SERVER): the
    # same order as the kernels' (arguments, the server's settings, then the environment), so
    # a session saved here is the one notebooks of that server find.
    return locations.ServerSettings.from_env()


def _setting(value: str | None, server_value: str, env: str) -> str:
    return (value or server_value or os.environ.get(env, "")).strip()


def _store() -> CredentialStore:
    server = _server_settings()
    if server and server.store_dir:
        return CredentialStore(server.store_dir)
    return CredentialStore(locations.store_directory())


def _profile(value: str | None) -> str:
    profile = (value or "").strip() or DEFAULT_PROFILE
    if not _PROFILE.match(profile):
        raise UsageError(
            "The profile name may only contain letters, digits, '.', '_' and '-'.",
            "Use a short name such as 'default' or 'field'.",
        )
    return profile


def _portal_text(value: str | None) -> str:
    server = _server_settings()
    return _setting(value, server.portal_url if server else "", locations.PORTAL_ENV)


def _client_id_text(value: str | None) -> str:
    server = _server_settings()
    return _setting(value, server.client_id if server else "", locations.CLIENT_ID_ENV)


def _ca_bundle(value: str | None) -> str | None:
    server = _server_settings()
    bundle = _setting(value, server.ca_bundle if server else "", locations.CA_BUNDLE_ENV)
    if not bundle:
        return None
    if not Path(bundle).is_file():
        raise UsageError(
            f"The CA bundle {bundle} does not exist.",
            f"Point --ca-bundle (or {locations.CA_BUNDLE_ENV}) at the PEM file of your "
            "organization's certificate authority.",
        )
    return str(Path(bundle).resolve())


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(epoch))


def _who(creds: Credentials) -> str:
    if creds.full_name and creds.full_name != creds.username:
        return f"{creds.username} ({creds.full_name})"
    return creds.username


# ----------------------------------------------------------------------- commands


def _login(args: argparse.Namespace, out: TextIO) -> int:
    from .loopback import LoopbackSignIn, open_system_browser, ssh_hint
    from .portal import normalize_portal_url

    portal_text = _portal_text(args.portal)
    if not portal_text:
        raise UsageError(
            "No portal was given.",
            f"Name it: {PROG} login https://myorg.maps.arcgis.com (or set {locations.PORTAL_ENV}).",
        )
    portal = normalize_portal_url(portal_text)
    client_id = _client_id_text(args.client_id)
    if not client_id:
        raise UsageError(
            "No client id was given.",
            "Register an application item in your portal (Content > New item > Application), "
            f"then pass --client-id ID (or set {locations.CLIENT_ID_ENV}).",
        )
    profile = _profile(args.profile)
    ca_bundle = _ca_bundle(args.ca_bundle)
    store = _store()
    with store.locked():
        pass  # a store that cannot be written fails now, not after the sign-in
    with LoopbackSignIn(
        portal,
        client_id,
        store=store,
        profile=profile,
        ca_bundle=ca_bundle,
        port=args.port,
        return_to="the terminal",
        again=_AGAIN,
    ) as sign_in:
        sign_in.check_registration()
        url = sign_in.authorize_url
        opened = False if args.no_browser else open_system_browser(url)
        if opened:
            _say(out, f"Opened your browser to sign in to {portal.root}. If it did not open, use:")
        else:
            _say(out, f"Open this link in a browser to sign in to {portal.root}:")
        _say(out, f"\n  {url}\n")
        _say(
            out,
            f"Waiting up to {args.timeout:g} seconds for the sign-in on "
            f"{sign_in.redirect_uri} (Ctrl+C to stop).",
        )
        if not opened:
            if not args.no_browser:
                _say(out, "No web browser could be opened on this machine.")
            _say(out, ssh_hint(sign_in.port))
        creds = sign_in.wait(args.timeout)
    where = f"{creds.org_name} ({creds.portal})" if creds.org_name else creds.portal
    _say(
        out,
        f"Signed in to {where} as {_who(creds)}, profile {creds.profile}; the session is "
        f"valid until {_when(creds.session_expires_at())}.",
    )
    return EXIT_OK


def _status(args: argparse.Namespace, out: TextIO) -> int:
    store = _store()
    sessions = sorted(store.all(), key=lambda c: (c.profile, c.portal, c.client_id))
    now = time.time()
    if args.json:
        data: dict[str, Any] = {
            "store": str(store.directory),
            "sessions": [
                {**c.public_summary(), "expired": c.session_expires_at() <= now} for c in sessions
            ],
        }
        out.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    if not sessions:
        _say(out, f"No saved ArcGIS sessions (in {store.directory}).")
        _say(out, f"Sign in with: {PROG} login PORTAL --client-id ID")
        return EXIT_OK
    for c in sessions:
        ended = c.session_expires_at() <= now
        until = ("ended " if ended else "valid until ") + _when(c.session_expires_at())
        kind = "refresh token" if c.refresh_token else "access token (no refresh token)"
        org = f" ({c.org_name})" if c.org_name else ""
        _say(out, f"[{c.profile}] {_who(c)} at {c.portal}{org}")
        _say(out, f"    client id {c.client_id}; signed in {_when(c.signed_in_at)}; {kind} {until}")
        if ended:
            _say(out, f"    sign in again: {PROG} login {c.portal} --profile {c.profile}")
    return EXIT_OK


def _logout(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .oauth import OAuthClient
    from .portal import normalize_portal_url

    store = _store()
    saved = store.all()
    if args.all:
        chosen = saved
        if not chosen:
            _say(out, "There are no saved sessions.")
            return EXIT_OK
    else:
        profile = _profile(args.profile)
        portal_text = _portal_text(args.portal)
        portal = normalize_portal_url(portal_text).root if portal_text else None
        client_id = _client_id_text(args.client_id) or None
        chosen = [
            c
            for c in saved
            if c.profile == profile
            and (portal is None or c.portal == portal)
            and (client_id is None or c.client_id == client_id)
        ]
        where = f" for {portal}" if portal else ""
        if not chosen:
            raise errors.NotSignedIn(
                f"There is no saved session{where} in profile {profile}.",
                f"`{PROG} status` lists the saved sessions.",
            )
        if len(chosen) > 1:
            names = ", ".join(f"{c.portal} ({c.client_id})" for c in chosen)
            raise UsageError(
                f"Several saved sessions{where} in profile {profile}: {names}.",
                "Name the portal (and --client-id) to sign out of one, or use --all.",
            )
    failed = 0
    for creds in chosen:
        if store.delete(creds.key) is None:
            continue  # signed out meanwhile by someone else
        token, hint = (
            (creds.refresh_token, "refresh_token")
            if creds.refresh_token
            else (creds.access_token, "access_token")
        )
        client = OAuthClient(
            normalize_portal_url(creds.portal), creds.client_id, ca_bundle=creds.ca_bundle
        )
        try:
            client.revoke(token, hint)
        except errors.AgolJupyterError as exc:
            failed += 1
            _say(
                err,
                f"{PROG} logout: signed out {creds.username} of {creds.portal} here (the saved "
                f"session is deleted), but the portal could not be told: {exc.message}",
            )
            _say(
                err,
                "Tokens already issued keep working until they expire (at the latest "
                f"{_when(creds.session_expires_at())}). To end them sooner, sign out of all "
                "sessions in the portal's web page (your profile) or ask your administrator.",
            )
            continue
        _say(
            out,
            f"Signed out {creds.username} of {creds.portal} (profile {creds.profile}); the "
            "portal revoked the session.",
        )
    return EXIT_FAILED if failed else EXIT_OK


def _demo(argv: Sequence[str]) -> int:
    try:
        from .demo.__main__ import main as demo_main
    except ImportError as exc:
        raise errors.AgolJupyterError(
            f"The demo portal needs a package that is not installed ({exc.name}).",
            'Install the demo extra: pip install "agol-jupyter[demo]".',
        ) from None
    return demo_main([*argv])


# ----------------------------------------------------------------------- main


def _say(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    _say(file or sys.stderr, f"{PROG}: warning: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``agol-jupyter`` with ``argv`` (default: the process's arguments); the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    out, err = sys.stdout, sys.stderr
    warnings.showwarning = _show_warning
    if args_list[:1] == ["demo"]:
        # Everything after "demo" is the demo's, --help included.
        command = "demo"
    else:
        args = _parser().parse_args(args_list)  # exits with 2 on wrong usage
        command = args.command
    try:
        if command == "demo":
            return _demo(args_list[1:])
        if command == "login":
            return _login(args, out)
        if command == "status":
            return _status(args, out)
        return _logout(args, out, err)
    except (UsageError, errors.PortalURLError, errors.ConfigurationError) as exc:
        _fail(err, command, exc)
        return EXIT_USAGE
    except errors.AgolJupyterError as exc:
        _fail(err, command, exc)
        return EXIT_INTERRUPTED if isinstance(exc, errors.SignInInterrupted) else EXIT_FAILED
    except KeyboardInterrupt:
        _say(err, f"{PROG} {command}: interrupted.")
        return EXIT_INTERRUPTED
    except OSError as exc:
        # The store directory or a file the user named: say which, no traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        _say(err, f"{PROG} {command}: {exc.strerror or exc}{where}.")
        _say(
            err,
            f"Check that you can write to {locations.STORE_DIR_ENV} or the Jupyter data directory.",
        )
        return EXIT_FAILED


def _fail(err: TextIO, command: str, exc: errors.AgolJupyterError) -> None:
    _say(err, f"{PROG} {command}: {exc.message}")
    if exc.remedy:
        _say(err, exc.remedy)


if __name__ == "__main__":
    raise SystemExit(main())
