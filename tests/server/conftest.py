"""Fixtures for the server extension's tests: a real Jupyter server (pytest-jupyter) with the
extension loaded, the demo portal, and a browser-like HTTP client with a cookie jar.

Run with ``.venv/bin/pytest -p pytest_jupyter.jupyter_server tests/server``.

The client signs in to Jupyter once with the server's token and then uses only cookies, as a
browser does. That matters: Jupyter skips its XSRF check for token-authenticated requests
(``jp_fetch`` sends the token on every request), and without a login cookie each request is
a new anonymous user.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so that `tests.support` imports under the pytest script
    sys.path.insert(0, str(ROOT))

from agol_jupyter import locations  # noqa: E402
from agol_jupyter.demo import DemoPortal  # noqa: E402
from agol_jupyter.server.handlers import CONTEXT_KEY, ServerContext  # noqa: E402
from tests.support.demo_fixtures import (  # noqa: E402, F401  (fixtures)
    demo,
    demo_state_dir,
    running_demo,
)
from tests.support.signin_walk import walk_signin  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "agol(**settings): AgolJupyter settings for this test's Jupyter server"
    )


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The credential store of this test's server (set before the server starts)."""
    path = tmp_path / "agol-store"
    monkeypatch.setenv(locations.STORE_DIR_ENV, str(path))
    # The extension writes this for its kernels; undo it after the test.
    monkeypatch.delenv(locations.SERVER_ENV, raising=False)
    for name in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def agol_settings(request: pytest.FixtureRequest, demo: DemoPortal) -> dict[str, Any]:
    """AgolJupyter settings: the demo portal, overridden by ``@pytest.mark.agol(...)``."""
    settings: dict[str, Any] = {
        "portal_url": demo.root_url,
        "client_id": demo.client_id,
        "ca_bundle": str(demo.ca_path),
    }
    for marker in reversed(list(request.node.iter_markers("agol"))):
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def jp_server_config(agol_settings: dict[str, Any], store_dir: Path) -> Config:
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"agol_jupyter": True}},
            "AgolJupyter": agol_settings,
        }
    )


class ServerLog:
    """Every log line of this process at DEBUG, except the test client's own (urllib3 logs
    the URLs the test requests, codes included; a browser would not write to the server log)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    @property
    def lines(self) -> list[str]:
        return [
            f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}"
            for r in self.caplog.records
            if not r.name.startswith("urllib3")
        ]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> ServerLog:
    """Capture every log line, DEBUG included, to scan for secrets."""
    caplog.set_level(logging.DEBUG)
    return ServerLog(caplog)


@pytest.fixture(autouse=True)
def no_secret_logged(request: pytest.FixtureRequest, debug_logs: ServerLog) -> Iterator[None]:
    """After each test that used the demo portal: no code or token it issued is in the log."""
    yield
    if "demo" not in request.fixturenames:
        return
    portal: DemoPortal = request.getfixturevalue("running_demo")
    text = debug_logs.text
    for values in portal.stats()["issued"].values():
        for value in values:
            assert value not in text, "a code or token from the portal is in the server log"


@pytest.fixture
def context(jp_serverapp: Any) -> ServerContext:
    """The extension's shared state inside the running server."""
    ctx: ServerContext = jp_serverapp.web_app.settings[CONTEXT_KEY]
    return ctx


class Browser:
    """A browser stand-in: one cookie jar, no automatic redirects, requests in threads (the
    Jupyter server runs on the test's event loop, so the loop must stay free)."""

    def __init__(self, origin: str, base_url: str, token: str) -> None:
        self.origin = origin
        self.base = origin + base_url
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    async def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 60)
        return await asyncio.to_thread(self.session.request, method, self.url(path), **kwargs)

    async def get(self, path: str, **kwargs: Any) -> requests.Response:
        return await self.request("GET", path, **kwargs)

    async def sign_in_to_jupyter(self) -> None:
        """Visit once with the token (as the URL Jupyter prints): sets the login cookie.

        Jupyter's login page is visited first for its ``_xsrf`` cookie, which a browser gets
        from any Jupyter page.
        """
        login = await self.get("login")
        assert login.status_code == 200 and "_xsrf" in self.session.cookies, login.text
        response = await self.get("agol/api/status", params={"token": self.token})
        assert response.status_code == 200, response.text

    async def xsrf(self) -> str:
        """Jupyter's ``_xsrf`` cookie (the value a page sends back as ``X-XSRFToken``)."""
        return str(self.session.cookies["_xsrf"])

    async def post_json(
        self, path: str, body: Any, *, xsrf: bool = True, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if xsrf:
            headers["X-XSRFToken"] = await self.xsrf()
        return await self.request("POST", path, json=body, headers=headers, **kwargs)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def new_browser(
    jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str
) -> Iterator[Any]:
    """Make browsers signed in to this Jupyter server (each one a different Jupyter user)."""
    made: list[Browser] = []

    async def make(signed_in: bool = True) -> Browser:
        b = Browser(
            f"http://127.0.0.1:{jp_http_port}", jp_base_url, jp_serverapp.identity_provider.token
        )
        made.append(b)
        if signed_in:
            await b.sign_in_to_jupyter()
        return b

    yield make
    for b in made:
        b.close()


@pytest.fixture
def browser(new_browser: Any, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Browser:
    """A browser signed in to Jupyter."""
    b: Browser = jp_asyncio_loop.run_until_complete(new_browser())
    return b


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def walk(demo: DemoPortal, authorize_url: str, cancel_at: str | None = None) -> str:
    """Sign in at the demo portal and IdP; the callback URL the portal redirects to."""
    return await asyncio.to_thread(
        walk_signin,
        authorize_url,
        username=demo.username,
        password=demo.password,
        ca_path=demo.ca_path,
        cancel_at=cancel_at,  # type: ignore[arg-type]
    )
