"""HTML pages of the demo portal and the demo IdP (no templates engine, just escaping)."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f3f3;margin:0;
color:#151515}
main{max-width:380px;margin:48px auto;background:#fff;padding:32px;border-radius:6px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:20px;font-weight:500;margin:12px 0 4px}
p.sub{color:#555;margin:0 0 24px;font-size:14px}
.logo{width:64px;height:64px}
a.button,button{display:block;box-sizing:border-box;width:100%;padding:10px;margin:10px 0;
font-size:15px;border-radius:4px;text-align:center;text-decoration:none;cursor:pointer}
.primary{background:#007ac2;color:#fff;border:1px solid #007ac2}
.secondary{background:#fff;color:#007ac2;border:1px solid #007ac2}
label{display:block;font-size:14px;margin-top:14px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:15px;
margin-top:4px;border:1px solid #999;border-radius:3px}
.error{color:#b00020;background:#fdecee;padding:8px;border-radius:3px;font-size:14px}
footer{color:#777;font-size:12px;margin-top:24px}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def error_page(heading: str, detail: str) -> str:
    """The portal's error page (``Error 400: Invalid redirect_uri`` and friends)."""
    return _page(
        heading,
        f'<h1 id="error">{escape(heading)}</h1><p class="sub">{escape(detail)}</p>',
    )


def signin_page(
    *, org_name: str, logo_url: str, app_title: str, enterprise_url: str, cancel_url: str
) -> str:
    """The org's sign-in page, as a SAML org shows it: one enterprise button and Cancel."""
    return _page(
        f"Sign in to {org_name}",
        f'<img class="logo" src="{escape(logo_url)}" alt="{escape(org_name)} logo">'
        f"<h1>Sign in to {escape(org_name)}</h1>"
        f'<p class="sub">{escape(app_title)} would like to access your ArcGIS account.</p>'
        f'<a class="button primary" id="enterprise-login" href="{escape(enterprise_url)}">'
        "Sign in with Demo IdP</a>"
        f'<a class="button secondary" id="cancel" href="{escape(cancel_url)}">Cancel</a>'
        "<footer>Demo portal for agol-jupyter. No real ArcGIS account is involved.</footer>",
    )


def idp_login_page(
    *, action_url: str, saml_request: str, relay_state: str, error: str | None = None
) -> str:
    """The IdP's login form: labelled Username and Password, Sign in and Cancel."""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _page(
        "Demo IdP: sign in",
        "<h1>Demo IdP</h1>"
        '<p class="sub">Sign in with your organization account.</p>'
        f"{alert}"
        f'<form method="post" action="{escape(action_url)}" id="login">'
        f'<input type="hidden" name="SAMLRequest" value="{escape(saml_request)}">'
        f'<input type="hidden" name="RelayState" value="{escape(relay_state)}">'
        '<label for="username">Username</label>'
        '<input type="text" id="username" name="username" autocomplete="username" '
        "required autofocus>"
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" '
        "required>"
        '<button class="primary" type="submit" name="action" value="signin">Sign in</button>'
        '<button class="secondary" type="submit" name="action" value="cancel" formnovalidate>'
        "Cancel</button></form>",
    )


def saml_post_page(*, acs_url: str, saml_response: str, relay_state: str, org_name: str) -> str:
    """The IdP's auto-submitting form that posts the SAML response back to the portal."""
    return _page(
        "Demo IdP: returning",
        f'<form method="post" action="{escape(acs_url)}" id="saml-post">'
        f'<input type="hidden" name="SAMLResponse" value="{escape(saml_response)}">'
        f'<input type="hidden" name="RelayState" value="{escape(relay_state)}">'
        f'<p class="sub">Returning you to {escape(org_name)}…</p>'
        '<button class="primary" type="submit">Continue</button></form>'
        '<script>document.getElementById("saml-post").submit();</script>',
    )
