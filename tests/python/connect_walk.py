"""Connect walked like a browser: open the authorize URL, read each page's
form (action, method, hidden fields, the email/password inputs, checked
boxes, buttons), submit it with the owner's answers, and follow the
emulator's pages until one answers with a redirect; its Location is the
result.  Plain HTTP (urllib), redirects not followed."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import List, Optional, Tuple

# The button pressed on each page, by its name: past the preamble, the
# whole fleet on the brand page, Allow on the grant page.
PRESS = {"preamble": "done", "brand": "ANY", "action": "allow"}


class _Form(HTMLParser):
    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email
        self.action: Optional[str] = None
        self.method = "get"
        self.fields: List[Tuple[str, str]] = []
        self.pressed: Optional[Tuple[str, str]] = None
        self.state = "before"  # inside the first form, then "after"

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and self.state == "before":
            self.state = "inside"
            self.action = a.get("action", "")
            self.method = a.get("method", "get").lower()
        elif self.state != "inside" or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind == "email":
                self.fields.append((a["name"], self.email))
            elif kind == "password":
                self.fields.append((a["name"], "pw"))
            elif kind != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and PRESS.get(a["name"]) == a.get("value"):
            self.pressed = (a["name"], a["value"])

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "form" and self.state == "inside":
            self.state = "after"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore
        return None


def _fetch(url: str, form: Optional[str]) -> Tuple[int, str, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    data = form.encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=30) as r:
            return r.status, r.headers.get("Location", ""), r.read().decode()
    except urllib.error.HTTPError as e:  # 3xx and errors
        return e.code, e.headers.get("Location", ""), e.read().decode()


def walk(origin: str, authorize_url: str, email: str) -> str:
    """The redirect URL Connect ends with, for the owner ``email``."""
    status, location, body = _fetch(authorize_url, None)
    for _ in range(10):
        if 300 <= status < 400:
            return location
        assert status == 200, "Connect answered %d: %s" % (status, body)
        form = _Form(email)
        form.feed(body)
        assert form.action is not None, "a Connect page without a form"
        fields = form.fields + ([form.pressed] if form.pressed else [])
        query = urllib.parse.urlencode(fields, quote_via=urllib.parse.quote)
        if form.method == "get":
            status, location, body = _fetch(
                origin + form.action + "?" + query, None)
        else:
            status, location, body = _fetch(origin + form.action, query)
    raise AssertionError("Connect did not end in a redirect")
