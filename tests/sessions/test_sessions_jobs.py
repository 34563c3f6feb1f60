"""Unattended runs after a sign-in: the example notebook under papermill and ``python job.py``,
each a separate process with only the environment a scheduled job would have. After a sign-out
both fail at once with the message (what happened, how to sign in again); nothing waits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import CredentialStore
from tests.sessions.conftest import subprocess_env

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "scheduled-job.ipynb"
JOB = REPO / "examples" / "job.py"
PAPERMILL = Path(sys.executable).parent / "papermill"
# A hang would otherwise last until pytest's timeout; a job that waits is a failure either way.
GUARD_SECONDS = 240


def run_papermill(
    demo: DemoPortal, store_dir: Path, out: Path, params: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    options = [arg for name, value in (params or {}).items() for arg in ("-p", name, value)]
    return subprocess.run(
        [
            str(PAPERMILL),
            str(NOTEBOOK),
            str(out),
            "-k",
            "python3",
            "--cwd",
            str(out.parent),
            *options,
        ],
        env=subprocess_env(demo, store_dir),
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
    )


def outputs(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    texts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append(output.get("evalue", ""))
            texts.extend(output.get("traceback", []))
    return "\n".join(texts)


def no_secret_in(text: str, demo: DemoPortal) -> None:
    issued = demo.stats()["issued"]
    for kind in ("codes", "access_tokens", "refresh_tokens"):
        for secret in issued[kind]:
            assert secret not in text


def test_papermill_run_after_sign_in_and_after_sign_out(
    demo: DemoPortal, store: CredentialStore, signed_in: str, store_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run.ipynb"
    done = run_papermill(demo, store_dir, out, {"query": "Field", "max_items": "5"})
    assert done.returncode == 0, done.stderr[-3000:]
    text = outputs(out)
    assert "Connected to Demo Field Office as alice" in text
    assert "Field Office Overview" in text
    no_secret_in(out.read_text() + done.stderr, demo)

    store.delete(signed_in)  # signed out (widget, magic or CLI)
    failed_out = tmp_path / "failed.ipynb"
    failed = run_papermill(demo, store_dir, failed_out)
    assert failed.returncode != 0
    text = outputs(failed_out)
    assert "NotSignedIn" in text
    assert "signed out of" in text and "agol_jupyter.login()" in text
    assert "agol-jupyter login" in text
    assert "Traceback" not in text  # the error's own words, not a stack


def test_python_script_after_sign_in_and_after_sign_out(
    demo: DemoPortal, store: CredentialStore, signed_in: str, store_dir: Path
) -> None:
    env = subprocess_env(demo, store_dir)
    done = subprocess.run(
        [sys.executable, str(JOB), "Field"],
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    assert "Connected as alice" in done.stdout and "Field Office Overview" in done.stdout

    store.delete(signed_in)
    failed = subprocess.run(
        [sys.executable, str(JOB)], env=env, capture_output=True, text=True, timeout=GUARD_SECONDS
    )
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert "job.py: alice signed out of" in failed.stderr
    assert "agol-jupyter login" in failed.stderr
    assert "Traceback" not in failed.stderr
    no_secret_in(done.stdout + done.stderr + failed.stderr, demo)
