"""The credential store: file rules, damaged files, several processes at once."""

import json
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from agol_jupyter.store import (
    Credentials,
    CredentialStore,
    FlowResults,
    StoreRecoveredWarning,
    credential_key,
)

PORTAL = "https://gis.example.com/portal"


def creds(username: str = "alice", client_id: str = "app", **kw: object) -> Credentials:
    return Credentials(
        portal=PORTAL,
        client_id=client_id,
        username=username,
        access_token=f"AT-{username}-{client_id}",
        access_expires_at=time.time() + 1800,
        refresh_token=f"RT-{username}-{client_id}",
        refresh_expires_at=time.time() + 14 * 86400,
        redirect_uri="http://localhost:8888/agol/callback",
        **kw,  # type: ignore[arg-type]
    )


def test_round_trip_and_keys(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "store")
    assert store.get(credential_key(PORTAL, "app")) is None
    saved = creds(full_name="Alice Analyst")
    store.put(saved)
    got = store.get(credential_key(PORTAL, "app"))
    assert got == saved
    assert got is not None and got.key == "default|https://gis.example.com/portal|app"
    store.put(creds(client_id="other"))
    store.put(creds(profile="field"))
    assert {c.key for c in store.all()} == {
        "default|https://gis.example.com/portal|app",
        "default|https://gis.example.com/portal|other",
        "field|https://gis.example.com/portal|app",
    }
    assert store.delete(saved.key) == saved
    assert store.delete(saved.key) is None
    assert len(store.all()) == 2


def test_file_modes(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "store")
    os.umask(0o022)
    store.put(creds())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    # no temporary files left behind
    assert sorted(p.name for p in store.directory.iterdir()) == [
        "credentials.json",
        "credentials.lock",
    ]


def test_repr_hides_tokens() -> None:
    text = repr(creds())
    assert "AT-" not in text and "RT-" not in text
    summary = json.dumps(creds().public_summary())
    assert "AT-" not in summary and "RT-" not in summary


def test_damaged_file_is_set_aside_not_destroyed(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.put(creds())
    store.path.write_text('{"version": 1, "sessions": {"broken', encoding="utf-8")
    with pytest.warns(StoreRecoveredWarning, match="was damaged") as warned:
        assert store.get(creds().key) is None
    assert "sign in again" in str(warned[0].message)
    kept = list(tmp_path.glob("credentials.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == '{"version": 1, "sessions": {"broken'
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    store.put(creds("bob"))  # the store works again
    assert [c.username for c in store.all()] == ["bob"]


def test_incomplete_entry_is_ignored_and_kept(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.put(creds())
    data = json.loads(store.path.read_text())
    data["sessions"]["default|https://other.example.com/portal|x"] = {"portal": "half"}
    store.path.write_text(json.dumps(data))
    with pytest.warns(StoreRecoveredWarning, match="incomplete"):
        assert [c.username for c in store.all()] == ["alice"]
    store.put(creds("bob", client_id="b"))
    data = json.loads(store.path.read_text())
    assert data["sessions"]["default|https://other.example.com/portal|x"] == {"portal": "half"}


def _writer(directory: str, name: str, count: int) -> None:
    store = CredentialStore(directory)
    for i in range(count):
        store.put(creds(username=f"{name}{i}", client_id=f"{name}{i}"))


def _incrementer(directory: str, count: int) -> None:
    store = CredentialStore(directory)
    for _ in range(count):

        def bump(current: Credentials | None) -> Credentials:
            assert current is not None
            current.refreshed_at = (current.refreshed_at or 0) + 1
            return current

        store.update(creds().key, bump)


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), f"p{n}-", 40)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert len(CredentialStore(tmp_path).all()) == 160


def test_read_modify_write_is_exclusive_across_processes(tmp_path: Path) -> None:
    CredentialStore(tmp_path).put(creds())
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_incrementer, args=(str(tmp_path), 100)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    final = CredentialStore(tmp_path).get(creds().key)
    assert final is not None and final.refreshed_at == 300


def test_lock_is_reentrant_in_one_process(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    with store.locked(), store.locked():
        store.put(creds())
    assert store.get(creds().key) is not None


def test_flow_results(tmp_path: Path) -> None:
    flows = FlowResults(tmp_path)
    rid = "r" * 24
    assert flows.read(rid) is None
    flows.write(rid, {"status": "ok", "username": "alice"})
    got = flows.read(rid)
    assert got is not None and got["status"] == "ok" and got["finished_at"] > 0
    assert stat.S_IMODE((tmp_path / "flows" / f"{rid}.json").stat().st_mode) == 0o600
    flows.discard(rid)
    assert flows.read(rid) is None
    for bad in ["../../etc/passwd", "short", "a/b" * 10, ""]:
        with pytest.raises(ValueError):
            flows.write(bad, {})
