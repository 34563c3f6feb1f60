"""``agol-jupyter`` as a subprocess against the demo portal, the browser walked with
``requests``: exit codes, messages and remedies, the listener's strays, profiles, logout."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import Credentials, CredentialStore
from tests.support.signin_walk import walk_signin

from .conftest import COMMAND, WAIT, Cli, LoginProcess, assert_no_secrets

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture(autouse=True)
def nothing_secret_printed(cli: Cli, demo: DemoPortal) -> Iterator[None]:
    yield
    assert_no_secrets(cli.all_output(), demo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redirect_uri_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def get(url: str) -> requests.Response:
    with requests.Session() as s:
        s.trust_env = False
        return s.get(url, timeout=30, allow_redirects=False)


def complete(login: LoginProcess, demo: DemoPortal, url: str | None = None) -> int:
    """Sign in through the printed link like a browser; the command's exit status."""
    location = walk_signin(
        url or login.url(),
        username=demo.username,
        password=demo.password,
        ca_path=demo.ca_path,
    )
    get(location)
    return login.finish()


def saved(store_dir: Path) -> list[Credentials]:
    return CredentialStore(store_dir).all()


# ----------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        ([], {}, "the following arguments are required: COMMAND"),
        (["login", "--port", "70000"], {}, "70000 is not a port"),
        (["login", "--timeout", "0"], {}, "positive number of seconds"),
        (["login", "ftp://example.com"], {}, "is not a web address"),
        (["login", "https://exa mple.com"], {}, "characters a portal address cannot have"),
        (["login"], {"AGOL_PORTAL_URL": ""}, "No portal was given."),
        (["login"], {"AGOL_CLIENT_ID": ""}, "No client id was given."),
        (["login", "--profile", "a|b"], {}, "The profile name may only contain"),
        (["login"], {"AGOL_CA_BUNDLE": "/nonexistent/ca.pem"}, "does not exist"),
        (["logout", "--profile", "../x"], {}, "The profile name may only contain"),
    ],
)
def test_usage_errors_exit_2_with_the_fix(
    cli: Cli, args: list[str], env: dict[str, str], said: str
) -> None:
    done = cli.run(*args, env=env)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_help_and_version(cli: Cli) -> None:
    done = cli.run("--help")
    assert done.returncode == 0
    for command in ("login", "status", "logout", "demo"):
        assert command in done.stdout
    login_help = cli.run("login", "--help").stdout
    assert "--no-browser" in login_help and "ssh -L 8765:127.0.0.1:8765" in login_help
    assert re.fullmatch(r"agol-jupyter \d+\.\d+\.\d+\n", cli.run("--version").stdout)


# ----------------------------------------------------------------------- login


def test_login_without_a_browser_on_the_machine_explains_the_ssh_route(
    cli: Cli, demo: DemoPortal, store_dir: Path
) -> None:
    login = cli.start_login("--port", str(port := free_port()))  # no DISPLAY, no BROWSER
    url = login.url()
    login.wait_for_line(re.compile("No web browser could be opened on this machine"))
    login.wait_for_line(re.compile(re.escape(f"ssh -L {port}:127.0.0.1:{port} <this host>")))
    assert redirect_uri_of(url) == f"http://127.0.0.1:{port}/agol/callback"
    assert complete(login, demo, url) == 0, login.text()
    assert [c.username for c in saved(store_dir)] == ["alice"]


def test_timeout_exits_1_with_the_remedy(cli: Cli) -> None:
    login = cli.start_login("--no-browser", "--timeout", "1")
    login.url()
    assert login.finish() == 1
    assert "agol-jupyter login: Nobody finished signing in within 1 seconds." in login.stderr
    assert "allow more (agol-jupyter login --timeout S" in login.stderr
    assert "Traceback" not in login.stderr


def test_ctrl_c_exits_130(cli: Cli) -> None:
    login = cli.start_login("--no-browser")
    login.url()
    login.wait_for_line(re.compile("Ctrl\\+C to stop"))
    login.interrupt()
    assert login.finish() == 130
    assert "interrupted" in login.stderr
    assert "Traceback" not in login.stderr


def test_port_in_use(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli.run("login", "--no-browser", "--port", str(port))
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port 0 picks a free one" in done.stderr


def test_unreachable_portal(cli: Cli) -> None:
    done = cli.run("login", f"https://127.0.0.1:{free_port()}/portal", "--no-browser")
    assert done.returncode == 1
    assert "Could not reach the portal at https://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_refused_redirect_uri_names_the_one_to_register(cli: Cli, demo: DemoPortal) -> None:
    demo.config.update({"allow_loopback_redirects": False})
    done = cli.run("login", "--no-browser", "--port", str(port := free_port()))
    assert done.returncode == 1
    assert "does not accept the redirect URI" in done.stderr
    assert f"Add http://127.0.0.1:{port}/agol/callback as a redirect URI" in done.stderr
    assert f"agol-jupyter login --port {port}" in done.stderr
    assert "/oauth2/authorize?" not in done.stdout  # nothing to open: it would fail there


def test_wrong_state_gets_an_error_page_and_the_listener_keeps_waiting(
    cli: Cli, demo: DemoPortal, store_dir: Path
) -> None:
    login = cli.start_login("--no-browser")
    url = login.url()
    redirect_uri = redirect_uri_of(url)
    stray = get(f"{redirect_uri}?{urlencode({'state': 'guess', 'code': 'x'})}")
    assert stray.status_code == 400
    assert "not the sign-in answer agol-jupyter is waiting for" in stray.text
    hostile = get(f"{redirect_uri}?{urlencode({'state': HOSTILE, 'error': HOSTILE})}")
    assert hostile.status_code == 400 and "alert" not in hostile.text
    assert saved(store_dir) == []
    assert login.process.poll() is None  # still waiting for the real answer
    assert complete(login, demo, url) == 0, login.text()
    assert [c.username for c in saved(store_dir)] == ["alice"]


def test_the_port_can_come_from_the_environment(cli: Cli, demo: DemoPortal) -> None:
    port = free_port()
    login = cli.start_login("--no-browser", env={"AGOL_LOOPBACK_PORT": str(port)})
    url = login.url()
    assert redirect_uri_of(url) == f"http://127.0.0.1:{port}/agol/callback"
    assert complete(login, demo, url) == 0, login.text()
    bad = cli.run("login", "--no-browser", env={"AGOL_LOOPBACK_PORT": "eighty"})
    assert bad.returncode == 1
    assert "AGOL_LOOPBACK_PORT='eighty' is not a port number." in bad.stderr


# ----------------------------------------------------------------------- profiles, logout


def test_profiles_sign_in_and_out_separately(cli: Cli, demo: DemoPortal, store_dir: Path) -> None:
    assert complete(cli.start_login("--no-browser"), demo) == 0
    assert complete(cli.start_login("--no-browser", "--profile", "field"), demo) == 0
    status = cli.run("status").stdout
    assert "[default] alice" in status and "[field] alice" in status
    done = cli.run("logout", demo.root_url, "--profile", "field")
    assert done.returncode == 0 and "(profile field)" in done.stdout
    assert [c.profile for c in saved(store_dir)] == ["default"]
    again = cli.run("logout", "--profile", "field")
    assert again.returncode == 1
    assert f"There is no saved session for {demo.root_url} in profile field." in again.stderr
    assert "agol-jupyter status" in again.stderr


def test_logout_all(cli: Cli, demo: DemoPortal, store_dir: Path) -> None:
    assert complete(cli.start_login("--no-browser", "--profile", "one"), demo) == 0
    assert complete(cli.start_login("--no-browser", "--profile", "two"), demo) == 0
    revocations = demo.stats()["revocations"]
    done = cli.run("logout", "--all")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("the portal revoked the session") == 2
    assert demo.stats()["revocations"] == revocations + 2
    assert saved(store_dir) == []
    nothing = cli.run("logout", "--all")
    assert nothing.returncode == 0 and "There are no saved sessions." in nothing.stdout


def fake_session(portal: str, username: str) -> Credentials:
    return Credentials(
        portal=portal,
        client_id="agoljupyterdemo",
        username=username,
        access_token="not-a-real-access-token",
        access_expires_at=time.time() + 1800,
        refresh_token="not-a-real-refresh-token",
        refresh_expires_at=time.time() + 86400,
    )


def test_logout_says_when_the_portal_could_not_be_told(cli: Cli, store_dir: Path) -> None:
    gone = f"https://127.0.0.1:{free_port()}/portal"
    CredentialStore(store_dir).put(fake_session(gone, "bob"))
    done = cli.run("logout", gone)
    assert done.returncode == 1
    assert f"signed out bob of {gone} here (the saved session is deleted)" in done.stderr
    assert "but the portal could not be told: Could not reach the portal" in done.stderr
    assert "keep working until they expire" in done.stderr
    assert saved(store_dir) == []


def test_logout_asks_which_when_several_match(cli: Cli, store_dir: Path) -> None:
    store = CredentialStore(store_dir)
    store.put(fake_session("https://a.example.com", "bob"))
    store.put(fake_session("https://b.example.com", "bob"))
    done = cli.run("logout", env={"AGOL_PORTAL_URL": ""})
    assert done.returncode == 2
    assert "Several saved sessions in profile default" in done.stderr
    assert "Name the portal" in done.stderr
    assert len(saved(store_dir)) == 2


def test_status_marks_sessions_that_ended(cli: Cli, store_dir: Path) -> None:
    old = fake_session("https://a.example.com", "bob")
    old.refresh_expires_at = old.access_expires_at = time.time() - 60
    CredentialStore(store_dir).put(old)
    text = cli.run("status").stdout
    assert "refresh token ended" in text
    assert "sign in again: agol-jupyter login https://a.example.com --profile default" in text
    assert json.loads(cli.run("status", "--json").stdout)["sessions"][0]["expired"] is True
    assert "not-a-real" not in cli.all_output()


# ----------------------------------------------------------------------- demo


def test_demo_passes_its_arguments_through(cli: Cli, tmp_path: Path) -> None:
    helped = cli.run("demo", "--help")
    assert helped.returncode == 0 and "usage: agol-jupyter-demo" in helped.stdout
    info = tmp_path / "demo.json"
    process = subprocess.Popen(
        [str(COMMAND), "demo", "--state-dir", str(tmp_path / "state"), "--info-file", str(info)],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        while not info.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        data = json.loads(info.read_text())
        answer = requests.get(
            f"{data['rest_url']}/portals/self?f=json", verify=data["ca_path"], timeout=30
        )
        assert answer.json()["name"] == "Demo Field Office"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert "agol-jupyter demo portal is running" in out
    assert not info.exists()


def test_a_store_that_cannot_be_written_fails_before_the_sign_in(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = cli.run("login", "--no-browser", env={"AGOL_JUPYTER_STORE_DIR": str(blocker / "s")})
    assert done.returncode == 1
    assert "agol-jupyter login: Not a directory" in done.stderr
    assert "Check that you can write to AGOL_JUPYTER_STORE_DIR" in done.stderr
    assert "/oauth2/authorize" not in done.stdout
