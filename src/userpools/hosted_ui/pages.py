"""Rendering a hosted page: a template inside ``base.html``, the language's texts, and the headers every
page needs (no framing, no caching, no sniffing).

A view calls ``render(request, "login.html", status, **values)``; ``Page`` carries what every template reads
(the texts, the language, the domain's base URL for links and form actions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from userpools.hosted_ui.i18n import Texts, language
from userpools.oauth.responses import SECURITY_HEADERS

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)



@dataclass(frozen=True)
class Page:
    """What every template reads: ``t`` (texts), ``lang``, ``base`` (the domain's URL, no trailing slash)."""

    lang: str
    base: str
    t: Texts = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "t", Texts(self.lang))


def page_for(lang: str | None, base: str) -> Page:
    return Page(language(lang), base)


def render(page: Page, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    html = _env.get_template(template).render(page=page, t=page.t, **values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
