"""The classic hosted UI's branding (SetUICustomization / GetUICustomization): a CSS of Cognito's classes and
a logo.

Each is a ``ui_customization`` resource (key ``<pool id>/<client id or ALL>``, see ``domain.resources``)
whose document is::

    {"UserPoolId", "ClientId": "<client id>" | "ALL",
     "CSS"?: "<the CSS as given>", "CSSVersion"?: "<version>",
     "Image"?: {"ContentType": "image/png" | "image/jpeg", "Extension": "png" | "jpg",
                "Data": "<base64>", "Version": "<version>"}}

with the dates on the record. A client's own document replaces the pool's ``ALL`` one as a whole (there is
no merging, [C: "If you specify UI customization settings for a particular client, it will no longer fall
back to the ALL configuration"]); ``effective`` picks it. The pages of a ManagedLoginVersion 1 domain take
``CSS`` (already restricted to the allowed classes) and the logo, served at ``image_path``.

Source marks as in ``domain.pools``; [DG]: the developer guide's "Customizing hosted UI (classic) branding".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from userpools.errors import InvalidParameterException

Document = dict[str, Any]

#: The classes a classic-UI CSS may style [DG]; the last four have property sections in [DG] and appear in the
#: console's CSS template [O: a copy of "CSS template.css"], under these names [U].
ALLOWED_SELECTORS = frozenset(
    {
        ".background-customizable",
        ".banner-customizable",
        ".errorMessage-customizable",
        ".idpButton-customizable",
        ".idpButton-customizable:hover",
        ".inputField-customizable",
        ".inputField-customizable:focus",
        ".label-customizable",
        ".legalText-customizable",
        ".logo-customizable",
        ".submitButton-customizable",
        ".submitButton-customizable:hover",
        ".textDescription-customizable",
        ".idpDescription-customizable",
        ".passwordCheck-notValid-customizable",
        ".passwordCheck-valid-customizable",
        ".socialButton-customizable",
    }
)
#: "Property values can contain HTML, except for … @import, @supports, @page, or @media statements, or
#: JavaScript" [DG]; [U] any at-rule and these script forms are refused.
_FORBIDDEN = re.compile(
    r"@|javascript:|expression\s*\(|<\s*/?\s*script|url\s*\(\s*['\"]?\s*javascript", re.IGNORECASE
)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_RULE = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}\s*", re.DOTALL)
#: [DG] "no greater than 100KB"; [U] 100 × 1024 bytes
MAX_IMAGE_BYTES = 100 * 1024
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png", "png"), (b"\xff\xd8\xff", "image/jpeg", "jpg"))


def _invalid_css(detail: str) -> InvalidParameterException:
    return InvalidParameterException(f"css: {detail}")  # [U] wording


def check_css(css: str) -> None:
    """Rules of the allowed classes only, no at-rules, no script [DG]."""
    text = _COMMENT.sub("", css)
    if _FORBIDDEN.search(text):
        raise _invalid_css("at-rules (@import, @media, …) and scripts are not allowed.")
    position = 0
    while position < len(text):
        match = _RULE.match(text, position)
        if match is None:
            if text[position:].strip():
                raise _invalid_css("the CSS could not be parsed.")
            break
        for selector in match.group(1).split(","):
            name = re.sub(r"\s+", "", selector)
            if name not in ALLOWED_SELECTORS:
                raise _invalid_css(f"the selector {selector.strip()} is not allowed.")
        position = match.end()


def image(data_base64: str) -> tuple[bytes, str, str]:
    """The logo's bytes, content type and file extension; PNG or JPEG of at most 100 KB [DG]."""
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterException("The image file is not valid Base64.") from None  # [U] wording
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidParameterException(  # [U] wording; [DG] "request parameters too large"
            "request parameters too large: the logo image must be 100 KB or less."
        )
    for magic, content_type, extension in _IMAGE_TYPES:
        if data.startswith(magic):
            return data, content_type, extension
    raise InvalidParameterException("The logo image must be a PNG, JPG or JPEG file.")  # [U] wording


def _version(now: datetime) -> str:
    return str(
        int(now.timestamp() * 1000)
    )  # [U] the form of CSSVersion: a number that grows with each change


def document(
    pool_id: str, client_id: str, css: str | None, image_base64: str | None, *, now: datetime
) -> Document:
    """SetUICustomization → the stored document. CSS and logo are set together [DG: "You can't set CSS and logo
    customization separately"]: one not given is removed; neither given leaves an empty customization."""
    out: Document = {"UserPoolId": pool_id, "ClientId": client_id}
    if css:
        check_css(css)
        out["CSS"] = css
        out["CSSVersion"] = _version(now)
    if image_base64:
        _, content_type, extension = image(image_base64)
        out["Image"] = {
            "ContentType": content_type,
            "Extension": extension,
            "Data": image_base64,
            "Version": _version(now),
        }
    return out


def image_path(document: Mapping[str, Any]) -> str | None:
    """Where the server serves the logo (after the public base URL), or None without one."""
    found = document.get("Image")
    if not found:
        return None
    return (
        f"/_userpools/ui/{document['UserPoolId']}/{document['ClientId']}/{found['Version']}/assets/images/"
        f"image.{found['Extension']}"
    )


def describe(
    document: Mapping[str, Any], *, base_url: str, created: datetime, modified: datetime
) -> Document:
    """UICustomizationType for Get/SetUICustomization."""
    out: Document = {"UserPoolId": document["UserPoolId"], "ClientId": document["ClientId"]}
    path = image_path(document)
    if path is not None:
        out["ImageUrl"] = base_url + path
    if document.get("CSS"):
        out["CSS"] = document["CSS"]
        out["CSSVersion"] = document["CSSVersion"]
    out["LastModifiedDate"] = modified
    out["CreationDate"] = created
    return out
