"""A saved session outlives the kernel and the Jupyter server: real JupyterLab, real Chromium,
the demo portal. Sign in once with a click; after a kernel restart, and after the server itself
restarts on the same directories, ``login()`` returns at once with no click and no popup. Then
the widget's Sign out makes the GIS the kernel still holds say "signed out"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from agol_jupyter.demo import DemoPortal
from tests.browser.harness import (
    LabServer,
    cell_output,
    cell_output_text,
    launch_browser,
    notebook_panel,
    open_new_notebook,
    run_cell,
    screenshot,
    start_lab,
    wait_kernel_idle,
)

expect.set_options(timeout=30_000)

LOGIN = "import agol_jupyter\ngis = agol_jupyter.login()"
SAVED = re.compile(
    r"Signed in as alice \(.+\) · Demo Field Office · saved session"
    r" · refresh token valid until .+"
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with sync_playwright() as pw:
        context = launch_browser(pw, tmp_path_factory.mktemp("chromium"))
        try:
            yield context
        finally:
            context.close()


def lab_args(demo: DemoPortal) -> list[str]:
    return [
        f"--AgolJupyter.portal_url={demo.root_url}",
        f"--AgolJupyter.client_id={demo.client_id}",
        f"--AgolJupyter.ca_bundle={demo.ca_path}",
    ]


def sign_in_in_popup(notebook: Page, demo: DemoPortal) -> None:
    """Click the widget's button and sign in at the portal and the IdP in the popup."""
    button = notebook_panel(notebook).get_by_role("button", name=re.compile("Sign in"))
    expect(button).to_be_visible()
    with notebook.context.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    popup.locator("#enterprise-login").click()
    popup.wait_for_url(f"{demo.idp_origin}/**")
    popup.get_by_label("Username").fill(demo.username)
    popup.get_by_label("Password").fill(demo.password)
    popup.get_by_role("button", name="Sign in").click()
    popup.wait_for_event("close", timeout=60_000)


def restart_kernel(lab: LabServer, notebook: Page, path: str) -> None:
    sessions = lab.api("GET", "api/sessions").json()
    kernel = next(s["kernel"]["id"] for s in sessions if s["path"] == path)
    assert lab.api("POST", f"api/kernels/{kernel}/restart").status_code == 200
    wait_kernel_idle(notebook)


def login_from_saved_session(notebook: Page, new_pages: list[Page]) -> int:
    """Run login(); it must show the saved session, no sign-in button, and open no window."""
    index = run_cell(notebook, LOGIN)
    widget = cell_output(notebook, index)
    expect(widget).to_contain_text(SAVED)
    screenshot(widget.locator(".agol-signin").first, "saved-session-widget.png")
    expect(widget.get_by_role("button", name=re.compile("Sign in"))).to_have_count(0)
    assert new_pages == []
    me = run_cell(notebook, "print(gis.users.me.username)")
    assert cell_output_text(notebook, me).strip() == "alice"
    return index


def test_session_survives_kernel_and_server_restarts(
    browser: BrowserContext, tmp_path: Path, demo_certs: Path
) -> None:
    with DemoPortal(state_dir=demo_certs, portal_port=0, idp_port=0) as demo:
        lab = start_lab(tmp_path / "lab", args=lab_args(demo))
        page = browser.new_page()
        try:
            notebook = open_new_notebook(page, lab, "first")
            index = run_cell(notebook, LOGIN, wait_idle=False)
            sign_in_in_popup(notebook, demo)
            expect(cell_output(notebook, index)).to_contain_text("Signed in as alice")
            wait_kernel_idle(notebook)
            signins = demo.stats()["counts"]["signins"]

            new_pages: list[Page] = []

            def opened(new: Page) -> None:
                new_pages.append(new)

            browser.on("page", opened)

            restart_kernel(lab, notebook, "first.ipynb")
            login_from_saved_session(notebook, new_pages)

            lab.stop()
            lab = start_lab(tmp_path / "lab", args=lab_args(demo))  # same directories
            notebook = open_new_notebook(page, lab, "second")
            index = login_from_saved_session(notebook, new_pages)
            assert demo.stats()["counts"]["signins"] == signins  # nobody signed in again

            # Sign out in the widget: the portal revokes, the store forgets, and the GIS this
            # kernel holds says so on its next request instead of answering anonymously.
            widget = cell_output(notebook, index)
            revocations = demo.stats()["revocations"]
            widget.get_by_role("button", name="Sign out").click()
            expect(widget).to_contain_text("Signed out of Demo Field Office")
            assert demo.stats()["revocations"] == revocations + 1
            search = run_cell(notebook, "gis.content.search('*')")
            text = cell_output_text(notebook, search)
            assert "NotSignedIn" in text and "signed out" in text
            assert "agol_jupyter.login()" in text
            browser.remove_listener("page", opened)
            assert new_pages == []
        finally:
            page.close()
            lab.stop()
