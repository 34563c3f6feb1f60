"""The ``%agol_login``, ``%agol_logout`` and ``%agol_sessions`` line magics
(``%load_ext agol_jupyter`` registers them)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..errors import ConfigurationError

USAGE = (
    "%agol_login [PORTAL] [--client-id ID] [--profile NAME] [--name VAR] [--timeout S] [--force]"
)
LOGOUT_USAGE = "%agol_logout [PORTAL] [--client-id ID] [--profile NAME]"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%agol_login", add_help=False, exit_on_error=False)
    parser.add_argument("portal", nargs="?", default=None)
    parser.add_argument("--client-id", dest="client_id", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--name", default="gis")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--force", action="store_true")
    return parser


def parse_line(line: str) -> argparse.Namespace:
    """The magic's options, or a :class:`ConfigurationError` that shows the usage."""
    try:
        args, extra = _parser().parse_known_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"%agol_login: {exc}.", f"Usage: {USAGE}") from None
    if extra:
        raise ConfigurationError(
            f"%agol_login does not know {' '.join(extra)!r}.", f"Usage: {USAGE}"
        )
    if not args.name.isidentifier():
        raise ConfigurationError(
            f"--name {args.name!r} is not a Python variable name.", f"Usage: {USAGE}"
        )
    return args


def parse_logout_line(line: str) -> argparse.Namespace:
    """``%agol_logout``'s options, or a :class:`ConfigurationError` that shows the usage."""
    parser = argparse.ArgumentParser(prog="%agol_logout", add_help=False, exit_on_error=False)
    parser.add_argument("portal", nargs="?", default=None)
    parser.add_argument("--client-id", dest="client_id", default=None)
    parser.add_argument("--profile", default=None)
    try:
        args, extra = parser.parse_known_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError) as exc:
        raise ConfigurationError(f"%agol_logout: {exc}.", f"Usage: {LOGOUT_USAGE}") from None
    if extra:
        raise ConfigurationError(
            f"%agol_logout does not know {' '.join(extra)!r}.", f"Usage: {LOGOUT_USAGE}"
        )
    return args


def register(ipython: Any) -> None:
    """Register ``%agol_login``, ``%agol_logout`` and ``%agol_sessions`` on an IPython shell."""

    def agol_login(line: str) -> None:
        """Sign in to ArcGIS and bind the signed-in GIS (to ``gis`` unless --name says).

        Usage: %agol_login [PORTAL] [--client-id ID] [--profile NAME] [--name VAR]
        [--timeout S] [--force]
        """
        from .login import login

        args = parse_line(line)
        gis = login(
            args.portal,
            args.client_id,
            timeout=args.timeout,
            profile=args.profile,
            force=args.force,
        )
        ipython.user_ns[args.name] = gis

    def agol_logout(line: str) -> None:
        """Sign out: the portal revokes the saved session and this machine forgets it.

        Usage: %agol_logout [PORTAL] [--client-id ID] [--profile NAME]
        """
        from .connect import logout

        args = parse_logout_line(line)
        print(logout(args.portal, args.client_id, profile=args.profile))

    def agol_sessions(line: str) -> None:
        """List the saved sessions (profile, user, portal, until when). Usage: %agol_sessions"""
        from .connect import sessions

        if line.strip():
            raise ConfigurationError("%agol_sessions takes no options.", "Usage: %agol_sessions")
        found = sessions()
        print("\n".join(str(s) for s in found) if found else "No saved ArcGIS sessions.")

    ipython.register_magic_function(agol_login, "line", "agol_login")
    ipython.register_magic_function(agol_logout, "line", "agol_logout")
    ipython.register_magic_function(agol_sessions, "line", "agol_sessions")
