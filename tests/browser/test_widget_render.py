"""The sign-in widget rendered by a real JupyterLab in a real Chromium."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from itertools import count
from urllib.parse import urlsplit

import pytest
from harness import (
    REPO,
    ConsoleLog,
    LabServer,
    cell_output,
    open_new_notebook,
    read_notebook_file,
    run_cell,
    save_notebook,
    screenshot,
)
from playwright.sync_api import BrowserContext, Locator, Page, expect

WIDGET_JS = REPO / "agol_jupyter" / "static" / "widget.js"
PORTAL = "https://127.0.0.1:1/portal"
_names = count()


def _logo_png(size: int = 48) -> bytes:
    """A small round org logo: a blue disc with a white ring, on transparent."""
    rows = []
    c = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])  # filter type: none
        for x in range(size):
            r = ((x - c) ** 2 + (y - c) ** 2) ** 0.5
            if r < size * 0.2 or size * 0.3 < r < size * 0.47:
                row += bytes((21, 101, 192, 255))
            elif r <= size * 0.3:
                row += bytes((255, 255, 255, 255))
            else:
                row += bytes((0, 0, 0, 0))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


LOGO = "data:image/png;base64," + base64.b64encode(_logo_png()).decode()


@pytest.fixture(scope="module")
def nb(browser_context: BrowserContext, lab: LabServer) -> Iterator[Page]:
    """One notebook for this module; each test shows widgets of its own in new cells."""
    tab = browser_context.new_page()
    try:
        open_new_notebook(tab, lab, "widget-render")
        run_cell(tab, "import time\nfrom agol_jupyter.widget import SignInWidget")
        yield tab
    finally:
        tab.close()


def show_widget(page: Page, **extra: str) -> tuple[str, Locator]:
    """Run a cell that shows a new SignInWidget; returns its variable name and its element."""
    name = f"w{next(_names)}"
    args = {
        "portal_name": "Demo Field Office",
        "logo_data_url": LOGO,
        "portal_url": PORTAL,
        "client_id": "x",
        "request_id": f"test-request-{name}-0000",
        **extra,
    }
    kwargs = ", ".join(f"{k}={v!r}" for k, v in args.items())
    index = run_cell(page, f"{name} = SignInWidget({kwargs})\n{name}")
    widget = cell_output(page, index).locator(".agol-signin")
    expect(widget).to_be_visible()
    return name, widget


def assert_no_console_errors(console_log: ConsoleLog, since: int) -> None:
    errors = console_log.errors(since=since)
    assert not errors, "\n".join(map(str, errors))


def test_ready_shows_logo_and_sign_in_button(nb: Page, console_log: ConsoleLog) -> None:
    mark = console_log.mark()
    _, widget = show_widget(nb, request_id="abc")

    button = widget.get_by_role("button", name="Sign in to Demo Field Office")
    expect(button).to_be_visible()
    expect(button).to_have_text("Sign in to Demo Field Office")
    logo = widget.get_by_role("img", name="Demo Field Office logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.naturalWidth") == 48
    expect(widget.locator("[aria-live='polite']")).to_have_count(1)
    expect(widget.get_by_role("alert")).to_be_hidden()
    screenshot(widget, "widget-ready.png")
    assert_no_console_errors(console_log, mark)


def test_kernel_states_update_the_shown_widget(nb: Page, console_log: ConsoleLog) -> None:
    mark = console_log.mark()
    w, widget = show_widget(nb)

    run_cell(nb, f'{w}.show_signed_in("alice", "Alice Analyst", "Demo Field Office", '
             "time.time() + 3600)")  # fmt: skip
    expect(widget).to_contain_text("Signed in as alice (Alice Analyst) · Demo Field Office")
    expiry = widget.locator(".agol-expiry")
    expect(expiry).to_have_text(re.compile(r"· expires in (59 m( \d+ s)?|1 h)$"))
    first = expiry.inner_text()
    expect(expiry).not_to_have_text(first)  # the countdown is live
    expect(widget.get_by_role("button", name="Sign out")).to_be_visible()
    expect(widget.get_by_role("button", name=re.compile("Sign in"))).to_have_count(0)
    shot = screenshot(widget, "widget-signed-in.png")
    assert shot.stat().st_size > 0

    run_cell(nb, f'{w}.show_error("The portal refused client id x. Register the app, then retry.")')
    alert = widget.get_by_role("alert")
    expect(alert).to_have_text("The portal refused client id x. Register the app, then retry.")
    retry = widget.get_by_role("button", name=re.compile("Sign in to Demo Field Office"))
    expect(retry).to_have_text("Try again")
    expect(widget).not_to_contain_text("Signed in as")
    screenshot(widget, "widget-error.png")

    run_cell(nb, f'{w}.show_cancelled("You closed the sign-in window. Click Try again.")')
    expect(alert).to_have_text("You closed the sign-in window. Click Try again.")

    run_cell(nb, f"{w}.show_signed_out()")
    expect(widget).to_contain_text("Signed out of Demo Field Office.")
    expect(alert).to_be_hidden()
    expect(widget.get_by_role("button", name="Sign in to Demo Field Office")).to_be_visible()
    assert_no_console_errors(console_log, mark)


def test_kernel_state_replaces_a_local_state(nb: Page, console_log: ConsoleLog) -> None:
    """What the page shows on its own (here "finishing") gives way to whatever the kernel says."""
    mark = console_log.mark()
    w, widget = show_widget(nb)
    request_id = f"test-request-{w}-0000"

    # Another request's "done" is not ours; then ours arrives over BroadcastChannel.
    nb.evaluate(
        """([mine]) => {
          const channel = new BroadcastChannel("agol-jupyter");
          channel.postMessage({type: "agol-jupyter:done", request_id: "other", status: "error",
                               message: "not for this widget"});
          channel.postMessage({type: "agol-jupyter:done", request_id: mine, status: "ok"});
          channel.close();
        }""",
        [request_id],
    )
    expect(widget).to_contain_text("Signed in, finishing…")
    expect(widget).not_to_contain_text("not for this widget")

    run_cell(nb, f'{w}.show_signed_in("alice", "", "", 0)')
    expect(widget.locator(".agol-status")).to_have_text("Signed in as alice")
    expect(widget.locator(".agol-expiry")).to_have_text("")

    # A late "done" must not step back from signed_in. Message events arrive in order, so once
    # a second message is seen the widget has handled the first.
    nb.evaluate(
        """([mine]) => new Promise((resolve) => {
          const seen = (event) => {
            if (event.data !== "sentinel") return;
            window.removeEventListener("message", seen);
            resolve();
          };
          window.addEventListener("message", seen);
          const here = window.location.origin;
          window.postMessage({type: "agol-jupyter:done", request_id: mine, status: "ok"}, here);
          window.postMessage("sentinel", here);
        })""",
        [request_id],
    )
    expect(widget.locator(".agol-status")).to_have_text("Signed in as alice")

    # An error from the callback page, sent with window.postMessage, shows as an alert ...
    run_cell(nb, f"{w}.show_signed_out()")
    nb.evaluate(
        """([mine]) => window.postMessage(
          {type: "agol-jupyter:done", request_id: mine, status: "error",
           message: "The identity provider said no. Ask your admin."}, window.location.origin)""",
        [request_id],
    )
    alert = widget.get_by_role("alert")
    expect(alert).to_have_text("The identity provider said no. Ask your admin.")
    # ... and the kernel's word replaces it, even when the kernel's values did not change.
    run_cell(nb, f"{w}.show_signed_out()")
    expect(alert).to_be_hidden()
    expect(widget).to_contain_text("Signed out of Demo Field Office.")
    assert_no_console_errors(console_log, mark)


def test_finishing_without_a_waiting_kernel_suggests_a_rerun(
    nb: Page, console_log: ConsoleLog
) -> None:
    """Signing in from a widget whose cell has ended (say after a timeout) still saves the
    session, but no kernel will answer: after a while the widget says to run the cell again."""
    mark = console_log.mark()
    w, widget = show_widget(nb)
    nb.evaluate(
        """([mine]) => {
          const channel = new BroadcastChannel("agol-jupyter");
          channel.postMessage({type: "agol-jupyter:done", request_id: mine, status: "ok",
                               message: "Signed in as alice."});
          channel.close();
        }""",
        [f"test-request-{w}-0000"],
    )
    status = widget.locator(".agol-status")
    expect(status).to_have_text("Signed in, finishing…")
    expect(status).to_have_text(
        "Signed in as alice. If the cell that started the sign-in has already finished, "
        "run it again to use the session.",
        timeout=60_000,
    )
    assert_no_console_errors(console_log, mark)


@pytest.mark.parametrize("request_id", ["abc", "test-request-with-a-valid-form-0000"])
def test_click_opens_popup_and_shows_the_outcome(
    nb: Page, console_log: ConsoleLog, request_id: str
) -> None:
    """The popup opens at once; then the server refuses the request (no route yet, or a
    malformed id) or the popup's start page finds the portal unreachable and reports back.
    Either way the widget ends showing the error, with a retry button, and nothing throws."""
    mark = console_log.mark()
    _, widget = show_widget(nb, request_id=request_id)

    with nb.expect_popup() as popup_info:
        widget.get_by_role("button", name="Sign in to Demo Field Office").click()
    popup = popup_info.value
    alert = widget.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    retry = widget.get_by_role("button", name=re.compile("Sign in to Demo Field Office"))
    expect(retry).to_have_text("Try again")
    screenshot(widget, f"widget-click-{'valid' if len(request_id) > 16 else 'malformed'}-id.png")
    if not popup.is_closed():
        popup.close()
    assert_no_console_errors(console_log, mark)


def test_blocked_popup_offers_a_link(nb: Page, lab: LabServer, console_log: ConsoleLog) -> None:
    mark = console_log.mark()
    w, widget = show_widget(nb, profile="work")
    # A popup blocker makes window.open return null.
    nb.evaluate("() => { window.__realOpen = window.open; window.open = () => null; }")
    try:
        widget.get_by_role("button", name="Sign in to Demo Field Office").click()
        expect(widget).to_contain_text("The browser blocked the sign-in popup.")
        link = widget.get_by_role("link", name="Open the sign-in page")
        expect(link).to_have_attribute("target", "_blank")
        href = link.get_attribute("href") or ""
        path, _, query = href.partition("?")
        assert path == f"{lab.base_url}agol/login"
        assert query == (
            f"request_id=test-request-{w}-0000&portal=https%3A%2F%2F127.0.0.1%3A1%2Fportal&client_id=x&profile=work"
        )
        screenshot(widget, "widget-popup-blocked.png")
        widget.get_by_role("button", name="Cancel").click()
        expect(widget.get_by_role("button", name="Sign in to Demo Field Office")).to_be_visible()
    finally:
        nb.evaluate("() => { window.open = window.__realOpen; }")
    assert_no_console_errors(console_log, mark)


def test_sign_out_button_posts_and_reports(nb: Page, console_log: ConsoleLog) -> None:
    """Sign out asks the server; with or without the server route, the widget tells the outcome."""
    mark = console_log.mark()
    w, widget = show_widget(nb)
    run_cell(nb, f'{w}.show_signed_in("alice", "Alice Analyst", "Demo Field Office", '
             "time.time() + 14 * 86400)")  # fmt: skip
    expect(widget.locator(".agol-expiry")).to_have_text(re.compile(r"expires in 1[34] days"))
    with nb.expect_request(lambda r: r.url.endswith("/agol/api/logout")) as request_info:
        widget.get_by_role("button", name="Sign out").click()
    request = request_info.value
    assert request.method == "POST"
    assert request.post_data_json == {"portal": PORTAL, "client_id": "x", "profile": "default"}
    assert request.headers.get("x-xsrftoken")
    signed_out = widget.get_by_text("Signed out of Demo Field Office.")
    expect(signed_out.or_(widget.get_by_role("alert"))).to_be_visible()
    assert_no_console_errors(console_log, mark)


def test_requests_and_links_follow_the_server_base_url(
    browser_context: BrowserContext,
    lab_factory: Callable[..., LabServer],
    console_log: ConsoleLog,
) -> None:
    """Behind JupyterHub the server lives under /user/<name>/; the widget reads it from the page."""
    lab = lab_factory(base_url="/user/alice/")
    tab = browser_context.new_page()
    mark = console_log.mark()
    try:
        open_new_notebook(tab, lab)
        run_cell(tab, "from agol_jupyter.widget import SignInWidget")
        _, widget = show_widget(tab)
        with (
            tab.expect_popup() as popup_info,
            tab.expect_request(
                lambda r: r.method == "POST" and "/agol/api/flows" in r.url
            ) as request_info,
        ):
            widget.get_by_role("button", name="Sign in to Demo Field Office").click()
        assert urlsplit(request_info.value.url).path == "/user/alice/agol/api/flows"
        expect(widget.get_by_role("alert")).to_be_visible()
        if not popup_info.value.is_closed():
            popup_info.value.close()

        _, widget = show_widget(tab)
        tab.evaluate("() => { window.open = () => null; }")  # as a popup blocker does
        widget.get_by_role("button", name="Sign in to Demo Field Office").click()
        link = widget.get_by_role("link", name="Open the sign-in page")
        assert (link.get_attribute("href") or "").startswith("/user/alice/agol/login?request_id=")
    finally:
        tab.close()
    assert_no_console_errors(console_log, mark)


FORMAT_CASES = [
    (0, "0 s"),
    (-5, "0 s"),
    (59.9, "59 s"),
    (60, "1 m"),
    (200, "3 m 20 s"),
    (3599, "59 m 59 s"),
    (3600, "1 h"),
    (6300, "1 h 45 m"),
    (86399, "23 h 59 m"),
    (86400, "1 day"),
    (90000, "1 day 1 h"),
    (2 * 86400 + 3 * 3600, "2 days 3 h"),
    (14 * 86400, "14 days"),
    (14 * 86400 + 5 * 3600, "14 days"),
    ("NaN", "unknown"),
]


def test_format_remaining(page: Page) -> None:
    source = WIDGET_JS.read_text()
    results = page.evaluate(
        """async ([source, inputs]) => {
          const url = "data:text/javascript;charset=utf-8," + encodeURIComponent(source);
          const { formatRemaining } = await import(url);
          return inputs.map((v) => formatRemaining(typeof v === "string" ? Number(v) : v));
        }""",
        [source, [value for value, _ in FORMAT_CASES]],
    )
    assert list(zip([v for v, _ in FORMAT_CASES], results, strict=True)) == [
        (value, expected) for value, expected in FORMAT_CASES
    ]


def test_closing_the_widget_removes_its_listeners(nb: Page, console_log: ConsoleLog) -> None:
    mark = console_log.mark()
    w, widget = show_widget(nb)
    run_cell(nb, f'{w}.show_signed_in("alice", "", "", time.time() + 600)')
    expect(widget.locator(".agol-expiry")).to_contain_text("expires in")
    nb.evaluate(
        """() => {
          window.__removed = [];
          const real = window.removeEventListener;
          window.removeEventListener = function (type, ...rest) {
            window.__removed.push(type);
            return real.call(this, type, ...rest);
          };
          window.__realRemove = real;
        }"""
    )
    try:
        run_cell(nb, f"{w}.close()")
        expect(widget).to_have_count(0)
        assert "message" in nb.evaluate("() => window.__removed")
    finally:
        nb.evaluate("() => { window.removeEventListener = window.__realRemove; }")
    assert_no_console_errors(console_log, mark)


def test_saved_notebook_keeps_the_widget_view(nb: Page, lab: LabServer) -> None:
    """``save_notebook`` and ``read_notebook_file`` work; the output is a widget view reference."""
    w, _ = show_widget(nb)
    run_cell(nb, f'{w}.show_signed_in("alice", "Alice Analyst", "Demo Field Office", 0)')
    save_notebook(nb)
    text = read_notebook_file(lab, "widget-render")
    notebook = json.loads(text)
    outputs = [o for cell in notebook["cells"] for o in cell.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert "SignInWidget(" in text
