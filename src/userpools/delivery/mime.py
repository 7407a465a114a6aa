"""A pool's message as a proper email: headers, a text/plain part, and a text/html alternative when the
body is HTML (Cognito accepts HTML in its email templates).

Pure: no network, no clock of its own; ``delivery.senders.SmtpSender`` hands the result to aiosmtplib.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html.parser import HTMLParser

from userpools.delivery.messages import Message

DEFAULT_FROM = "no-reply@verificationemail.com"
"""The sender Cognito's own email account uses when the pool names none."""

# An opening, closing or self-closing tag: ``<p>``, ``</b>``, ``<br/>``, ``<a href="…">``. Not ``a < b``.
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "title",
    }
)
_HIDDEN = frozenset({"script", "style", "head"})


def looks_like_html(body: str) -> bool:
    return _TAG.search(body) is not None


class _TextExtractor(HTMLParser):
    """HTML → readable text: blocks become line breaks, links keep their target, scripts vanish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(body: str) -> str:
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def address_of(mailbox: str) -> str:
    """The bare address in ``Name <addr@host>`` or ``addr@host``; "" when there is none."""
    address = parseaddr(mailbox)[1]
    return address if "@" in address else ""


def _one_line(text: str) -> str:
    # Header values cannot carry line breaks (header injection); a template with one gets spaces.
    return re.sub(r"[\r\n]+\s*", " ", text).strip()


def build_email(message: Message, *, from_address: str, reply_to: str | None, now: datetime) -> EmailMessage:
    """The MIME message for ``message``. Raises ValueError when the From address has no address in it."""
    sender = address_of(from_address)
    if not sender:
        raise ValueError(f"the From address {from_address!r} has no email address in it")
    email = EmailMessage()
    email["From"] = _one_line(from_address)
    if reply_to:
        email["Reply-To"] = _one_line(reply_to)
    email["To"] = _one_line(message.destination)
    email["Subject"] = _one_line(message.subject or "")
    email["Date"] = format_datetime(now)
    # With an explicit domain make_msgid never resolves this host's name (socket.getfqdn can block).
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "userpools.invalid")
    if looks_like_html(message.body):
        email.set_content(html_to_text(message.body))
        email.add_alternative(message.body, subtype="html")
    else:
        email.set_content(message.body)
    return email
