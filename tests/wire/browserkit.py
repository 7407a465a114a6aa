"""Helpers for the browser tests: Debian's chromium driven by Playwright (one browser per session, a new context
per test), the client app (a small HTTP server on loopback whose callback and logout pages the browser lands on),
and screenshots of every page at the phone and desktop sizes.

The browser is ``/usr/bin/chromium`` (``make test`` installs it with apt); nothing downloads one — never run
``playwright install``. Screenshots go to ``tests/artifacts/screenshots/`` (git-ignored; ``USERPOOLS_SCREENSHOTS``
names another directory), one PNG per page and size: ``<name>-phone.png`` (390×844) and ``<name>-desktop.png``
(1280×800).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from accounts import make_client
from oauthkit import DomainPool

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(os.environ.get("USERPOOLS_SCREENSHOTS")
                   or Path(__file__).resolve().parents[1] / "artifacts" / "screenshots")


@dataclass(frozen=True)
class App:
    """The client app on loopback (Cognito takes http:// callback URLs for localhost only)."""

    origin: str

    @property
    def callback(self) -> str:
        return f"{self.origin}/callback"

    @property
    def signed_out(self) -> str:
        return f"{self.origin}/signed-out"

    def client(self, dp: DomainPool, **extra: Any) -> str:
        """An app client of the pool with the code flow, this app's URLs and (unless ``extra`` says otherwise)
        the COGNITO provider; its id."""
        made = make_client(
            dp.cognito, dp.pool_id, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"], CallbackURLs=[self.callback],
            LogoutURLs=[self.signed_out], **({"SupportedIdentityProviders": ["COGNITO"]} | extra),
        )
        return str(made["ClientId"])


class _AppPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        title = "Signed out" if self.path.startswith("/signed-out") else "Signed in"
        body = f"<!DOCTYPE html><html lang=en><title>{title}</title><h1>{title}</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def app() -> Iterator[App]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield App(f"http://localhost:{server.server_port}")
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless chromium per test module; fails (never skips) when the browser is missing. Not one per
    session: Playwright's sync API keeps an event loop running on the main thread while it is open, and the
    modules after a browser module call asyncio.run (tests/wire/server_db.py, tests/pg.py)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) at the desktop size, in English."""
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    tab = context.new_page()
    yield tab
    context.close()


def shoot(tab: Any, name: str) -> None:
    """Screenshots of the page as it is, at the phone and the desktop size (the desktop size is kept)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        tab.set_viewport_size(size)
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-{size_name}.png"), full_page=True)


def field_error(tab: Any, field_id: str) -> str:
    """The error shown next to a field, checked to be tied to it (aria-invalid, aria-describedby)."""
    field = tab.locator(f"#{field_id}")
    assert field.get_attribute("aria-invalid") == "true"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described
    return str(tab.locator(f"#{field_id}-error").inner_text())
