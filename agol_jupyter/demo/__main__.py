"""``agol-jupyter-demo`` / ``python -m agol_jupyter.demo``: run the demo portal until stopped."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .server import DemoPortal, default_state_dir


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="agol-jupyter-demo",
        description="Run a local stand-in for an ArcGIS Enterprise org and its SAML IdP.",
    )
    p.add_argument("--state-dir", type=Path, default=None, help=f"default: {default_state_dir()}")
    p.add_argument("--portal-port", type=int, default=0, help="default: a free port")
    p.add_argument("--idp-port", type=int, default=0, help="default: a free port")
    p.add_argument("--info-file", type=Path, help="write the URLs, CA path and demo user as JSON")
    p.add_argument(
        "--register-redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="register a redirect URI on the demo app (repeatable)",
    )
    p.add_argument(
        "--no-loopback-redirects",
        action="store_true",
        help="accept only registered redirect URIs (not any loopback .../agol/callback)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log each request's method, path and status (never query strings or bodies)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Start both servers, print a summary, serve until SIGINT/SIGTERM."""
    args = _parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(message)s")
        logging.getLogger("agol_jupyter.demo").setLevel(logging.DEBUG)
    demo = DemoPortal(
        state_dir=args.state_dir, portal_port=args.portal_port, idp_port=args.idp_port
    )
    demo.config.update(
        {
            "redirect_uris": list(args.register_redirect_uri),
            "allow_loopback_redirects": not args.no_loopback_redirects,
        }
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        demo.start()
    except OSError as exc:
        ports = f"{args.portal_port} and {args.idp_port}"
        print(
            f"agol-jupyter-demo: cannot listen on 127.0.0.1 ports {ports}: {exc.strerror}.\n"
            "Another demo portal may still be running: stop it, or pick other ports with "
            "--portal-port and --idp-port (0 picks free ones).",
            file=sys.stderr,
        )
        return 1
    try:
        if args.info_file is not None:
            _write_info(args.info_file, demo)
        print(_summary(demo), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        demo.stop()
        if args.info_file is not None:
            args.info_file.unlink(missing_ok=True)
    print("demo portal stopped", file=sys.stderr, flush=True)
    return 0


def _write_info(path: Path, demo: DemoPortal) -> None:
    # Written atomically: a test polling for the file never reads half of it.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(demo.info(), indent=2) + "\n")
    os.replace(tmp, path)


def _summary(demo: DemoPortal) -> str:
    loopback = "any http://localhost:<port>/.../agol/callback"
    registered = ", ".join(demo.config.redirect_uris)
    redirects = registered or "(none registered)"
    if demo.config.allow_loopback_redirects:
        redirects = f"{redirects}; {loopback}" if registered else loopback
    return "\n".join(
        [
            "agol-jupyter demo portal is running (Ctrl+C to stop)",
            f"  portal:        {demo.root_url}",
            f"  identity prov: {demo.idp_origin}",
            f"  client_id:     {demo.client_id}",
            f"  redirect URIs: {redirects}",
            f"  demo user:     {demo.username} / {demo.password}",
            f"  CA cert:       {demo.ca_path}",
            "",
            "  Trust the CA for Python clients with:",
            f"    export REQUESTS_CA_BUNDLE={demo.ca_path}",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
