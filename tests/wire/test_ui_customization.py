"""The classic hosted UI's branding (Set/GetUICustomization) through boto3 against a live server (SQLite and
PostgreSQL), and the logo it serves."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from test_pools import error_of

CSS = ".label-customizable {font-weight: 400;}\n.submitButton-customizable:hover { color: #fff; background-color: #3E4B5D; }"


def png(width: int = 2, height: int = 1, padding: int = 0) -> bytes:
    """A real PNG (``padding`` bytes of an ancillary chunk make it as large as a test needs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture
def branded_pool(cognito: Any, pool: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A pool with a prefix domain (classic branding needs one)."""
    domain = f"ui-{uuid.uuid4().hex[:10]}"
    cognito.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    yield pool
    cognito.delete_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)


def test_the_pools_branding_reads_back_with_its_dates(cognito: Any, branded_pool: dict[str, Any]) -> None:
    pool_id = branded_pool["Id"]
    set_out = cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=CSS)["UICustomization"]
    assert set_out["UserPoolId"] == pool_id and set_out["ClientId"] == "ALL"
    assert set_out["CSS"] == CSS and set_out["CSSVersion"]
    assert "ImageUrl" not in set_out
    got = cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"]
    assert got == set_out
    assert got["CreationDate"] <= got["LastModifiedDate"]


def test_the_logo_is_served_at_its_image_url(cognito: Any, branded_pool: dict[str, Any]) -> None:
    logo = png()
    out = cognito.set_ui_customization(UserPoolId=branded_pool["Id"], CSS=CSS, ImageFile=logo)[
        "UICustomization"
    ]
    assert out["ClientId"] == "ALL"
    url = out["ImageUrl"]
    assert url.endswith("/assets/images/image.png")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == logo
    assert response.headers["content-type"] == "image/png"
    # a new upload is a new URL; the old one is gone
    newer = cognito.set_ui_customization(UserPoolId=branded_pool["Id"], ImageFile=JPEG)["UICustomization"]
    assert newer["ImageUrl"].endswith("image.jpg") and newer["ImageUrl"] != url
    assert "CSS" not in newer  # CSS and logo are set together
    assert httpx.get(newer["ImageUrl"]).content == JPEG
    assert httpx.get(url).status_code == 404


def test_a_client_uses_its_own_branding_else_the_pools(cognito: Any, branded_pool: dict[str, Any]) -> None:
    pool_id = branded_pool["Id"]
    first = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="first")["UserPoolClient"][
        "ClientId"
    ]
    second = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="second")["UserPoolClient"][
        "ClientId"
    ]
    cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=CSS)
    own_css = ".banner-customizable { background-color: red; }"
    own = cognito.set_ui_customization(UserPoolId=pool_id, ClientId=first, CSS=own_css)["UICustomization"]
    assert own["ClientId"] == first
    assert (
        cognito.get_ui_customization(UserPoolId=pool_id, ClientId=first)["UICustomization"]["CSS"] == own_css
    )
    fallback = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=second)["UICustomization"]
    assert fallback["CSS"] == CSS and fallback["ClientId"] == "ALL"


def test_without_any_branding_the_answer_is_an_empty_object(
    cognito: Any, branded_pool: dict[str, Any]
) -> None:
    assert cognito.get_ui_customization(UserPoolId=branded_pool["Id"])["UICustomization"] == {}


def test_setting_neither_css_nor_logo_clears_the_branding(cognito: Any, branded_pool: dict[str, Any]) -> None:
    cognito.set_ui_customization(UserPoolId=branded_pool["Id"], CSS=CSS, ImageFile=png())
    cleared = cognito.set_ui_customization(UserPoolId=branded_pool["Id"])["UICustomization"]
    assert "CSS" not in cleared and "ImageUrl" not in cleared
    got = cognito.get_ui_customization(UserPoolId=branded_pool["Id"])["UICustomization"]
    assert "CSS" not in got and "ImageUrl" not in got


@pytest.mark.parametrize(
    "css",
    [
        ".unknown-class { color: red; }",
        "body { color: red; }",
        "@import url(https://evil.example.com/x.css);",
        "@media screen { .label-customizable { color: red; } }",
        ".label-customizable { background: url(javascript:alert(1)); }",
        ".label-customizable { color: red; ",
        ".label-customizable, .nope { color: red; }",
    ],
)
def test_css_outside_cognitos_classes_is_refused(
    cognito: Any, branded_pool: dict[str, Any], css: str
) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.set_ui_customization(UserPoolId=branded_pool["Id"], CSS=css)
    assert error_of(refused)[0] == "InvalidParameterException"
    assert cognito.get_ui_customization(UserPoolId=branded_pool["Id"])["UICustomization"] == {}


def test_comments_and_every_allowed_class_are_accepted(cognito: Any, branded_pool: dict[str, Any]) -> None:
    css = (
        "/* brand */ .logo-customizable { max-width: 60%; }\n.inputField-customizable:focus { outline: 1px; }"
    )
    out = cognito.set_ui_customization(UserPoolId=branded_pool["Id"], CSS=css)["UICustomization"]
    assert out["CSS"] == css


@pytest.mark.parametrize("image", [b"GIF89a" + b"\x00" * 20, png(padding=100 * 1024)])
def test_a_logo_must_be_a_png_or_jpeg_of_100_kb_at_most(
    cognito: Any, branded_pool: dict[str, Any], image: bytes
) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.set_ui_customization(UserPoolId=branded_pool["Id"], ImageFile=image)
    assert error_of(refused)[0] == "InvalidParameterException"


def test_branding_needs_a_domain(cognito: Any, pool: dict[str, Any]) -> None:
    for call in (cognito.set_ui_customization, cognito.get_ui_customization):
        with pytest.raises(ClientError) as refused:
            call(UserPoolId=pool["Id"])
        assert error_of(refused) == (
            "InvalidParameterException",
            "There has to be an existing domain associated with this user pool",
        )


def test_an_unknown_client_is_resource_not_found(cognito: Any, branded_pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as missing:
        cognito.set_ui_customization(
            UserPoolId=branded_pool["Id"], ClientId="nosuchclient0000000000000", CSS=CSS
        )
    assert error_of(missing)[0] == "ResourceNotFoundException"
