"""Fixtures for the command line and the loopback listener: one demo portal per module (its
settings reset after each test), a private credential store per test, the ``agol-jupyter``
command as a subprocess, and headless Chromium."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agol_jupyter.demo import DemoPortal
from tests.support.chromium import browser, context  # noqa: F401  (fixtures)

AUTHORIZE_URL = re.compile(r"https://\S+/oauth2/authorize\?\S+")
# The console script pyproject.toml declares, as installed by scripts/setup.
COMMAND = Path(sys.executable).parent / "agol-jupyter"
WAIT = 60.0


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    with DemoPortal(state_dir=tmp_path_factory.mktemp("demo")) as demo:
        yield demo


@pytest.fixture
def demo(running_demo: DemoPortal) -> Iterator[DemoPortal]:
    saved = running_demo.config.as_dict()
    yield running_demo
    running_demo.config.update(saved)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@dataclass
class Cli:
    """Runs ``agol-jupyter`` against the demo portal with a private store; keeps every byte
    it printed so that tests can check no secret ever appears there."""

    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)
    _started: list[LoginProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert COMMAND.is_file(), f"{COMMAND} is missing: run scripts/setup"

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(COMMAND), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def start_login(self, *args: str, env: dict[str, str] | None = None) -> LoginProcess:
        process = subprocess.Popen(
            [str(COMMAND), "login", *args],
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        login = LoginProcess(process)
        self._started.append(login)
        return login

    def all_output(self) -> str:
        return "\n".join(self.outputs + [o for p in self._started for o in p.outputs()])

    def stop_all(self) -> None:
        for login in self._started:
            if login.process.poll() is None:
                login.process.kill()
                login.process.wait(10)


class LoginProcess:
    """A running ``agol-jupyter login``; its stdout is read line by line as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float = WAIT) -> re.Match[str]:
        """The first stdout line matching ``pattern`` (fails if the process ends first)."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern.pattern!r}") from None
            if line is None:
                self.finish()
                raise AssertionError(
                    f"login ended ({self.process.returncode}) before printing "
                    f"{pattern.pattern!r}:\n{self.text()}"
                )
            found = pattern.search(line)
            if found:
                return found

    def url(self) -> str:
        """The sign-in link the command printed."""
        return self.wait_for_line(AUTHORIZE_URL).group(0)

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def finish(self, timeout: float = WAIT) -> int:
        """Wait for the command to exit; its exit status."""
        assert self.process.stderr is not None
        try:
            self.stderr = self.process.stderr.read()
            code = self.process.wait(timeout)
        finally:
            self._reader.join(timeout)
        return code

    def text(self) -> str:
        return "".join(self.stdout) + self.stderr

    def outputs(self) -> list[str]:
        return ["".join(self.stdout), self.stderr]


@pytest.fixture
def cli(demo: DemoPortal, store_dir: Path) -> Iterator[Cli]:
    env = {
        k: v
        for k, v in os.environ.items()
        # No inherited Jupyter server settings, browser or CA override in the command's way.
        if k not in ("AGOL_JUPYTER_SERVER", "BROWSER", "DISPLAY", "WAYLAND_DISPLAY")
        and not k.startswith(("REQUESTS_", "CURL_CA", "SSL_CERT"))
    }
    env.update(
        AGOL_PORTAL_URL=demo.root_url,
        AGOL_CLIENT_ID=demo.client_id,
        AGOL_CA_BUNDLE=str(demo.ca_path),
        AGOL_JUPYTER_STORE_DIR=str(store_dir),
        PYTHONUNBUFFERED="1",
    )
    runner = Cli(env)
    try:
        yield runner
    finally:
        runner.stop_all()


def issued_secrets(demo: DemoPortal) -> list[str]:
    """Every code, access token and refresh token the demo portal ever issued."""
    issued = demo.stats()["issued"]
    return [s for kind in ("codes", "access_tokens", "refresh_tokens") for s in issued[kind]]


def assert_no_secrets(text: str, demo: DemoPortal) -> None:
    secrets = issued_secrets(demo)
    for secret in secrets:
        assert secret not in text
