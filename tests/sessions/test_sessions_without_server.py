"""``login()`` in Python without a Jupyter server (a script, the IPython terminal): it notices
there is no server extension and signs in through the loopback listener, showing the link;
the sign-in is walked here the way a browser would, and the script gets its GIS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from agol_jupyter.demo import DemoPortal
from agol_jupyter.store import CredentialStore
from tests.sessions.conftest import subprocess_env
from tests.support.signin_walk import walk_signin

SCRIPT = """
import agol_jupyter
gis = agol_jupyter.login(force=True, timeout=120)
print("signed in:", gis.users.me.username)
"""
AUTHORIZE = re.compile(r"https://\S+/oauth2/authorize\?\S+")


def test_login_without_a_server_uses_the_loopback_sign_in(
    demo: DemoPortal, store: CredentialStore, signed_in: str, store_dir: Path
) -> None:
    env = subprocess_env(demo, store_dir)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):  # no browser on this machine
        env.pop(name, None)
    old = store.get(signed_in)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert proc.stderr is not None
        shown: list[str] = []
        url = None
        for line in proc.stderr:
            shown.append(line)
            found = AUTHORIZE.search(line)
            if found:
                url = found.group(0)
                break
        assert url, "".join(shown)
        location = walk_signin(
            url, username=demo.username, password=demo.password, ca_path=demo.ca_path
        )
        assert location.startswith("http://127.0.0.1:")
        requests.get(location, timeout=60)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == 0, err
    assert out.strip() == f"signed in: {demo.username}"
    new = store.get(signed_in)
    assert old and new and new.access_token != old.access_token  # force=True: a new session
