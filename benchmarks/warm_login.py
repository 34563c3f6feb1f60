"""A warm ``login()`` / ``connect()`` from a saved session next to a plain ``GIS(url, token=...)``.

Run: .venv/bin/python benchmarks/warm_login.py [--rounds N]

The demo portal, a saved session, this process in the role of a kernel or job (no Jupyter
server: ``login()`` takes the saved-session path without a widget). Each round builds a new
signed-in GIS three ways, in turn, after one warm-up round each (arcgis imported, TLS pools
warm):
  plain GIS   - arcgis on its own: GIS(url, token=access_token, ca_bundles=[...]);
  connect()   - agol_jupyter.connect(): reads the store, builds the GIS with our session auth,
                checks who is signed in;
  login()     - agol_jupyter.login() with a saved session (the same, through login's checks).
Printed: median and spread per way, portal requests per GIS (from the demo's journal), and
the ratio of our medians to the plain GIS's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import agol_jupyter  # noqa: E402
from agol_jupyter import locations  # noqa: E402
from agol_jupyter.demo import DemoPortal  # noqa: E402
from agol_jupyter.store import CredentialStore  # noqa: E402
from tests.sessions.session_helpers import save_session  # noqa: E402


def timed(make: Callable[[], Any], demo: DemoPortal) -> tuple[float, int]:
    since = time.time()
    started = time.perf_counter()
    gis = make()
    assert gis.users.me.username == demo.username
    elapsed = time.perf_counter() - started
    return elapsed, len(demo.served(since))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, DemoPortal(state_dir=Path(tmp) / "demo") as demo:
        store = CredentialStore(Path(tmp) / "store")
        creds = save_session(demo, store)
        os.environ.pop(locations.SERVER_ENV, None)
        os.environ.update(
            {
                locations.PORTAL_ENV: demo.root_url,
                locations.CLIENT_ID_ENV: demo.client_id,
                locations.CA_BUNDLE_ENV: str(demo.ca_path),
                locations.STORE_DIR_ENV: str(store.directory),
            }
        )
        from arcgis.gis import GIS

        ways: dict[str, Callable[[], Any]] = {
            "plain GIS": lambda: GIS(
                demo.root_url, token=creds.access_token, ca_bundles=[str(demo.ca_path)]
            ),
            "connect()": agol_jupyter.connect,
            "login()": agol_jupyter.login,
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        requests: dict[str, int] = {}
        for make in ways.values():
            timed(make, demo)  # warm-up
        for _ in range(args.rounds):
            for name, make in ways.items():
                elapsed, served = timed(make, demo)
                times[name].append(elapsed)
                requests[name] = served

    base = statistics.median(times["plain GIS"])
    print(f"warm GIS from a saved session, {args.rounds} rounds (demo portal on loopback)")
    print(f"{'way':<11} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'requests':>9} {'ratio':>6}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<11} {median * 1000:>10.1f} {min(values) * 1000:>8.1f} "
            f"{max(values) * 1000:>8.1f} {requests[name]:>9} {median / base:>6.2f}"
        )


if __name__ == "__main__":
    main()
