"""From the OAuth callback arriving to ``login()`` returning, split into portal time and ours.

Run: .venv/bin/python benchmarks/signin_latency.py [--rounds N]

A real Jupyter server with the extension, the demo portal, and this process in the kernel's
role. Each round signs in the way a browser would (``tests/support/signin_walk.py``), then:
  callback  - the server handles ``agol/callback`` (code exchange, community/self,
              portals/self, store write, flow result), measured from this side;
  notice    - the kernel's poll sees the flow result (the poll interval dominates);
  build GIS - the kernel builds the signed-in ``arcgis`` GIS from the store.
Portal time is what the demo portal itself spent answering the requests of each phase (its
journal); "ours" is the rest: Jupyter, our code, arcgis, HTTP and TLS on loopback.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agol_jupyter.demo import DemoPortal  # noqa: E402
from agol_jupyter.kernel.gis import build_gis  # noqa: E402
from agol_jupyter.kernel.login import POLL_SECONDS, _wait_for_result  # noqa: E402
from agol_jupyter.oauth import OAuthClient  # noqa: E402
from agol_jupyter.portal import normalize_portal_url  # noqa: E402
from agol_jupyter.refresh import StoredTokenSource  # noqa: E402
from agol_jupyter.store import CredentialStore, FlowResults  # noqa: E402
from tests.support.signin_walk import walk_signin  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path, demo: DemoPortal) -> tuple[subprocess.Popen[bytes], str, str]:
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ}
    for name in ("config", "data", "runtime"):
        (tmp / name).mkdir()
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp / name)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={tmp}",
            f"--AgolJupyter.portal_url={demo.root_url}",
            f"--AgolJupyter.client_id={demo.client_id}",
            f"--AgolJupyter.ca_bundle={demo.ca_path}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            if requests.get(f"{url}api/status", params={"token": token}, timeout=2).ok:
                return process, url, token
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("jupyter server did not start")


def portal_seconds(demo: DemoPortal, since: float, until: float) -> float:
    return sum(s.seconds for s in demo.served(since) if s.at <= until)


def one_round(
    session: requests.Session, url: str, demo: DemoPortal, store_dir: Path
) -> dict[str, float]:
    request_id = secrets.token_urlsafe(24)
    xsrf = {"X-XSRFToken": session.cookies["_xsrf"]}
    flow = session.post(
        f"{url}agol/api/flows", json={"request_id": request_id}, headers=xsrf, timeout=30
    )
    flow.raise_for_status()
    start = session.get(
        urlsplit(url)._replace(path=flow.json()["start_url"]).geturl(),
        allow_redirects=False,
        timeout=30,
    )
    callback = walk_signin(
        start.headers["Location"],
        username=demo.username,
        password=demo.password,
        ca_path=str(demo.ca_path),
    )

    t0 = time.time()
    answer = session.get(callback, allow_redirects=False, timeout=60)
    t1 = time.time()
    assert answer.status_code == 200, answer.status_code
    result = _wait_for_result(FlowResults(store_dir), request_id, timeout=30)
    t2 = time.time()
    portal = normalize_portal_url(demo.root_url)
    client = OAuthClient(portal, demo.client_id, ca_bundle=str(demo.ca_path))
    tokens = StoredTokenSource(CredentialStore(store_dir), result["key"], client)
    gis = build_gis(tokens, ca_bundle=str(demo.ca_path), expected_username=result["username"])
    t3 = time.time()
    assert gis.users.me.username == demo.username
    return {
        "callback": t1 - t0,
        "callback_portal": portal_seconds(demo, t0, t1),
        "notice": t2 - t1,
        "build": t3 - t2,
        "build_portal": portal_seconds(demo, t2, t3),
        "total": t3 - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        DemoPortal(state_dir=Path(tmp_name) / "demo") as demo,
    ):
        tmp = Path(tmp_name)
        process, url, token = start_server(tmp, demo)
        try:
            session = requests.Session()
            session.get(f"{url}login", timeout=10)
            session.get(f"{url}agol/api/status", params={"token": token}, timeout=10)
            store_dir = tmp / "data" / "agol_jupyter"
            one_round(session, url, demo, store_dir)  # warm-up: imports, TLS, first GIS
            runs = [one_round(session, url, demo, store_dir) for _ in range(rounds)]
        finally:
            process.terminate()
            process.wait(30)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs) * 1000

    def split(label: str, key: str) -> str:
        total, portal = med(key), med(f"{key}_portal")
        return f"  {label:<25}: {total:7.1f} ms   portal {portal:6.1f} ms, ours {total - portal:6.1f} ms"

    portal_total = med("callback_portal") + med("build_portal")
    print(f"callback -> login() returns, median of {rounds} rounds after one warm-up")
    print(f"  {'total':<25}: {med('total'):7.1f} ms")
    print(split("callback (server)", "callback"))
    print(
        f"  {'kernel sees the result':<25}: {med('notice'):7.1f} ms   (polls every {POLL_SECONDS * 1000:.0f} ms)"
    )
    print(split("build GIS (arcgis)", "build"))
    print(
        f"  {'portal, all phases':<25}: {portal_total:7.1f} ms; ours {med('total') - portal_total:7.1f} ms"
    )
    print(
        "  (portal = the demo portal's own time answering; TLS and HTTP on loopback count as ours)"
    )


if __name__ == "__main__":
    main()
