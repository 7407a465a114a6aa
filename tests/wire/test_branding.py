"""Managed login branding through boto3 against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from server_db import resources_of
from test_pools import error_of

from userpools.domain.branding import DEFAULT_ASSETS, DEFAULT_SETTINGS
from userpools.domain.resources import MANAGED_LOGIN_BRANDING, MANAGED_LOGIN_BRANDING_CLIENT

KINDS = (MANAGED_LOGIN_BRANDING, MANAGED_LOGIN_BRANDING_CLIENT)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
ICO = b"\x00\x00\x01\x00\x01\x00" + bytes(16)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SETTINGS = {"components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "ff0000ff"}}}}}


@pytest.fixture
def client(cognito: Any, pool: dict[str, Any]) -> dict[str, Any]:
    return cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def asset(category: str = "FORM_LOGO", mode: str = "LIGHT", extension: str = "PNG", data: bytes = PNG,
          **extra: Any) -> dict[str, Any]:
    return {"Category": category, "ColorMode": mode, "Extension": extension, "Bytes": data, **extra}


def create(cognito: Any, client: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return cognito.create_managed_login_branding(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], **kwargs
    )["ManagedLoginBranding"]


def test_create_then_describe_shows_the_style_as_created(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client, Settings=SETTINGS, Assets=[asset(ResourceId="logo")])
    assert UUID4.match(created["ManagedLoginBrandingId"])
    assert created["UserPoolId"] == client["UserPoolId"]
    assert created["UseCognitoProvidedValues"] is False
    assert created["Settings"] == SETTINGS
    assert created["Assets"] == [asset(ResourceId="logo")]
    assert "ClientId" not in created
    assert created["CreationDate"] == created["LastModifiedDate"]
    by_id = cognito.describe_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=created["ManagedLoginBrandingId"]
    )["ManagedLoginBranding"]
    assert by_id == created
    by_client = cognito.describe_managed_login_branding_by_client(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"]
    )["ManagedLoginBranding"]
    assert by_client == created


def test_merged_resources_lay_the_style_over_the_defaults(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client, Settings=SETTINGS, Assets=[asset("PAGE_BACKGROUND", "DARK")])
    merged = cognito.describe_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
        ReturnMergedResources=True,
    )["ManagedLoginBranding"]
    button = merged["Settings"]["components"]["primaryButton"]["lightMode"]
    assert button["defaults"]["backgroundColor"] == "ff0000ff"
    assert button["defaults"]["textColor"] == DEFAULT_SETTINGS["components"]["primaryButton"]["lightMode"]["defaults"]["textColor"]
    assert merged["Settings"]["components"]["pageBackground"] == DEFAULT_SETTINGS["components"]["pageBackground"]
    categories = [(a["Category"], a["ColorMode"]) for a in merged["Assets"]]
    assert categories == [(a["Category"], a["ColorMode"]) for a in DEFAULT_ASSETS] + [("PAGE_BACKGROUND", "DARK")]
    by_client = cognito.describe_managed_login_branding_by_client(
        UserPoolId=client["UserPoolId"], ClientId=client["ClientId"], ReturnMergedResources=True
    )["ManagedLoginBranding"]
    assert by_client == merged


def test_cognito_provided_values_store_nothing_of_their_own(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client, UseCognitoProvidedValues=True)
    assert (created["UseCognitoProvidedValues"], created["Settings"], created["Assets"]) == (True, {}, [])
    merged = cognito.describe_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
        ReturnMergedResources=True,
    )["ManagedLoginBranding"]
    assert merged["Settings"] == DEFAULT_SETTINGS
    assert merged["Assets"] == [{**a, "Bytes": base64.b64decode(a["Bytes"])} for a in DEFAULT_ASSETS]


def test_cognito_provided_values_exclude_settings(cognito: Any, client: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        create(cognito, client, UseCognitoProvidedValues=True, Settings=SETTINGS)
    assert error_of(refused) == (
        "InvalidParameterException", "Settings must not be provided when UseCognitoProvidedValues is true."
    )


def test_cognito_provided_values_may_come_with_assets(cognito: Any, client: dict[str, Any]) -> None:
    created = create(cognito, client, UseCognitoProvidedValues=True, Assets=[asset("PAGE_FOOTER_BACKGROUND", "DARK")])
    assert created["UseCognitoProvidedValues"] is True
    assert [(a["Category"], a["ColorMode"], a["Bytes"]) for a in created["Assets"]] == [
        ("PAGE_FOOTER_BACKGROUND", "DARK", PNG)
    ]


def test_a_client_has_one_style(cognito: Any, client: dict[str, Any]) -> None:
    create(cognito, client, UseCognitoProvidedValues=True)
    with pytest.raises(ClientError) as twice:
        create(cognito, client, Settings=SETTINGS)
    assert error_of(twice) == (
        "ManagedLoginBrandingExistsException",
        f"App client {client['ClientId']} already has a managed login branding style.",
    )


@pytest.mark.parametrize(
    ("assets", "message"),
    [
        ([asset("FAVICON_ICO", extension="PNG")], "Extension PNG is not supported for asset category FAVICON_ICO."),
        ([asset("FAVICON_SVG", extension="PNG")], "Extension PNG is not supported for asset category FAVICON_SVG."),
        ([asset("FORM_LOGO", extension="ICO", data=ICO)], "Extension ICO is not supported for asset category FORM_LOGO."),
        ([asset(data=SVG)], "The asset for category FORM_LOGO is not a valid PNG file."),
        ([asset(extension="SVG", data=PNG)], "The asset for category FORM_LOGO is not a valid SVG file."),
        ([asset(extension="JPEG")], "The asset for category FORM_LOGO is not a valid JPEG file."),
        ([asset(), asset()], "Duplicate asset for category FORM_LOGO and color mode LIGHT."),
        ([{k: v for k, v in asset().items() if k != "Bytes"}], "Bytes is required for asset category FORM_LOGO."),
    ],
)
def test_invalid_assets_are_refused(cognito: Any, client: dict[str, Any], assets: list[Any], message: str) -> None:
    with pytest.raises(ClientError) as refused:
        create(cognito, client, Assets=assets)
    assert error_of(refused) == ("InvalidParameterException", message)
    with pytest.raises(ClientError) as none:
        cognito.describe_managed_login_branding_by_client(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"])
    assert error_of(none)[0] == "ResourceNotFoundException"


def test_the_right_files_are_accepted(cognito: Any, client: dict[str, Any]) -> None:
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(4)
    jpeg = b"\xff\xd8\xff\xe0" + bytes(12)
    assets = [asset("FAVICON_ICO", "DYNAMIC", "ICO", ICO), asset("FAVICON_SVG", "DYNAMIC", "SVG", SVG),
              asset("PAGE_BACKGROUND", "LIGHT", "WEBP", webp), asset("PAGE_BACKGROUND", "DARK", "JPEG", jpeg)]
    created = create(cognito, client, Assets=assets)
    assert [a["Bytes"] for a in created["Assets"]] == [ICO, SVG, webp, jpeg]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"components": {"pageBackground": {"lightMode": {"color": "red"}}}},
         "Settings components.pageBackground.lightMode.color must be a hex colour RRGGBBAA: 'red'"),
        ({"x": {"textColor": "ffffff; background: url(x)"}},
         "Settings x.textColor must be a hex colour RRGGBBAA: 'ffffff; background: url(x)'"),
        (["not", "an", "object"], "Settings must be a JSON object."),
        (nested(40), "Settings must not nest deeper than 32 levels."),
    ],
)
def test_invalid_settings_are_refused(cognito: Any, client: dict[str, Any], settings: Any, message: str) -> None:
    with pytest.raises(ClientError) as refused:
        create(cognito, client, Settings=settings)
    assert error_of(refused) == ("InvalidParameterException", message)


def test_the_model_limits_assets(raw_cognito: Any, client: dict[str, Any]) -> None:
    too_big = asset(data=b"\x89PNG\r\n\x1a\n" + bytes(1_000_000))
    with pytest.raises(ClientError) as big:
        create(raw_cognito, client, Assets=[too_big])
    assert error_of(big)[0] == "InvalidParameterException"
    many = [asset(c, m) for c in ("FORM_LOGO", "PAGE_BACKGROUND", "FORM_BACKGROUND", "PAGE_HEADER_LOGO",
                                   "PAGE_FOOTER_LOGO", "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_BACKGROUND",
                                   "EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC",
                                   "PASSKEY_GRAPHIC", "IDP_BUTTON_ICON", "FAVICON_SVG")
            for m in ("LIGHT", "DARK", "DYNAMIC")]
    with pytest.raises(ClientError) as count:
        create(raw_cognito, client, Assets=many[:41])
    assert error_of(count)[0] == "InvalidParameterException"
    assert "at 'assets' failed to satisfy constraint: Member must have length less than or equal to 40" in error_of(count)[1]


def test_a_request_over_2_mb_is_refused(cognito: Any, client: dict[str, Any]) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(600_000)
    assets = [asset(c, "LIGHT", data=big) for c in ("FORM_LOGO", "PAGE_BACKGROUND", "FORM_BACKGROUND")]
    with pytest.raises(ClientError) as refused:
        create(cognito, client, Assets=assets)
    assert error_of(refused) == (
        "InvalidParameterException", "The request exceeds the 2 MB size limit: send the assets in several requests."
    )
    # the same assets in two requests
    style = create(cognito, client, Assets=assets[:2])
    updated = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"], Assets=assets[2:]
    )["ManagedLoginBranding"]
    assert [a["Category"] for a in updated["Assets"]] == ["FORM_LOGO", "PAGE_BACKGROUND", "FORM_BACKGROUND"]


def test_update_merges_settings_and_replaces_assets_by_category_and_mode(cognito: Any, client: dict[str, Any]) -> None:
    style = create(cognito, client, Settings=SETTINGS, Assets=[asset(ResourceId="logo"), asset("PAGE_BACKGROUND")])
    more = {"components": {"primaryButton": {"lightMode": {"defaults": {"textColor": "000000ff"}}}},
            "categories": {"global": {"colorSchemeMode": "DARK"}}}
    updated = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
        Settings=more, Assets=[asset(data=SVG, extension="SVG", ResourceId="logo2")],
    )["ManagedLoginBranding"]
    assert updated["Settings"] == {
        "components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "ff0000ff", "textColor": "000000ff"}}}},
        "categories": {"global": {"colorSchemeMode": "DARK"}},
    }
    assert [(a["Category"], a["Extension"], a["ResourceId"]) for a in updated["Assets"]] == [
        ("PAGE_BACKGROUND", "PNG", "page_background-light"), ("FORM_LOGO", "SVG", "logo2"),
    ]
    assert updated["CreationDate"] == style["CreationDate"]
    described = cognito.describe_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"]
    )["ManagedLoginBranding"]
    assert described == updated


def test_an_asset_may_be_kept_by_its_resource_id(cognito: Any, client: dict[str, Any]) -> None:
    style = create(cognito, client, Assets=[asset(ResourceId="logo")])
    updated = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
        Assets=[{"Category": "FORM_LOGO", "ColorMode": "DARK", "Extension": "PNG", "ResourceId": "logo"}],
    )["ManagedLoginBranding"]
    assert [(a["ColorMode"], a["Bytes"]) for a in updated["Assets"]] == [("LIGHT", PNG), ("DARK", PNG)]


def test_update_with_cognito_provided_values_resets_the_style(cognito: Any, client: dict[str, Any]) -> None:
    style = create(cognito, client, Settings=SETTINGS, Assets=[asset()])
    reset = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
        UseCognitoProvidedValues=True,
    )["ManagedLoginBranding"]
    assert (reset["UseCognitoProvidedValues"], reset["Settings"], reset["Assets"]) == (True, {}, [])
    # an asset alone keeps the style Cognito's
    with_asset = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"], Assets=[asset()],
    )["ManagedLoginBranding"]
    assert (with_asset["UseCognitoProvidedValues"], len(with_asset["Assets"])) == (True, 1)
    customised = cognito.update_managed_login_branding(
        UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"], Settings=SETTINGS,
    )["ManagedLoginBranding"]
    assert (customised["UseCognitoProvidedValues"], customised["Settings"]) == (False, SETTINGS)


def test_update_needs_the_pool_and_the_style(cognito: Any, client: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as neither:
        cognito.update_managed_login_branding(Settings=SETTINGS)
    assert error_of(neither) == (
        "InvalidParameterException",
        ("2 validation errors detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be "
        "null; Value null at 'managedLoginBrandingId' failed to satisfy constraint: Member must not be null"),
    )


def test_unknown_styles_are_resource_not_found(cognito: Any, client: dict[str, Any]) -> None:
    missing_id = str(uuid.uuid4())
    for call in (cognito.describe_managed_login_branding, cognito.update_managed_login_branding,
                 cognito.delete_managed_login_branding):
        with pytest.raises(ClientError) as missing:
            call(UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=missing_id)
        assert error_of(missing) == (
            "ResourceNotFoundException",
            f"Managed login branding {missing_id} does not exist in user pool {client['UserPoolId']}.",
        )
    with pytest.raises(ClientError) as by_client:
        cognito.describe_managed_login_branding_by_client(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"])
    assert error_of(by_client) == (
        "ResourceNotFoundException", f"App client {client['ClientId']} has no managed login branding style."
    )
    with pytest.raises(ClientError) as no_client:
        create(cognito, {**client, "ClientId": "nosuchclient0000000000000a"}, UseCognitoProvidedValues=True)
    assert error_of(no_client) == ("ResourceNotFoundException", "User pool client nosuchclient0000000000000a does not exist.")


def test_delete_frees_the_client_for_a_new_style(cognito: Any, client: dict[str, Any], server: Any) -> None:
    style = create(cognito, client, UseCognitoProvidedValues=True)
    cognito.delete_managed_login_branding(UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"])
    with pytest.raises(ClientError) as gone:
        cognito.describe_managed_login_branding(
            UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"]
        )
    assert error_of(gone)[0] == "ResourceNotFoundException"
    assert resources_of(server, client["UserPoolId"], *KINDS) == []
    assert create(cognito, client, Settings=SETTINGS)["ManagedLoginBrandingId"] != style["ManagedLoginBrandingId"]


def test_deleting_the_client_deletes_its_style(cognito: Any, client: dict[str, Any], server: Any) -> None:
    style = create(cognito, client, Settings=SETTINGS)
    cognito.delete_user_pool_client(UserPoolId=client["UserPoolId"], ClientId=client["ClientId"])
    with pytest.raises(ClientError) as gone:
        cognito.describe_managed_login_branding(
            UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"]
        )
    assert error_of(gone)[0] == "ResourceNotFoundException"
    assert resources_of(server, client["UserPoolId"], *KINDS) == []


def test_deleting_the_pool_deletes_its_styles(cognito: Any, server: Any) -> None:
    pool = cognito.create_user_pool(PoolName="doomed")["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    create(cognito, client, Settings=SETTINGS, Assets=[asset()])
    assert len(resources_of(server, pool["Id"], *KINDS)) == 2
    cognito.delete_user_pool(UserPoolId=pool["Id"])
    assert resources_of(server, pool["Id"], *KINDS) == []


def test_a_style_holds_40_assets(cognito: Any, client: dict[str, Any]) -> None:
    categories = ("FORM_LOGO", "PAGE_BACKGROUND", "FORM_BACKGROUND", "PAGE_HEADER_LOGO", "PAGE_FOOTER_LOGO",
                  "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_BACKGROUND", "EMAIL_GRAPHIC", "SMS_GRAPHIC",
                  "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC", "PASSKEY_GRAPHIC", "IDP_BUTTON_ICON")
    pairs = [(c, m) for c in categories for m in ("LIGHT", "DARK", "DYNAMIC")]  # 39
    style = create(cognito, client, Assets=[asset(c, m) for c, m in pairs[:30]])
    update = cognito.update_managed_login_branding
    grown = update(UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
                   Assets=[asset(c, m) for c, m in pairs[30:]] + [asset("FAVICON_SVG", "LIGHT", "SVG", SVG)])
    assert len(grown["ManagedLoginBranding"]["Assets"]) == 40
    with pytest.raises(ClientError) as full:
        update(UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
               Assets=[asset("FAVICON_SVG", "DARK", "SVG", SVG)])
    assert error_of(full) == ("InvalidParameterException", "A style holds at most 40 assets.")
    # replacing an asset of a pair the style has is no growth
    update(UserPoolId=client["UserPoolId"], ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
           Assets=[asset("FORM_LOGO", "LIGHT", "SVG", SVG)])
