"""One-click sign-in, end to end: real JupyterLab, real Chromium, real arcgis, the demo portal.

The popup goes through the demo portal's sign-in page and the identity provider on another
origin (which sends Cross-Origin-Opener-Policy, cutting window.opener, like real IdPs).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    LabServer,
    cell_output,
    cell_output_text,
    notebook_panel,
    open_new_notebook,
    run_cell,
    save_notebook,
    screenshot,
    start_lab,
    wait_kernel_idle,
)
from playwright.sync_api import BrowserContext, Page, expect

from agol_jupyter.demo import DemoPortal

SIGNED_IN = re.compile(r"Signed in as alice \(.+\)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPortal]:
    with DemoPortal(state_dir=tmp_path_factory.mktemp("demo"), portal_port=0, idp_port=0) as portal:
        yield portal


@pytest.fixture(scope="module")
def agol_lab(tmp_path_factory: pytest.TempPathFactory, demo: DemoPortal) -> Iterator[LabServer]:
    """JupyterLab configured for the demo portal, saving widget state into notebooks."""
    root = tmp_path_factory.mktemp("agol-lab")
    manager = root / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True)
    (manager / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    add_ipykernel6_kernelspec(root / "data")
    server = start_lab(
        root,
        args=[
            f"--AgolJupyter.portal_url={demo.root_url}",
            f"--AgolJupyter.client_id={demo.client_id}",
            f"--AgolJupyter.ca_bundle={demo.ca_path}",
            "--ServerApp.log_level=DEBUG",
        ],
    )
    try:
        yield server
    finally:
        server.stop()


IPYKERNEL6 = Path(sys.prefix) / "ipykernel6"


def add_ipykernel6_kernelspec(data_dir: Path) -> None:
    """A kernel running ipykernel 6 (installed beside the venv's 7 by scripts/setup)."""
    assert (IPYKERNEL6 / "ipykernel").is_dir(), f"{IPYKERNEL6} is missing: run scripts/setup"
    spec = data_dir / "kernels" / "python3-ipykernel6"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel 6)",
                "language": "python",
                "env": {"PYTHONPATH": str(IPYKERNEL6)},
            }
        )
    )


@pytest.fixture
def fresh(agol_lab: LabServer, demo: DemoPortal) -> Iterator[None]:
    """Each test starts signed out, with the demo portal's default settings."""
    store = agol_lab.data_dir / "agol_jupyter" / "credentials.json"
    store.unlink(missing_ok=True)
    saved = demo.config.as_dict()
    yield
    demo.config.update(saved)


def sign_in_in_popup(notebook: Page, demo: DemoPortal, *, cancel: bool = False) -> Page:
    """Click the widget's button and go through the portal and IdP pages in the popup."""
    button = notebook_panel(notebook).get_by_role("button", name=re.compile("Sign in"))
    expect(button).to_be_visible()
    with notebook.context.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    popup.locator("#enterprise-login").click()
    popup.wait_for_url(f"{demo.idp_origin}/**")
    if cancel:
        popup.get_by_role("button", name="Cancel").click()
    else:
        popup.get_by_label("Username").fill(demo.username)
        popup.get_by_label("Password").fill(demo.password)
        popup.get_by_role("button", name="Sign in").click()
    return popup


def test_login_one_click(agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None) -> None:
    name = "signin"
    notebook = open_new_notebook(page, agol_lab, name)
    index = run_cell(notebook, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    widget = cell_output(notebook, index)
    expect(widget.get_by_role("button", name="Sign in to Demo Field Office")).to_be_visible()
    expect(widget.get_by_role("img", name=re.compile("logo"))).to_be_visible()
    popup = sign_in_in_popup(notebook, demo)
    popup.wait_for_event("close", timeout=60_000)
    expect(widget).to_contain_text(SIGNED_IN, timeout=60_000)
    expect(widget).to_contain_text("Demo Field Office")
    expect(widget).to_contain_text("expires in")
    wait_kernel_idle(notebook)
    # docs/signed-in-widget.png (the README's picture) is a copy of this one.
    screenshot(widget.locator(".agol-signin").first, "signed-in-widget.png")

    me = run_cell(notebook, "print(gis.users.me.username, type(gis).__module__)")
    assert cell_output_text(notebook, me).split() == [demo.username, "arcgis.gis"]

    # Nothing secret anywhere a person or another program can see.
    state = run_cell(
        notebook,
        "import json\nfrom ipywidgets.widgets.widget import _instances\n"
        "print(json.dumps([w.get_state() for w in _instances.values()], default=str))",
    )
    widget_state = cell_output_text(notebook, state)
    save_notebook(notebook)
    notebook_file = (agol_lab.root_dir / f"{name}.ipynb").read_text()
    assert "application/vnd.jupyter.widget-state+json" in notebook_file
    issued = demo.stats()["issued"]
    secrets = [s for kind in ("codes", "access_tokens", "refresh_tokens") for s in issued[kind]]
    assert secrets, "the demo portal issued nothing?"
    log = agol_lab.log_text()
    for secret in secrets:
        assert secret not in notebook_file
        assert secret not in log
        assert secret not in widget_state
    assert "agol/callback" in log  # the callback was logged, without its query


def test_magic(agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None) -> None:
    notebook = open_new_notebook(page, agol_lab)
    run_cell(notebook, "%load_ext agol_jupyter")
    index = run_cell(notebook, "%agol_login --name field", wait_idle=False)
    sign_in_in_popup(notebook, demo)
    expect(cell_output(notebook, index)).to_contain_text(SIGNED_IN, timeout=60_000)
    wait_kernel_idle(notebook)
    me = run_cell(notebook, "print(field.users.me.username)")
    assert cell_output_text(notebook, me).strip() == demo.username


def test_cancel_at_the_identity_provider(
    agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None
) -> None:
    notebook = open_new_notebook(page, agol_lab)
    index = run_cell(notebook, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    popup = sign_in_in_popup(notebook, demo, cancel=True)
    expect(popup.locator("body")).to_contain_text(re.compile("cancelled", re.I))
    output = cell_output(notebook, index)
    expect(output.get_by_role("alert")).to_contain_text(
        re.compile("Sign-in (was )?cancelled", re.I)
    )
    wait_kernel_idle(notebook)
    text = cell_output_text(notebook, index)
    assert "SignInCancelled" in text
    assert "Traceback" not in text  # a person's choice, not a crash


def test_unregistered_redirect_uri(
    agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None
) -> None:
    demo.config.update({"allow_loopback_redirects": False, "redirect_uris": []})
    expected_uri = f"{agol_lab.url}agol/callback"
    notebook = open_new_notebook(page, agol_lab)
    index = run_cell(notebook, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    button = notebook_panel(notebook).get_by_role("button", name=re.compile("Sign in"))
    with notebook.context.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    # Our own page, on the Jupyter origin, naming the exact URI and where to add it.
    expect(popup.locator("body")).to_contain_text(expected_uri)
    expect(popup.locator("body")).to_contain_text("Registered Info")
    assert popup.url.startswith(agol_lab.url)
    wait_kernel_idle(notebook)
    text = cell_output_text(notebook, index)
    assert "InvalidRedirectUri" in text and expected_uri in text
    popup.close()


def test_popup_blocked_shows_a_link(
    agol_lab: LabServer, demo: DemoPortal, browser_context: BrowserContext, fresh: None
) -> None:
    tab = browser_context.new_page()
    try:
        notebook = open_new_notebook(tab, agol_lab)
        # A blocked popup: window.open answers null, as popup blockers make it.
        tab.evaluate("window.open = () => null")
        index = run_cell(
            notebook, "import agol_jupyter\ngis = agol_jupyter.login(timeout=120)", wait_idle=False
        )
        output = cell_output(notebook, index)
        output.get_by_role("button", name=re.compile("Sign in")).click()
        link = output.get_by_role("link", name=re.compile("Open the sign-in page"))
        expect(link).to_be_visible()
        with tab.context.expect_page() as page_info:
            link.click()
        signin = page_info.value
        # The link's page asks before it starts anything (no login CSRF through a link).
        signin.get_by_role("button", name=re.compile("Continue|Sign in")).click()
        signin.locator("#enterprise-login").click()
        signin.get_by_label("Username").fill(demo.username)
        signin.get_by_label("Password").fill(demo.password)
        signin.get_by_role("button", name="Sign in").click()
        expect(output).to_contain_text(SIGNED_IN, timeout=60_000)
    finally:
        tab.close()


def test_interrupting_the_wait(agol_lab: LabServer, page: Page, fresh: None) -> None:
    notebook = open_new_notebook(page, agol_lab)
    index = run_cell(notebook, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    output = cell_output(notebook, index)
    expect(output.get_by_role("button", name=re.compile("Sign in"))).to_be_visible()
    # Kernel > Interrupt, as a person would (command mode, I I).
    notebook_panel(notebook).locator(".jp-Notebook").click(position={"x": 5, "y": 5})
    notebook.keyboard.press("Escape")
    notebook.keyboard.press("i")
    notebook.keyboard.press("i")
    wait_kernel_idle(notebook)
    expect(output).to_contain_text("Stopped waiting for the sign-in")
    text = cell_output_text(notebook, index)
    assert "SignInInterrupted" in text and "Traceback" not in text


def test_run_all(agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None) -> None:
    """Under Run All the later cells wait for the sign-in, then use the GIS."""
    notebook = open_new_notebook(
        page,
        agol_lab,
        cells=[
            "import agol_jupyter\ngis = agol_jupyter.login()",
            "print('user:', gis.users.me.username)",
        ],
    )
    notebook.get_by_role("menuitem", name="Run", exact=True).click()
    notebook.get_by_role("menuitem", name=re.compile("^Run All Cells")).click()
    sign_in_in_popup(notebook, demo)
    expect(cell_output(notebook, 1)).to_contain_text(f"user: {demo.username}", timeout=60_000)


def test_login_on_ipykernel_6(
    agol_lab: LabServer, demo: DemoPortal, page: Page, fresh: None
) -> None:
    notebook = open_new_notebook(page, agol_lab, kernel_name="python3-ipykernel6")
    version = run_cell(notebook, "import ipykernel\nprint(ipykernel.__version__)")
    assert cell_output_text(notebook, version).startswith("6.")
    index = run_cell(notebook, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    sign_in_in_popup(notebook, demo)
    expect(cell_output(notebook, index)).to_contain_text(SIGNED_IN, timeout=60_000)
    wait_kernel_idle(notebook)
    me = run_cell(notebook, "print(gis.users.me.username)")
    assert cell_output_text(notebook, me).strip() == demo.username
