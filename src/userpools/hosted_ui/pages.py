"""Rendering a hosted page: a template inside ``base.html``, the language's texts, and the headers every
page needs (no framing, no caching, no sniffing).

A view calls ``render(request, "login.html", status, **values)``; ``Page`` carries what every template reads
(the texts, the language, the domain's base URL for links and form actions).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from userpools.hosted_ui.i18n import Texts, language
from userpools.oauth.responses import SECURITY_HEADERS
from userpools.operations.hosted import Style

TEMPLATES = Path(__file__).parent / "templates"
# auto_reload off: the templates ship with the package and never change under a running server, and Jinja
# would otherwise stat each template file (and its parents) at every render
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, auto_reload=False)



@dataclass(frozen=True)
class Page:
    """What every template reads: ``t`` (texts), ``lang``, ``base`` (the domain's URL, no trailing slash)."""

    lang: str
    base: str
    style: Style = field(default_factory=lambda: Style(1))
    t: Texts = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "t", Texts(self.lang))

    def styled(self, style: Style) -> Page:
        """This page in ``style``: its texts kept (``replace`` would make them again, in ``__post_init__``)."""
        page = object.__new__(Page)
        page.__dict__.update(self.__dict__, style=style)
        return page


def page_for(lang: str | None, base: str, accept_language: str | None = None) -> Page:
    """The page for a request's ``lang`` and Accept-Language on the domain at ``base`` (unstyled). Pages are
    immutable and a sign-in asks for the same one on each of its page requests: kept, a few thousand at most."""
    key = (lang, base, accept_language)
    page = _PAGES.get(key)
    if page is None:
        if len(_PAGES) >= _PAGES_KEPT:
            _PAGES.clear()
        page = _PAGES[key] = Page(language(lang, accept_language), base)
    return page


_PAGES: dict[tuple[str | None, str, str | None], Page] = {}
_PAGES_KEPT = 4096


def _headers(page: Page, script: str | None = None) -> dict[str, str]:
    """The security headers; the CSP's img-src also names the origin of a classic-UI logo served on the
    server's own address when the page is on another (a domain's Host name), and a page with an inline
    script (the passkey page) allows that script alone, by its hash."""
    logo = page.style.logo
    if (not logo or logo.startswith("data:")) and script is None:
        return SECURITY_HEADERS
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    if logo and not logo.startswith("data:"):
        parts = urlsplit(logo)
        csp = csp.replace("img-src 'self' data:", f"img-src 'self' data: {parts.scheme}://{parts.netloc}")
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        csp += f"; script-src 'sha256-{digest}'"
    return {**SECURITY_HEADERS, "Content-Security-Policy": csp}


def inline_script(name: str) -> str:
    """An inline script of the pages (``templates/<name>``), as the page carries it and its CSP hash covers."""
    return (TEMPLATES / name).read_text()


def render(page: Page, template: str, *, status: int = 200, script: str | None = None, **values: Any
           ) -> HTMLResponse:
    """``script``: the text of the page's one inline script (the template writes it as ``{{ script|safe }}``)."""
    html, headers = render_text(page, template, script=script, **values)
    return HTMLResponse(html, status_code=status, headers=headers)


def render_text(page: Page, template: str, *, script: str | None = None, **values: Any
                ) -> tuple[str, dict[str, str]]:
    """``render``'s page and headers, for a view that keeps them (``views.HostedPages._first_login_form``)."""
    html = _env.get_template(template).render(page=page, t=page.t, style=page.style, script=script, **values)
    return html, _headers(page, script)


def state_value(request: Request, name: str, default: Any) -> Any:
    """``getattr(request.state, name, default)``, read from the dict behind Starlette's ``State`` (the
    request's ``scope["state"]``), without the property that makes the State, the lookup that fails before
    State's ``__getattr__`` is called, and the AttributeErrors made on the way (callgrind: two formatted ones
    per hosted sign-in before, none after)."""
    state = request.scope.get("state")
    return default if state is None else state.get(name, default)
