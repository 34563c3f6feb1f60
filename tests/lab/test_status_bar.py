"""The JupyterLab extension end to end: real JupyterLab and Notebook 7, real Chromium, the demo
portal. Sign in from a command, see the user in the status bar, get a GIS in a notebook with no
click, sign out from the status bar menu.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from harness import (
    ARTIFACTS,
    ConsoleLog,
    LabServer,
    cell_output,
    cell_output_text,
    open_new_notebook,
    run_cell,
    screenshot,
)
from notebook7 import open_notebook7
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from agol_jupyter.demo import DemoPortal

SIGNED_OUT = "ArcGIS: Sign in"
SIGNED_IN_ITEM = re.compile(r"^ArcGIS: alice · .+ · (\d+ h( \d+ m)?|\d+ m|\d+ days?.*)$")
WIDGET_SIGNED_IN = re.compile(r"Signed in as alice \(.+\)")
LOGIN_CELL = "import agol_jupyter\ngis = agol_jupyter.login()\nprint('me:', gis.users.me.username)"


def status_item(page: Page) -> Locator:
    """The extension's status item (a button inside #agol-jupyter-status)."""
    return page.locator("#agol-jupyter-status button")


def signed_out(server: LabServer) -> Iterator[None]:
    store = server.data_dir / "agol_jupyter" / "credentials.json"
    store.unlink(missing_ok=True)
    yield
    store.unlink(missing_ok=True)


@pytest.fixture
def lab_signed_out(agol_lab: LabServer) -> Iterator[None]:
    yield from signed_out(agol_lab)


@pytest.fixture
def nb7_signed_out(agol_notebook7: LabServer) -> Iterator[None]:
    yield from signed_out(agol_notebook7)


def walk_popup(popup: Page, demo: DemoPortal) -> None:
    """The demo portal's sign-in page, then the identity provider on its own origin."""
    popup.locator("#enterprise-login").click()
    popup.wait_for_url(f"{demo.idp_origin}/**")
    popup.get_by_label("Username").fill(demo.username)
    popup.get_by_label("Password").fill(demo.password)
    popup.get_by_role("button", name="Sign in").click()
    popup.wait_for_event("close", timeout=60_000)


def run_palette_command(page: Page, label: str) -> None:
    """Run a command from the command palette by its label, with the keyboard."""
    # While JupyterLab restores its layout, moving focus can close the palette again.
    page.locator(".jp-Launcher, .jp-NotebookPanel").first.wait_for()
    search = page.locator(".lm-CommandPalette-input")
    for _attempt in range(5):
        page.keyboard.press("ControlOrMeta+Shift+c")
        try:
            expect(search).to_be_focused(timeout=5_000)
            search.fill(label, timeout=5_000)
            break
        except (AssertionError, PlaywrightError):
            page.keyboard.press("Escape")
    item = page.locator(".lm-CommandPalette-item", has_text=label).first
    expect(item).to_be_visible()
    expect(search).to_be_focused()
    page.keyboard.press("Enter")


def login_without_click(page: Page, demo: DemoPortal) -> Locator:
    """A notebook's login() comes back from the saved session: no popup, no code exchange.
    Returns the cell's output, the widget in it."""
    pages_before = len(page.context.pages)
    codes_before = demo.stats()["token_requests"].get("authorization_code", 0)
    index = run_cell(page, LOGIN_CELL)
    expect(cell_output(page, index)).to_contain_text(WIDGET_SIGNED_IN)
    assert "me: alice" in cell_output_text(page, index)
    assert len(page.context.pages) == pages_before, "login() opened a window"
    assert demo.stats()["token_requests"].get("authorization_code", 0) == codes_before
    return cell_output(page, index)


def sign_out_from_menu(page: Page, demo: DemoPortal, shot: str) -> None:
    """Open the status item's menu and choose Sign out; the portal gets the revocation."""
    revocations = demo.stats()["revocations"]
    status_item(page).click()
    menu = page.get_by_role("menu").filter(has_text="Sign out")
    expect(menu).to_be_visible()
    screenshot(menu, shot)
    menu.get_by_role("menuitem", name=re.compile("^Sign out alice")).click()
    expect(status_item(page)).to_have_text(SIGNED_OUT)
    assert demo.stats()["revocations"] == revocations + 1


def test_sign_in_and_out_in_jupyterlab(
    agol_lab: LabServer,
    demo: DemoPortal,
    page: Page,
    console_log: ConsoleLog,
    lab_signed_out: None,
) -> None:
    mark = console_log.mark()
    page.goto(agol_lab.lab_url("lab/workspaces/status-bar"), wait_until="domcontentloaded")
    item = status_item(page)
    expect(item).to_have_text(SIGNED_OUT)
    # Named for screen readers with the whole sentence; says it opens a menu.
    expect(item).to_have_attribute("aria-label", re.compile("not signed in to https://"))
    expect(item).to_have_attribute("aria-haspopup", "menu")

    with page.context.expect_page() as popup_info:
        run_palette_command(page, "ArcGIS: Sign in")
    walk_popup(popup_info.value, demo)

    expect(item).to_have_text(SIGNED_IN_ITEM)
    expect(item).to_contain_text("Demo Field Office")
    expect(item).to_have_attribute("aria-label", re.compile(r"signed in as .*\(alice\)"))
    screenshot(page.locator("#agol-jupyter-status"), "lab-status-signed-in.png")
    screenshot(page.locator("#jp-main-statusbar"), "lab-statusbar-signed-in.png")

    open_new_notebook(page, agol_lab, "after-command")
    widget = login_without_click(page, demo)
    sign_out_from_menu(page, demo, "lab-status-menu.png")
    expect(widget).to_contain_text("Signed out of")  # the notebook's widget heard it too
    store = agol_lab.data_dir / "agol_jupyter" / "credentials.json"
    assert json.loads(store.read_text())["sessions"] == {}
    ours = [e for e in console_log.errors(since=mark) if "agol" in str(e).lower()]
    assert not ours, ours


def test_status_item_menu_by_keyboard(
    agol_lab: LabServer, page: Page, lab_signed_out: None
) -> None:
    page.goto(agol_lab.lab_url("lab/workspaces/keyboard"), wait_until="domcontentloaded")
    item = status_item(page)
    expect(item).to_have_text(SIGNED_OUT)
    item.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu").filter(has_text="Sign in…")
    expect(menu).to_be_visible()
    expect(item).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("menuitem", name="Sign out")).to_have_attribute("aria-disabled", "true")
    expect(menu.get_by_role("menuitem", name="Copy gis = agol_jupyter.login()")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(item).to_be_focused()
    expect(item).to_have_attribute("aria-expanded", "false")


def test_status_updates_when_a_notebook_signs_in(
    agol_lab: LabServer, demo: DemoPortal, page: Page, lab_signed_out: None
) -> None:
    """A sign-in from a notebook's widget reaches the status bar within seconds."""
    open_new_notebook(page, agol_lab, "from-widget")
    expect(status_item(page)).to_have_text(SIGNED_OUT)
    index = run_cell(page, "import agol_jupyter\ngis = agol_jupyter.login()", wait_idle=False)
    button = cell_output(page, index).get_by_role("button", name=re.compile("Sign in"))
    with page.context.expect_page() as popup_info:
        button.click()
    walk_popup(popup_info.value, demo)
    expect(status_item(page)).to_have_text(SIGNED_IN_ITEM, timeout=15_000)
    # And a sign-out in the widget shows in the status bar too.
    widget = cell_output(page, index)
    expect(widget).to_contain_text(WIDGET_SIGNED_IN)
    widget.get_by_role("button", name="Sign out").click()
    expect(status_item(page)).to_have_text(SIGNED_OUT, timeout=15_000)


def test_sign_in_and_out_in_notebook7(
    agol_notebook7: LabServer, demo: DemoPortal, page: Page, nb7_signed_out: None
) -> None:
    open_notebook7(page, agol_notebook7)
    item = status_item(page)
    expect(item).to_have_text(SIGNED_OUT)

    # From the Settings menu this time.
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    with page.context.expect_page() as popup_info:
        page.get_by_role("menuitem", name="ArcGIS: Sign in").click()
    walk_popup(popup_info.value, demo)
    expect(item).to_have_text(SIGNED_IN_ITEM)
    screenshot(page.locator("#agol-jupyter-status"), "notebook7-status-signed-in.png")
    top = {"x": 0, "y": 0, "width": 1280, "height": 160}
    page.screenshot(path=str(ARTIFACTS / "notebook7-top-bar.png"), clip=top)

    widget = login_without_click(page, demo)
    sign_out_from_menu(page, demo, "notebook7-status-menu.png")
    expect(widget).to_contain_text("Signed out of")


def test_under_a_jupyterhub_style_base_url(
    demo: DemoPortal, page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Under /user/<name>/ every call goes below the base URL (and POSTs pass the XSRF check)."""
    from conftest import demo_args
    from harness import start_lab

    server = start_lab(
        tmp_path_factory.mktemp("hub-style"), args=demo_args(demo), base_url="/user/alice/"
    )
    try:
        with page.expect_response(lambda r: "/agol/api/status" in r.url) as status:
            page.goto(server.lab_url("lab"), wait_until="domcontentloaded")
        assert status.value.url.startswith(f"{server.url}agol/api/status")
        assert server.url.endswith("/user/alice/")
        expect(status_item(page)).to_have_text(SIGNED_OUT)
        with page.context.expect_page() as popup_info:
            run_palette_command(page, "ArcGIS: Sign in")
        walk_popup(popup_info.value, demo)
        expect(status_item(page)).to_have_text(SIGNED_IN_ITEM)
        sign_out_from_menu(page, demo, "hub-style-status-menu.png")
    finally:
        server.stop()
