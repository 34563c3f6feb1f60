"""Refresh requests reaching the portal against the number of processes sharing a session.

Run: .venv/bin/python benchmarks/shared_refresh.py [--kernels 1 10 50]

For each count N: a fresh saved session whose access token is about to expire, and N separate
processes (multiprocessing, spawn: as kernels and scheduled jobs are) that meet at a barrier and
then all ask for a token at once. Each checks its token at the portal (community/self).
Printed per N: refresh requests the demo portal received (single flight: 1 whatever N), how
many processes asked the portal themselves, and the time from the barrier until the last
process had a token.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agol_jupyter.demo import DemoPortal  # noqa: E402
from agol_jupyter.store import CredentialStore  # noqa: E402
from tests.sessions.race_worker import Race, run  # noqa: E402
from tests.sessions.session_helpers import grants, save_session  # noqa: E402


def one_count(demo: DemoPortal, tmp: Path, count: int) -> tuple[int, int, float]:
    store = CredentialStore(tmp / f"store-{count}")
    key = save_session(demo, store).key
    store.update(key, lambda c: c and dataclasses.replace(c, access_expires_at=time.time() + 60))
    spec = Race(
        store_dir=str(store.directory),
        key=key,
        portal=demo.root_url,
        client_id=demo.client_id,
        ca_bundle=str(demo.ca_path),
        mode="expiring",
    )
    ctx = multiprocessing.get_context("spawn")
    # One more party than processes: this one, to start the clock when all are ready.
    barrier, results = ctx.Barrier(count + 1), ctx.Queue()
    procs = [ctx.Process(target=run, args=(spec, barrier, results)) for _ in range(count)]
    for proc in procs:
        proc.start()
    before = grants(demo)["refresh_token"]
    barrier.wait(300)
    started = time.perf_counter()
    reports = [results.get(timeout=300) for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join(60)
    failed = [r for r in reports if r[0] != "ok"]
    if failed:
        raise SystemExit(f"a process failed: {failed[0][2]}: {failed[0][3]}")
    return grants(demo)["refresh_token"] - before, sum(r[4] for r in reports), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, DemoPortal(state_dir=Path(tmp) / "demo") as demo:
        print("processes sharing one saved session, all refreshing it at the same moment")
        print(
            f"{'processes':>9} {'refresh requests':>17} {'asked portal':>13} {'all served ms':>14}"
        )
        for count in args.kernels:
            refreshes, askers, elapsed = one_count(demo, Path(tmp), count)
            print(f"{count:>9} {refreshes:>17} {askers:>13} {elapsed * 1000:>14.0f}")


if __name__ == "__main__":
    main()
