"""The HTML pages the sign-in popup shows: the fallback sign-in form, outcomes, and errors.

Every value is escaped; nothing here ever receives a token, code, state or verifier. The
only script is the one that tells the notebook the outcome, allowed by a per-request nonce.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

DONE_MESSAGE = "agol-jupyter:done"
CHANNEL = "agol-jupyter"
CLOSE_AFTER_MS = 1500

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f4f5f7;color:#1f2328}
main{max-width:34rem;margin:2.5rem auto;background:#fff;border-radius:10px;padding:1.5rem 2rem;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 .75rem}
main.ok h1{color:#1a7f37}main.error h1{color:#b42318}main.cancelled h1{color:#7a5b00}
p{margin:.5rem 0}.remedy{font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:1rem 0}
dt{color:#57606a}dd{margin:0}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:.1rem .3rem;
border-radius:4px;word-break:break-all;user-select:all}
button{font:inherit;background:#0969da;color:#fff;border:0;border-radius:6px;
padding:.55rem 1.2rem;cursor:pointer}
.small{color:#57606a;font-size:.85rem}
"""


def _script_json(data: Mapping[str, Any]) -> str:
    # Inside <script>, "</script>" or "<!--" in a value would end or change the element.
    text = json.dumps(dict(data), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _notify_script(notify: Mapping[str, Any], nonce: str, close: bool) -> str:
    payload = _script_json({"type": DONE_MESSAGE, **notify})
    closing = f"setTimeout(function(){{window.close();}},{CLOSE_AFTER_MS});" if close else ""
    # window.opener is cut by identity providers that send Cross-Origin-Opener-Policy, so the
    # same-origin BroadcastChannel carries the message too. Never target "*".
    return (
        f'<script nonce="{escape(nonce)}">(function(){{var m={payload};'
        "try{if(window.opener){window.opener.postMessage(m,window.location.origin);}}catch(e){}"
        f"try{{var c=new BroadcastChannel({json.dumps(CHANNEL)});c.postMessage(m);c.close();}}"
        f"catch(e){{}}{closing}}})();</script>"
    )


def _document(title: str, body: str, *, tone: str, script: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main class="{escape(tone)}">{body}</main>{script}</body></html>'
    )


def _details(rows: Iterable[tuple[str, str]]) -> str:
    items = "".join(
        f"<dt>{escape(label)}</dt><dd><code>{escape(value)}</code></dd>"
        for label, value in rows
        if value
    )
    return f"<dl>{items}</dl>" if items else ""


def outcome_page(
    title: str,
    message: str,
    remedy: str = "",
    *,
    tone: str,
    nonce: str,
    details: Iterable[tuple[str, str]] = (),
    notify: Mapping[str, Any] | None = None,
    close: bool = False,
    note: str = "",
) -> str:
    """A page that says what happened and what to do; ``tone`` is ok, error or cancelled.

    With ``notify`` (request_id, status, message) the page tells the notebook the outcome;
    with ``close`` it then closes itself.
    """
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if remedy:
        body += f'<p class="remedy">{escape(remedy)}</p>'
    body += _details(details)
    if note:
        body += f'<p class="small">{escape(note)}</p>'
    script = _notify_script(notify, nonce, close) if notify is not None else ""
    return _document(title, body, tone=tone, script=script)


def signed_in_page(
    username: str, full_name: str, org_name: str, *, nonce: str, notify: Mapping[str, Any]
) -> str:
    """The callback's success page; it tells the notebook and closes itself."""
    who = f"{username} ({full_name})" if full_name and full_name != username else username
    where = f" to {org_name}" if org_name else ""
    return outcome_page(
        f"Signed in{where}",
        f"Signed in as {who}. You can close this window.",
        tone="ok",
        nonce=nonce,
        notify=notify,
        close=True,
        note="This window closes by itself; the notebook continues on its own.",
    )


def sign_in_form_page(
    *, portal: str, client_id: str, profile: str, request_id: str, action: str, xsrf_html: str
) -> str:
    """The fallback entrance: one button that POSTs back, so a GET never starts a flow.

    ``xsrf_html`` is tornado's ready-made hidden ``_xsrf`` input (already escaped).
    """
    fields = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in (
            ("request_id", request_id),
            ("portal", portal),
            ("client_id", client_id),
            ("profile", profile),
        )
    )
    body = (
        f"<h1>Sign in to {escape(portal)}</h1>"
        "<p>You will be sent to your organization's sign-in page. When you are done, this "
        "window tells the notebook and closes.</p>"
        + _details([("Portal", portal), ("Client id", client_id), ("Profile", profile)])
        + f'<form method="post" action="{escape(action)}">{xsrf_html}{fields}'
        f'<button type="submit">Sign in to {escape(portal)}</button></form>'
    )
    return _document(f"Sign in to {portal}", body, tone="form")
